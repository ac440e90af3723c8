"""The run queue: identical requests are answered with the run already waiting, the queue has a cap, and a
queued or running run can be cancelled (issue 16, item 2)."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pipelines.synthetic import generate_company
from service.accounts.schemas import AccountIn
from service.accounts.service import upsert_accounts
from service.app import create_app
from service.config import Settings
from service.db import Database
from service.ingest.schemas import TranscriptIn
from service.ingest.service import store_transcripts
from service.personas.models import CustomerAssignment
from service.runs import flow
from service.runs.models import Run
from service.runs.service import create_run
from tests.service.conftest import auth, make_key
from tests.service.runs.test_snapshot import HashEmbedder


class ParkedExecutor:
    """A fake executor that never runs anything: these tests are about the queue, so runs must stay queued."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def submit(self, run_id: str) -> None: ...

    def transcripts_stored(self, ids: list[int]) -> None: ...


@pytest.fixture
def parked(settings: Settings, db: Database) -> Iterator[TestClient]:
    settings = settings.model_copy(update={"max_queued_runs": 3})
    with TestClient(create_app(settings, db, ParkedExecutor()), raise_server_exceptions=False) as client:
        yield client


def _runs(db: Database) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Run)) or 0


def test_five_identical_requests_create_one_run(parked: TestClient, db: Database) -> None:
    admin = auth(make_key(db, "admin"))
    answers = [parked.post("/v1/runs", json={"min_personas": 2}, headers=admin) for _ in range(5)]
    assert answers[0].status_code == 202
    run_id = answers[0].json()["id"]
    for answer in answers[1:]:
        assert answer.status_code == 409, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["run_id"] == run_id
        assert answer.headers["location"] == f"/v1/runs/{run_id}"
    # The same parameters spelled differently (defaults omitted) are the same run.
    assert parked.post("/v1/runs", json={}, headers=admin).json()["run_id"] == run_id
    assert _runs(db) == 1
    other = parked.post("/v1/runs", json={"min_personas": 3}, headers=admin)
    assert other.status_code == 202 and other.json()["id"] != run_id


def test_the_queue_cap_answers_429_with_retry_after(parked: TestClient, db: Database) -> None:
    admin = auth(make_key(db, "admin"))
    for k in (1, 2, 3):
        assert parked.post("/v1/runs", json={"max_personas": k + 1}, headers=admin).status_code == 202
    refused = parked.post("/v1/runs", json={"max_personas": 6}, headers=admin)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) > 0
    assert _runs(db) == 3


def test_a_queued_run_is_cancelled_and_never_picked_up(
    parked: TestClient, db: Database, settings: Settings
) -> None:
    admin, read = auth(make_key(db, "admin")), auth(make_key(db, "read"))
    run_id = parked.post("/v1/runs", json={}, headers=admin).json()["id"]
    assert parked.post(f"/v1/runs/{run_id}/cancel", headers=read).status_code == 403
    cancelled = parked.post(f"/v1/runs/{run_id}/cancel", headers=admin)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert parked.get(f"/v1/runs/{run_id}", headers=read).json()["status"] == "cancelled"
    again = parked.post(f"/v1/runs/{run_id}/cancel", headers=admin)
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    assert parked.post("/v1/runs/nope/cancel", headers=admin).status_code == 404
    audit = parked.get("/v1/audit", headers=admin, params={"action": "run.cancelled"}).json()["items"]
    assert [event["target"] for event in audit] == [run_id]
    # After a restart the executor tries what it is handed: a cancelled run does not start.
    assert not flow.execute_run(db, run_id, embedder=HashEmbedder(), settings=settings)
    assert parked.get(f"/v1/runs/{run_id}", headers=read).json()["status"] == "cancelled"
    # A cancelled run no longer blocks an identical request.
    assert parked.post("/v1/runs", json={}, headers=admin).status_code == 202


class BlockingEmbedder(HashEmbedder):
    """A fake embedder that holds the run in its embedding stage until the test releases it."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def embed(self, texts: list[str]) -> np.ndarray:
        self.entered.set()
        assert self.release.wait(30)
        return super().embed(texts)


def test_a_running_run_stops_when_cancelled_and_stores_nothing(
    parked: TestClient, db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    company = generate_company(n_customers=60, seed=5)  # enough for a run that would succeed
    with db.transaction() as session:
        upsert_accounts(session, accounts=[AccountIn.model_validate(a) for a in company.accounts])
        transcripts = [TranscriptIn.model_validate(t) for t in company.transcripts]
        store_transcripts(session, source="api", transcripts=transcripts)
        run_id = create_run(session, params={"min_personas": 2, "max_personas": 4}).id
    embedder, outcome = BlockingEmbedder(), []
    worker = threading.Thread(
        target=lambda: outcome.append(flow.execute_run(db, run_id, embedder=embedder, settings=settings))
    )
    caplog.set_level(logging.INFO, logger="personas.runs")
    worker.start()
    assert embedder.entered.wait(30)
    admin = auth(make_key(db, "admin"))
    assert parked.get(f"/v1/runs/{run_id}", headers=admin).json()["status"] == "running"
    assert parked.post(f"/v1/runs/{run_id}/cancel", headers=admin).json()["status"] == "cancelled"
    time.sleep(0.6)  # past the progress reporter's half-second throttle: the next update checks
    embedder.release.set()
    worker.join(60)
    assert outcome == [False]
    messages = [record.getMessage() for record in caplog.records]
    assert "run cancelled; stopped" in messages and "run failed" not in messages
    with db.transaction(write=False) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "cancelled" and run.error is None
        stored = session.scalar(select(func.count()).where(CustomerAssignment.run_id == run_id))
    assert stored == 0


def test_cli_cancels_a_queued_run_and_refuses_a_duplicate(cli_env: None, db: Database) -> None:
    from typer.testing import CliRunner

    from service.cli import app

    runner = CliRunner()
    first = runner.invoke(app, ["run"])
    assert first.exit_code == 0, first.output
    queued = re.search(r"run ([0-9a-f]{32}) queued", first.output)  # after the line naming the database
    assert queued, first.output
    run_id = queued.group(1)
    duplicate = runner.invoke(app, ["run"])
    assert duplicate.exit_code == 1 and run_id in duplicate.output
    assert runner.invoke(app, ["run", "cancel", run_id]).exit_code == 0
    with db.transaction(write=False) as session:
        assert session.get_one(Run, run_id).status == "cancelled"
    finished = runner.invoke(app, ["run", "cancel", run_id])
    assert finished.exit_code == 1 and "already finished" in finished.output
