"""An erasure that commits while a run is in flight: the run still succeeds, and nothing of the customer is
stored with it (not its assignment, not its map point in the report data), whether the erasure lands while the
run embeds (its vectors would point at deleted transcripts) or after it embedded."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from pipelines.synthetic import generate_company
from service.accounts.schemas import AccountIn
from service.accounts.service import upsert_accounts
from service.config import Settings
from service.db import Database
from service.erasure.service import erase_customer
from service.ingest.schemas import TranscriptIn
from service.ingest.service import store_transcripts
from service.personas.models import CustomerAssignment
from service.runs import flow
from service.runs.models import Run
from service.runs.service import create_run
from tests.service.runs.test_snapshot import HashEmbedder


class EraseDuringEmbedding(HashEmbedder):
    """A fake embedder (the test is about storing, not vectors) that erases a customer on its first call."""

    def __init__(self, database: Database, customer_id: str) -> None:
        self.database, self.customer_id, self.done = database, customer_id, False

    def embed(self, texts: list[str]) -> np.ndarray:
        if not self.done:
            with self.database.transaction() as session:
                erase_customer(session, customer_id=self.customer_id)
            self.done = True
        return super().embed(texts)


def _queued_run(db: Database) -> tuple[str, str]:
    company = generate_company(n_customers=60, seed=5)
    transcripts = [TranscriptIn.model_validate(t) for t in company.transcripts][:200]
    with db.transaction() as session:
        upsert_accounts(session, accounts=[AccountIn.model_validate(a) for a in company.accounts])
        store_transcripts(session, source="api", transcripts=transcripts)
        run_id = create_run(session, params={"min_personas": 2, "max_personas": 3}).id
    return run_id, transcripts[0].customer_id


def _assert_nothing_of(db: Database, run_id: str, victim: str) -> None:
    with db.transaction(write=False) as session:
        run = session.get_one(Run, run_id)
        assigned = session.scalar(
            select(func.count())
            .select_from(CustomerAssignment)
            .where(CustomerAssignment.customer_id == victim)
        )
        assert run.status == "succeeded" and assigned == 0
        assert victim not in json.dumps(run.report_data)


def test_an_erasure_while_the_run_embeds(settings: Settings, db: Database) -> None:
    run_id, victim = _queued_run(db)
    assert flow.execute_run(db, run_id, embedder=EraseDuringEmbedding(db, victim), settings=settings)
    _assert_nothing_of(db, run_id, victim)


def test_an_erasure_after_the_run_embedded(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id, victim = _queued_run(db)
    real = flow.discover

    def erase_then_discover(*args: Any, **kwargs: Any) -> Any:
        with db.transaction() as session:
            erase_customer(session, customer_id=victim)
        return real(*args, **kwargs)

    monkeypatch.setattr(flow, "discover", erase_then_discover)
    assert flow.execute_run(db, run_id, embedder=HashEmbedder(), settings=settings)
    _assert_nothing_of(db, run_id, victim)
