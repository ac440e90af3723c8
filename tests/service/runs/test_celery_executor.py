"""The Celery executor end to end: a real `personas worker` process on the local Redis runs a queued run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.db import Database
from tests.service.runs.helpers import ingest_company, start_run, wait_for_run

BROKER = os.environ.get("PERSONAS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379 for the Celery broker"),
]


@pytest.fixture
def worker(database_url: str, tmp_path: Path) -> Iterator[None]:
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    env = dict(
        os.environ, PERSONAS_DATABASE_URL=database_url, PERSONAS_BROKER_URL=BROKER, PERSONAS_QUEUE="celery"
    )
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    yield
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


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
