"""Claims share the embedding backlog: what needs a vector, who may embed it, and a run that waits for another
worker's chunk instead of embedding it again.

The embedder is a counting fake (tests/service/runs/test_snapshot.HashEmbedder): these tests are about who
embeds what, not about vectors; tests/service/embedding/test_background_embedding.py uses the real model.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, update

from pipelines.text import customer_text
from service.db import Database
from service.embedding import claims
from service.embedding.cache import cache_key, cached_vectors
from service.embedding.models import EmbeddingClaim
from service.embedding.service import embed_chunk, embed_snapshot
from service.ingest.models import Transcript
from service.ingest.schemas import TranscriptIn
from service.ingest.service import store_transcripts
from tests.service.builders import transcript_payload
from tests.service.runs.test_snapshot import HashEmbedder


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().embed(texts)


MODEL = cache_key(HashEmbedder())


def _store(db: Database, n: int, *, text: str = "Where is my parcel number {i}?") -> list[int]:
    payloads = [transcript_payload(f"t-{i}", f"c-{i % 3}", text.format(i=i)) for i in range(n)]
    with db.transaction() as session:
        result = store_transcripts(
            session, source="api", transcripts=[TranscriptIn.model_validate(p) for p in payloads]
        )
    return result.changed_ids


def _claim(db: Database, ids: list[int], token: str, **kw: object) -> list[int]:
    with db.transaction() as session:
        return claims.claim(session, model=MODEL, ids=ids, token=token, **kw)  # type: ignore[arg-type]


def test_store_reports_the_ids_it_stored_and_changed(db: Database) -> None:
    ids = _store(db, 3)
    assert len(ids) == 3
    assert _store(db, 3) == []  # the same content again changes nothing
    assert _store(db, 1, text="Now it is broken") == ids[:1]  # an update needs a new vector


def test_a_live_claim_keeps_others_out_until_it_expires(db: Database) -> None:
    ids = _store(db, 4)
    assert _claim(db, ids[:3], "a") == ids[:3]
    assert _claim(db, ids, "b") == ids[3:]  # only what nobody holds
    assert _claim(db, ids[:1], "a") == ids[:1]  # the same holder again (a retried task) gets it back
    with db.transaction() as session:
        session.execute(
            update(EmbeddingClaim)
            .where(EmbeddingClaim.token == "a")
            .values(expires_at=claims.utc_now() - timedelta(seconds=1))
        )
        assert claims.unclaimed_backlog(session, model=MODEL, limit=10) == ids[:3]
    assert _claim(db, ids, "c") == ids[:3]  # expired: the holder died, another takes over


def test_a_claim_on_an_old_revision_does_not_hold_up_the_new_text(db: Database) -> None:
    ids = _store(db, 2)
    assert _claim(db, ids, "slow-worker") == ids
    _store(db, 1, text="Now it is broken")  # t-0 gets revision 2 while its old text is being embedded
    assert _claim(db, ids, "chunk-for-the-update") == ids[:1]
    with db.transaction() as session:
        claims.release(session, model=MODEL, ids=ids, token="slow-worker")  # done with the old text
        assert session.scalars(select(EmbeddingClaim.token)).all() == ["chunk-for-the-update"]


def test_a_dead_runs_claims_are_dropped_by_holder(db: Database) -> None:
    ids = _store(db, 3)
    _claim(db, ids[:2], claims.run_token("r1"))
    _claim(db, ids[2:], "someone-else")
    with db.transaction() as session:
        claims.release_holders(session, [claims.run_token("r1")])
        assert session.scalars(select(EmbeddingClaim.transcript_id)).all() == ids[2:]


def test_a_claim_is_taken_by_one_of_many_concurrent_workers(db: Database) -> None:
    ids = _store(db, 40)
    taken: dict[str, list[int]] = {}

    def worker(token: str) -> None:
        taken[token] = _claim(db, ids, token)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = sorted(tid for got in taken.values() for tid in got)
    assert every == ids  # each id once, by exactly one of the four


def test_embed_chunk_embeds_each_transcript_once_and_frees_its_claims(db: Database) -> None:
    ids = _store(db, 5)
    embedder = CountingEmbedder()
    assert embed_chunk(db, embedder, ids, token="x") == 5
    assert embed_chunk(db, embedder, ids, token="y") == 0  # idempotent: all done
    assert len(embedder.texts) == 5
    with db.transaction(write=False) as session:
        assert session.scalars(select(EmbeddingClaim)).all() == []
        assert claims.unclaimed_backlog(session, model=MODEL, limit=10) == []
    _store(db, 1, text="Now it is broken")  # a new revision needs a vector again
    assert embed_chunk(db, embedder, ids, token="z") == 1
    assert embedder.texts[-1] == "Now it is broken"


def test_a_failed_chunk_leaves_its_transcripts_to_the_next_worker(db: Database) -> None:
    ids = _store(db, 3)

    class Broken(HashEmbedder):
        def embed(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        embed_chunk(db, Broken(), ids, token="x")
    assert embed_chunk(db, CountingEmbedder(), ids, token="y") == 3  # no stale claim in the way


def test_a_run_waits_for_the_chunk_another_worker_is_embedding(db: Database) -> None:
    ids = _store(db, 6)
    held = _claim(db, ids[:4], "other-worker")
    with db.transaction(write=False) as session:
        rows = session.execute(select(Transcript.id, Transcript.turns).order_by(Transcript.id)).all()
    texts = [customer_text(turns) for _, turns in rows]

    finished: list[int] = []

    def finish_later() -> None:
        time.sleep(1.0)  # the run has embedded the rest and waits
        finished.append(embed_chunk(db, HashEmbedder(), held, token="other-worker"))

    run_embedder = CountingEmbedder()
    other = threading.Thread(target=finish_later)
    other.start()
    vectors, made = embed_snapshot(db, embedder=run_embedder, transcript_ids=ids, texts=texts, token="run")
    other.join()
    assert finished == [4]
    assert made == 2 and len(run_embedder.texts) == 2  # only the two nobody held
    with db.transaction(write=False) as session:
        cached = cached_vectors(session, model=MODEL, ids=ids)
    assert np.array_equal(vectors, np.stack([cached[tid] for tid in ids]))
