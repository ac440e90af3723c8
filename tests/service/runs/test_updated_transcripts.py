"""An updated transcript keeps its id and gets a new revision: the next run embeds its new text, and a run
that read it before the update neither sees the new text half-way nor leaves its old vector behind.

The embedder is test_snapshot's deterministic hash embedder: these tests are about the cache, not the model.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from pipelines.text import customer_text
from service.db import Database
from service.ingest.models import TranscriptEmbedding
from service.ingest.schemas import TranscriptIn
from service.ingest.service import store_transcripts
from service.runs import flow
from service.runs.embeddings import embed_with_cache
from tests.service.builders import transcript_payload
from tests.service.runs.test_snapshot import HashEmbedder

OLD, NEW = "The invoice total is wrong again.", "Now the parcel arrived broken and the driver left."


def _store(db: Database, text: str) -> None:
    with db.transaction() as session:
        store_transcripts(
            session, source="api", transcripts=[TranscriptIn.model_validate(transcript_payload(text=text))]
        )


def _embed(db: Database, snapshot: flow.Snapshot) -> tuple[np.ndarray, int]:
    return embed_with_cache(
        db,
        embedder=HashEmbedder(),
        transcript_ids=snapshot.transcript_ids,
        texts=[customer_text(t.turns) for t in snapshot.transcripts],
        revisions=snapshot.revisions,
    )


def _cached(db: Database) -> list[tuple[int, bytes]]:
    with db.transaction(write=False) as session:
        return list(
            session.execute(select(TranscriptEmbedding.revision, TranscriptEmbedding.vector)).tuples()
        )


def _vector(text: str) -> np.ndarray:
    return HashEmbedder().embed(
        [customer_text(TranscriptIn.model_validate(transcript_payload(text=text)).model_dump()["turns"])]
    )[0]


def test_the_next_run_embeds_the_updated_text(db: Database) -> None:
    _store(db, OLD)
    before = flow.load_snapshot(db, {})
    assert _embed(db, before)[1] == 1
    _store(db, NEW)
    assert _cached(db) == []  # the update dropped the vector of the old text
    after = flow.load_snapshot(db, {})
    assert after.transcript_ids == before.transcript_ids and after.revisions == [2]
    assert NEW in customer_text(after.transcripts[0].turns)
    vectors, newly = _embed(db, after)
    assert newly == 1
    np.testing.assert_allclose(vectors[0], _vector(NEW))
    assert [revision for revision, _ in _cached(db)] == [2]
    assert _embed(db, after)[1] == 0  # cached from now on


def test_a_run_that_read_the_old_text_keeps_it_and_cannot_overwrite_the_new_vector(db: Database) -> None:
    _store(db, OLD)
    old_run = flow.load_snapshot(db, {})
    _store(db, NEW)  # the update lands while the old run is embedding
    assert OLD in customer_text(old_run.transcripts[0].turns)  # what it read does not change under it
    vectors, _ = _embed(db, old_run)
    np.testing.assert_allclose(vectors[0], _vector(OLD))
    # Its vector is stored as revision 1; the next run does not use it, and replaces it.
    assert [revision for revision, _ in _cached(db)] == [1]
    new_run = flow.load_snapshot(db, {})
    vectors, newly = _embed(db, new_run)
    assert newly == 1
    np.testing.assert_allclose(vectors[0], _vector(NEW))
    # A slower old run finishing after that leaves the new vector alone.
    _embed(db, old_run)
    cached = _cached(db)
    assert [revision for revision, _ in cached] == [2]
    np.testing.assert_allclose(np.frombuffer(cached[0][1], dtype=np.float32), _vector(NEW))
