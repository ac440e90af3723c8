"""A run started while transcripts keep arriving uses exactly the snapshot it counted.

The embedder here is a deterministic fake that also makes transcripts arrive mid-run: this test is about
snapshot consistency, not embeddings.
"""

from __future__ import annotations

import hashlib

import numpy as np
from sqlalchemy import func, select

from pipelines.synthetic import generate_company
from service.accounts.schemas import AccountIn
from service.accounts.service import upsert_accounts
from service.config import Settings
from service.db import Database
from service.ingest.models import Transcript
from service.ingest.schemas import TranscriptIn
from service.ingest.service import store_transcripts
from service.personas.models import CustomerAssignment
from service.runs import flow
from service.runs.models import Run
from service.runs.service import create_run


class HashEmbedder:
    """Bag-of-hashed-words vectors: deterministic, instant, and similar texts give similar vectors."""

    model_name = "test-hash-embedder"

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest()[:6], 16) % 256] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class ArrivalsDuringEmbedding(HashEmbedder):
    """Stores `late` transcripts (each batch committed on its own) when the run first embeds: the run has
    read its snapshot by then and has not stored anything yet, so the arrivals overlap the run every time."""

    def __init__(self, database: Database, late: list[TranscriptIn]) -> None:
        self.database, self.late, self.stored = database, late, 0

    def embed(self, texts: list[str]) -> np.ndarray:
        for start in range(self.stored, len(self.late), 20):
            with self.database.transaction() as session:
                store_transcripts(session, source="api", transcripts=self.late[start : start + 20])
            self.stored = min(start + 20, len(self.late))
        return super().embed(texts)


def test_run_counts_exactly_the_transcripts_it_used(settings: Settings, db: Database) -> None:
    company = generate_company(n_customers=80, seed=11)
    transcripts = [TranscriptIn.model_validate(t) for t in company.transcripts]
    # Some customers only ever write in while the run is going: none of them may end up in it.
    newcomers = {f"cust-{n:05d}" for n in range(8)}
    assert newcomers <= set(company.truth)
    first = [t for t in transcripts if t.customer_id not in newcomers][:250]
    late = [t for t in transcripts if t not in first]
    with db.transaction() as session:
        upsert_accounts(session, accounts=[AccountIn.model_validate(a) for a in company.accounts])
        store_transcripts(session, source="api", transcripts=first)
        run_id = create_run(session, params={"min_personas": 2, "max_personas": 4}).id

    embedder = ArrivalsDuringEmbedding(db, late)
    assert flow.execute_run(db, run_id, embedder=embedder, settings=settings)
    assert embedder.stored == len(late)  # every late transcript arrived while the run was under way
    with db.transaction(write=False) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "succeeded"
        snapshot = run.snapshot_transcript_id
        in_snapshot = session.scalar(select(func.count()).where(Transcript.id <= snapshot))
        assigned = set(
            session.scalars(select(CustomerAssignment.customer_id).where(CustomerAssignment.run_id == run_id))
        )
        total = session.scalar(select(func.count()).select_from(Transcript))
    assert total == len(transcripts)
    assert run.summary["transcripts"] == in_snapshot == len(first)
    assert run.summary["newly_embedded"] == len(first)
    assert assigned == {t.customer_id for t in first} and not assigned & newcomers
