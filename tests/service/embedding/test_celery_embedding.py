"""Scale-out on Celery: two real `personas worker` processes share the `embed` queue (local Redis, and the
test database: PostgreSQL when PERSONAS_TEST_DATABASE_URL names it), each with the real model; every
transcript is embedded exactly once, and both workers take part."""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from pipelines.synthetic import generate_company
from service.config import Settings
from service.db import Database
from service.embedding import claims
from service.embedding.cache import cache_key
from service.embedding.dispatch import dispatch_chunks
from service.embedding.service import CHUNK
from service.ingest.schemas import TranscriptIn
from service.ingest.service import store_transcripts
from service.runs.worker import settings_embedder
from tests.service.celery_worker import CELERY_MARKS, celery_worker

# Its own Redis database: the other Celery tests flush theirs.
BROKER = "redis://127.0.0.1:6379/13"
PATIENCE_S = 300.0  # start-up and a few hundred texts take under a minute here; this only guards a hang

pytestmark = CELERY_MARKS


def _store_company(db: Database) -> list[int]:
    company = generate_company(n_customers=60, seed=11, n_transcripts=320)
    with db.transaction() as session:
        result = store_transcripts(
            session, source="api", transcripts=[TranscriptIn.model_validate(t) for t in company.transcripts]
        )
    return result.changed_ids


def _wait_until_ready(logs: list[Path]) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not all(" ready." in path.read_text() for path in logs):
        assert time.monotonic() < deadline, [path.read_text()[-2000:] for path in logs]
        time.sleep(0.2)


def _backlog(db: Database, model: str) -> int:
    with db.transaction(write=False) as session:
        return len(claims.unclaimed_backlog(session, model=model, limit=10_000))


def _embedded_by(log: Path) -> list[int]:
    ids: list[int] = []
    for line in log.read_text().splitlines():
        if line.startswith("{") and json.loads(line).get("message") == "embedded chunk":
            ids.extend(json.loads(line)["transcript_ids"])
    return ids


def test_two_workers_share_the_embed_queue_and_embed_each_transcript_once(
    db: Database, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    with ExitStack() as stack:
        for i, (log, name) in enumerate(zip(logs, ("a", "b"), strict=True)):
            env = {"PERSONAS_WARM_UP": "false", "PERSONAS_EMBED_IN_BACKGROUND": "true"}
            stack.enter_context(celery_worker(database_url, BROKER, log, name=name, flush=i == 0, **env))
        _wait_until_ready(logs)  # both listen before any chunk is queued, so both get some
        ids = _store_company(db)
        model = cache_key(settings_embedder(settings))
        # Twice: a message sent again (a sweep, a retry) must not embed anything twice.
        queued = dispatch_chunks(ids, broker_url=BROKER) + dispatch_chunks(ids, broker_url=BROKER)
        assert queued == 2 * -(-len(ids) // CHUNK)
        deadline = time.monotonic() + PATIENCE_S
        while _backlog(db, model) or sum(len(_embedded_by(log)) for log in logs) < len(ids):
            assert time.monotonic() < deadline, [log.read_text()[-2000:] for log in logs]
            time.sleep(0.5)
    per_worker = [_embedded_by(log) for log in logs]
    counts = Counter(tid for ids_of in per_worker for tid in ids_of)
    assert sorted(counts) == sorted(ids)
    assert set(counts.values()) == {1}, [tid for tid, n in counts.items() if n > 1]
    assert all(per_worker), [len(p) for p in per_worker]
