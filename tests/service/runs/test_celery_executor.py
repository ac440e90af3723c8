"""The Celery executor end to end: a real `personas worker` process on the local Redis runs a queued run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.db import Database
from tests.service.celery_worker import CELERY_MARKS, celery_worker
from tests.service.runs.helpers import ingest_company, start_run, wait_for_run

BROKER = os.environ.get("PERSONAS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


pytestmark = CELERY_MARKS


@pytest.fixture
def worker(database_url: str, tmp_path: Path) -> Iterator[None]:
    with celery_worker(database_url, BROKER, tmp_path / "worker.log"):
        yield


def test_celery_worker_runs_a_queued_run(
    settings: Settings, db: Database, keys: dict[str, str], worker: None
) -> None:
    celery_settings = settings.model_copy(update={"queue": "celery", "broker_url": BROKER})
    from service.runs.tasks import celery_app

    celery_app.conf.broker_url = BROKER
    with TestClient(create_app(celery_settings, db)) as client:
        ingest_company(client, keys["ingest"], customers=40, seed=5)
        run_id = start_run(client, keys["admin"])
        run = wait_for_run(client, keys["read"], run_id, timeout=300)
    assert run["status"] == "succeeded", run["error"]
    assert 2 <= run["summary"]["personas"] <= 4
