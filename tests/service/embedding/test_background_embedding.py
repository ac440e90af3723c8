"""With the inline executor, transcripts are embedded in the background as they arrive (the real model): the
backlog in GET /v1/status drains without a run, and the run that follows embeds nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.db import Database
from tests.service.conftest import auth
from tests.service.runs.helpers import ingest_company, start_run, wait_for_run

DRAIN_PATIENCE_S = (
    300.0  # a loaded 2-core machine embeds the 120 transcripts in seconds; this is a hang guard
)


@pytest.fixture
def background_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    settings = settings.model_copy(update={"embed_in_background": True})
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        yield client


def _drained(client: TestClient, key: str) -> dict[str, Any]:
    deadline = time.monotonic() + DRAIN_PATIENCE_S
    while True:
        status = client.get("/v1/status", headers=auth(key)).json()
        if status["embedding"]["pending"] == 0 or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_the_backlog_drains_without_a_run_and_the_run_embeds_nothing(
    background_client: TestClient, keys: dict[str, str]
) -> None:
    company = ingest_company(background_client, keys["ingest"])
    status = _drained(background_client, keys["read"])
    assert status["embedding"] == {
        "model": status["embedding"]["model"],
        "embedded": len(company.transcripts),
        "pending": 0,
    }
    assert status["runs"] == {"queued": 0, "running": 0}  # no run was asked for

    run = wait_for_run(background_client, keys["read"], start_run(background_client, keys["admin"]))
    assert run["status"] == "succeeded", run["error"]
    assert run["summary"]["newly_embedded"] == 0
    assert run["summary"]["transcripts"] == len(company.transcripts)
