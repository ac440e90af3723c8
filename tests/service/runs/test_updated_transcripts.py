"""An updated transcript keeps its id and gets a new revision: the next run embeds its new text, and a run
that read it before the update neither sees the new text half-way nor leaves its old vector behind.

The embedder is test_snapshot's deterministic hash embedder: these tests are about the cache, not the model.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
from sqlalchemy import select

from pipelines.synthetic import generate_company
from pipelines.text import customer_text
from service.accounts.schemas import AccountIn
from service.accounts.service import upsert_accounts
from service.config import Settings
from service.db import Database
from service.embedding.service import embed_snapshot
from service.ingest.models import TranscriptEmbedding
from service.ingest.schemas import TranscriptIn, TurnIn
from service.ingest.service import store_transcripts
from service.runs import flow
from service.runs.models import Run
from service.runs.service import create_run
from tests.service.builders import transcript_payload
from tests.service.runs.test_snapshot import HashEmbedder

OLD, NEW = "The invoice total is wrong again.", "Now the parcel arrived broken and the driver left."


def _store(db: Database, text: str) -> None:
    with db.transaction() as session:
        store_transcripts(
            session, source="api", transcripts=[TranscriptIn.model_validate(transcript_payload(text=text))]
        )


def _embed(db: Database, snapshot: flow.Snapshot) -> tuple[np.ndarray, int]:
    return embed_snapshot(
        db,
        embedder=HashEmbedder(),
        token="test-run",
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


class UpdatesDuringEmbedding(HashEmbedder):
    """Stores new versions of `changed` (committed) when the run first embeds: the run has read its snapshot
    by then, so the update overlaps the run every time."""

    def __init__(self, database: Database, changed: list[TranscriptIn]) -> None:
        self.database, self.changed, self.done = database, changed, False

    def embed(self, texts: list[str]) -> np.ndarray:
        if not self.done:
            with self.database.transaction() as session:
                result = store_transcripts(session, source="api", transcripts=self.changed)
            assert result.updated == len(self.changed)
            self.done = True
        return super().embed(texts)


def test_runs_around_an_update_use_the_text_they_read(settings: Settings, db: Database) -> None:
    company = generate_company(n_customers=60, seed=5)
    transcripts = [TranscriptIn.model_validate(t) for t in company.transcripts][:200]
    marker = "zzupdatedmarker"
    changed = [
        t.model_copy(
            update={"turns": [*t.turns, TurnIn(speaker="customer", text=f"{marker} one more thing")]}
        )
        for t in transcripts[:15]
    ]
    with db.transaction() as session:
        upsert_accounts(session, accounts=[AccountIn.model_validate(a) for a in company.accounts])
        store_transcripts(session, source="api", transcripts=transcripts)
        first = create_run(session, params={"min_personas": 2, "max_personas": 3}).id

    assert flow.execute_run(db, first, embedder=UpdatesDuringEmbedding(db, changed), settings=settings)
    with db.transaction() as session:
        run = session.get(Run, first)
        assert run is not None and run.status == "succeeded"
        assert run.summary["transcripts"] == 200 and marker not in json.dumps(run.report_data)
        # It embedded what it had read: every vector it left is tagged revision 1, though 15 texts moved on.
        assert Counter(session.scalars(select(TranscriptEmbedding.revision))) == Counter({1: 200})
        second = create_run(session, params={"min_personas": 2, "max_personas": 3}).id
    assert flow.execute_run(db, second, embedder=HashEmbedder(), settings=settings)
    with db.transaction(write=False) as session:
        run = session.get(Run, second)
        assert run is not None and run.status == "succeeded"
        assert run.summary["newly_embedded"] == len(changed)  # exactly the updated ones, with their new text
        revisions = Counter(session.scalars(select(TranscriptEmbedding.revision)))
    assert revisions == Counter({1: 200 - len(changed), 2: len(changed)})
