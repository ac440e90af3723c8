"""Persona-shift alerts: exactly one signed event per shifted run at a real local receiver, verified with the
standardwebhooks library; a failing receiver is retried, recorded as failed, and the run still succeeds."""

from __future__ import annotations

import base64
import os
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from service.config import Settings
from service.db import Database
from service.runs import flow
from service.runs.executor import ForegroundExecutor
from service.runs.models import Run
from service.runs.schemas import RunStatus
from service.runs.service import create_run
from service.shifts.alerts import after_run_succeeded
from service.shifts.models import PersonaAlert
from tests.service.conftest import auth
from tests.service.shifts.planted import (
    AFTER,
    AVOID,
    BEFORE,
    FRESH,
    GROWTH,
    LABELS,
    OLD,
    STEADY,
    store_after,
    store_before,
    store_shift,
    store_unchanged,
)
from tests.service.shifts.receiver import receiver

SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()


def alert_settings(settings: Settings, url: str, **changes: Any) -> Settings:
    update = {"alert_webhook_url": url, "alert_webhook_secret": SecretStr(SECRET), "alert_backoff_s": 0.01}
    return settings.model_copy(update={**update, **changes})


def wait_for_delivery(database: Database, alert_id: str, timeout: float = 20.0) -> PersonaAlert:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.transaction(write=False) as session:
            alert = session.get_one(PersonaAlert, alert_id)
            if alert.status != "pending":
                session.expunge(alert)
                return alert
        time.sleep(0.05)
    raise AssertionError("the alert was not delivered in time")


def test_one_signed_event_names_the_shift(
    client: TestClient, db: Database, settings: Settings, keys: dict[str, str]
) -> None:
    store_shift(db)
    with receiver() as received:
        configured = alert_settings(settings, received.url)
        alert_id = after_run_succeeded(db, AFTER, configured)
        assert alert_id is not None
        assert wait_for_delivery(db, alert_id).status == "sent"
        assert after_run_succeeded(db, AFTER, configured) is None  # one event per run, however often asked
        time.sleep(0.2)
    assert len(received.requests) == 1
    headers, body = received.requests[0]
    event = Webhook(SECRET).verify(body, headers)
    assert headers["webhook-id"] == alert_id
    assert event["type"] == "personas.shifted"
    data = event["data"]
    assert (data["run_id"], data["previous_run_id"]) == (AFTER, BEFORE)
    assert data["report_url"].endswith(f"/v1/runs/{AFTER}/report")
    fired = {(c["rule"], c["persona_id"]) for c in data["changes"]}
    assert fired == {
        ("share", GROWTH),
        ("share", AVOID),
        ("cost", STEADY),
        ("new", FRESH),
        ("gone", OLD),
        ("core_growth_to_c", AVOID),
    }
    share = next(c for c in data["changes"] if c["rule"] == "share" and c["persona_id"] == AVOID)
    assert (share["before"], share["after"]) == (0.1, round(30 / 110, 4))
    assert f"“{LABELS[AVOID]}” grew from 10.0% to 27.3% of customers" in event["text"]
    assert (
        f"Cost to serve per customer of “{LABELS[STEADY]}” rose 25%, from 200.00 to 250.00" in event["text"]
    )
    assert "10 core-growth customers (20% of them) now talk like" in event["text"]
    listed = client.get("/v1/alerts", headers=auth(keys["read"])).json()["items"]
    assert [(a["id"], a["status"], a["attempts"], a["last_error"]) for a in listed] == [
        (alert_id, "sent", 1, None)
    ]


def test_failing_receiver_is_retried_and_the_run_still_succeeds(
    client: TestClient,
    db: Database,
    settings: Settings,
    keys: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store_before(db)
    with db.transaction() as session:
        run_id = create_run(session, params={}).id
    # A fake discovery step (this test is about the run's success path, not discovery): it stores the
    # planted later run's results for the run being executed.
    monkeypatch.setattr(
        flow, "_execute", lambda database, rid, **_: store_after(database, rid, existing=True)
    )
    with receiver(status=500) as received:
        configured = alert_settings(settings, received.url, alert_attempts=3)
        assert flow.execute_run(db, run_id, embedder=None, settings=configured) is True  # type: ignore[arg-type]
        with db.transaction(write=False) as session:
            assert session.get_one(Run, run_id).status == RunStatus.succeeded
            alert_id = session.scalar(select(PersonaAlert.id).where(PersonaAlert.run_id == run_id))
        alert = wait_for_delivery(db, alert_id)
    assert (alert.status, alert.attempts, alert.last_error) == ("failed", 3, "HTTP 500")
    assert len(received.requests) == 3
    assert {h["webhook-id"] for h, _ in received.requests} == {alert_id}  # a retry is the same event
    for headers, body in received.requests:
        assert Webhook(SECRET).verify(body, headers)["data"]["run_id"] == run_id
    listed = client.get("/v1/alerts", headers=auth(keys["read"])).json()["items"]
    assert [(a["status"], a["attempts"], a["last_error"]) for a in listed] == [("failed", 3, "HTTP 500")]


def test_no_event_when_nothing_fires_or_alerts_are_off(db: Database, settings: Settings) -> None:
    store_before(db)
    with receiver() as received:
        configured = alert_settings(settings, received.url)
        assert (
            after_run_succeeded(db, BEFORE, configured) is None
        )  # the first run has nothing to compare with
        store_unchanged(db, "run0shift0unchanged0000000000003")
        assert after_run_succeeded(db, "run0shift0unchanged0000000000003", configured) is None
        store_after(db)
        assert after_run_succeeded(db, AFTER, settings) is None  # no URL configured: alerts are off
        time.sleep(0.2)
    assert received.requests == []
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(PersonaAlert)) == 0


def test_unreachable_receiver_is_recorded(db: Database, settings: Settings) -> None:
    store_shift(db)
    configured = alert_settings(settings, "http://127.0.0.1:9/nothing-listens", alert_attempts=2)
    alert_id = after_run_succeeded(db, AFTER, configured)
    assert alert_id is not None
    alert = wait_for_delivery(db, alert_id)
    assert alert.status == "failed" and alert.attempts == 2
    assert alert.last_error is not None and alert.last_error.startswith("ConnectError")


def test_a_short_lived_process_waits_for_its_deliveries(db: Database, settings: Settings) -> None:
    """`personas run --wait` stops its executor before exiting: the delivery must be over by then."""
    store_shift(db)
    with receiver(status=503) as received:
        # two attempts 0.3 s apart: without waiting, stop() would return while the alert is still pending
        configured = alert_settings(settings, received.url, alert_attempts=2, alert_backoff_s=0.3)
        alert_id = after_run_succeeded(db, AFTER, configured)
        ForegroundExecutor(db, settings).stop()
        with db.transaction(write=False) as session:
            alert = session.get_one(PersonaAlert, alert_id)
            assert (alert.status, alert.attempts, alert.last_error) == ("failed", 2, "HTTP 503")
    assert len(received.requests) == 2
