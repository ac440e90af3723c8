"""A run started while transcripts keep arriving uses exactly the snapshot it counted.

The embedder here is a deterministic fake: this test is about snapshot consistency, not embeddings.
"""

from __future__ import annotations

import hashlib
import threading

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


def test_run_counts_exactly_the_transcripts_it_used(settings: Settings, db: Database) -> None:
    company = generate_company(n_customers=80, seed=11)
    transcripts = [TranscriptIn.model_validate(t) for t in company.transcripts]
    first, late = transcripts[:250], transcripts[250:]
    with db.transaction() as session:
        upsert_accounts(session, accounts=[AccountIn.model_validate(a) for a in company.accounts])
        store_transcripts(session, source="api", transcripts=first)
        run_id = create_run(session, params={"min_personas": 2, "max_personas": 4}).id

    def keep_ingesting() -> None:
        for start in range(0, len(late), 20):
            with db.transaction() as session:
                store_transcripts(session, source="api", transcripts=late[start : start + 20])

    writer = threading.Thread(target=keep_ingesting)
    writer.start()
    assert flow.execute_run(db, run_id, embedder=HashEmbedder(), settings=settings)
    writer.join()
    with db.transaction(write=False) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "succeeded"
        snapshot = run.snapshot_transcript_id
        in_snapshot = session.scalar(select(func.count()).where(Transcript.id <= snapshot))
        customers_in_snapshot = session.scalar(
            select(func.count(func.distinct(Transcript.customer_id))).where(Transcript.id <= snapshot)
        )
        assigned = session.scalar(select(func.count()).where(CustomerAssignment.run_id == run_id))
        total = session.scalar(select(func.count()).select_from(Transcript))
    assert run.summary["transcripts"] == in_snapshot >= len(first)
    assert assigned == customers_in_snapshot
    assert total == len(transcripts)
