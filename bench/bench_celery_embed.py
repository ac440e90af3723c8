"""Background embedding throughput on Celery's `embed` queue: 1 worker process against 2, the same chunks.

Run: .venv/bin/python -m bench.bench_celery_embed [--data DIR] [--database-url URL] [--broker URL] [--rounds 1]

The transcripts of `--data` are stored once in `--database-url` (PostgreSQL; the schema is upgraded, the
tables emptied first). Each round, for 1 then 2 workers (`personas worker`, warm-up off, each loads the model
on its first chunk): start the workers, wait until they are ready, delete every cached vector, queue all
transcripts in chunks (`service.embedding.dispatch.dispatch_chunks`), and time until no transcript needs a
vector. Reports transcripts/s and per-process transcripts/s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import delete, text

from bench.bench_embedding import cpu_description
from bench.server import SHARED_DATA
from service import migrate
from service.config import Settings
from service.db import Database
from service.embedding import claims
from service.embedding.cache import cache_key
from service.embedding.dispatch import dispatch_chunks
from service.ingest.models import TranscriptEmbedding
from service.ingest.schemas import TranscriptIn
from service.ingest.service import store_transcripts
from service.runs.worker import settings_embedder

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_celery"
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"


@contextmanager
def worker(database_url: str, broker: str, name: str, log: Path) -> Iterator[None]:
    env = {
        **os.environ,
        "PERSONAS_DATABASE_URL": database_url,
        "PERSONAS_BROKER_URL": broker,
        "PERSONAS_QUEUE": "celery",
        "PERSONAS_WARM_UP": "false",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker", "--name", name], env=env, stdout=out, stderr=out
        )
        try:
            yield
        finally:
            process.terminate()
            process.wait(30)


def store(database: Database, data: Path) -> int:
    lines = [json.loads(line) for line in (data / "transcripts.jsonl").open()]
    with database.transaction() as session:
        session.execute(text("TRUNCATE transcripts CASCADE"))
        for start in range(0, len(lines), 500):
            batch = [TranscriptIn.model_validate(t) for t in lines[start : start + 500]]
            store_transcripts(session, source="api", transcripts=batch)
    return len(lines)


def drain_seconds(database: Database, broker: str, workers: int, tmp: Path, model: str) -> float:
    import redis

    redis.Redis.from_url(broker).flushdb()
    with database.transaction() as session:
        session.execute(delete(TranscriptEmbedding))
        ids = claims.unclaimed_backlog(session, model=model, limit=10**7)
    logs = [tmp / f"worker-{workers}-{i}.log" for i in range(workers)]
    with ExitStack() as stack:
        for i, log in enumerate(logs):
            stack.enter_context(worker(database.url, broker, f"bench{i}", log))
        while not all(" ready." in log.read_text() for log in logs):
            time.sleep(0.2)
        clock = time.perf_counter()
        dispatch_chunks(ids, broker_url=broker)
        while True:
            with database.transaction(write=False) as session:
                if not claims.unclaimed_backlog(session, model=model, limit=1) and not session.scalar(
                    text("SELECT count(*) FROM embedding_claims")
                ):
                    break
            time.sleep(0.2)
        return time.perf_counter() - clock


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "planted_dev")
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--broker", default=DEFAULT_BROKER)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path, help="also write the markdown section to this file")
    args = parser.parse_args()
    migrate.upgrade(args.database_url, "head")
    database = Database.from_url(args.database_url)
    n = store(database, args.data)
    model = cache_key(settings_embedder(Settings(database_url=args.database_url)))
    rows: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="bench-celery-") as tmp:
        for _ in range(args.rounds):
            for workers in (1, 2):
                rows[workers].append(drain_seconds(database, args.broker, workers, Path(tmp), model))
                print(json.dumps({"workers": workers, "seconds": rows[workers][-1]}), flush=True)
    best = {w: min(s) for w, s in rows.items()}
    lines = [
        "## Background embedding on Celery: 1 worker process against 2",
        "",
        f"`python -m bench.bench_celery_embed --rounds {args.rounds}`; {n} transcripts; {cpu_description()}; "
        f"load average {os.getloadavg()[0]:.1f}.",
        "",
        "| workers | drain s (best) | transcripts/s | per process |",
        "|---:|---:|---:|---:|",
        *[f"| {w} | {sec:.1f} | {n / sec:.0f} | {n / sec / w:.0f} |" for w, sec in best.items()],
        "",
        f"2 workers / 1 worker throughput: {best[1] / best[2]:.2f}x",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
