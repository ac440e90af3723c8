"""Persona-shift alerts: after a run succeeds, one event when a rule fires, signed per Standard Webhooks and
delivered with retries off the run's path (a thread for the inline executor, a Celery task for Celery).
Nothing here can fail or hold up the run: the run is committed as succeeded before any of it starts."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from pipelines.shift_rules import Finding, alert_text, findings
from service.celery_client import celery_client
from service.config import Settings
from service.db import Database
from service.runs.models import Run
from service.shifts.models import PersonaAlert
from service.shifts.service import previous_succeeded, shift_between

log = logging.getLogger("personas.alerts")
EVENT_TYPE = "personas.shifted"
DELIVER_TASK = "personas.deliver_alert"
TIMEOUT_S = 10.0
_deliveries: list[threading.Thread] = []  # delivery threads started by this process (inline executor)


def report_url(settings: Settings, run_id: str) -> str:
    return f"{settings.public_url.rstrip('/')}/v1/runs/{run_id}/report"


def event_body(*, run_id: str, previous_run_id: str, found: list[Finding], url: str) -> dict[str, Any]:
    """The event: `{type, timestamp, data: {run_id, previous_run_id, changes, report_url}, text}`."""
    return {
        "type": EVENT_TYPE,
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {
            "run_id": run_id,
            "previous_run_id": previous_run_id,
            "changes": [asdict(f) for f in found],
            "report_url": url,
        },
        "text": alert_text(found, url),
    }


def record_alert(database: Database, run_id: str, settings: Settings) -> str | None:
    """Store the event for a succeeded run if any rule fires; its id, or None (first run, nothing fired, or
    already recorded)."""
    with database.transaction() as session:
        run = session.get(Run, run_id)
        recorded = session.scalar(select(PersonaAlert.id).where(PersonaAlert.run_id == run_id))
        if run is None or recorded is not None:
            return None
        previous = previous_succeeded(session, run)
        if previous is None:
            return None
        found = findings(shift_between(session, previous, run), settings.alert_thresholds)
        if not found:
            return None
        body = event_body(
            run_id=run_id, previous_run_id=previous.id, found=found, url=report_url(settings, run_id)
        )
        alert = PersonaAlert(
            id=f"msg_{uuid.uuid4().hex}",
            run_id=run_id,
            previous_run_id=previous.id,
            status="pending",
            attempts=0,
            payload=body,
            created_at=datetime.now(UTC),
        )
        session.add(alert)
        session.flush()
        return alert.id


def signed_post(url: str, secret: str, event_id: str, payload: dict[str, Any]) -> httpx.Response:
    """POST the event with `webhook-id`, `webhook-timestamp` and `webhook-signature` (v1, HMAC-SHA256)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    moment = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, moment, body),
    }
    return httpx.post(url, content=body.encode("utf-8"), headers=headers, timeout=TIMEOUT_S)


def _attempt(url: str, secret: str, alert_id: str, payload: dict[str, Any]) -> str | None:
    """One delivery attempt: None when the receiver took it (2xx), else why not."""
    try:
        response = signed_post(url, secret, alert_id, payload)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return None if response.is_success else f"HTTP {response.status_code}"


def _note(database: Database, alert_id: str, *, status: str, error: str | None) -> None:
    with database.transaction() as session:
        alert = session.get_one(PersonaAlert, alert_id)
        alert.attempts += 1
        alert.status, alert.last_error = status, error
        if status == "sent":
            alert.sent_at = datetime.now(UTC)


def deliver(
    database: Database, settings: Settings, alert_id: str, *, sleep: Callable[[float], None] = time.sleep
) -> str:
    """Send a recorded event, retrying with exponential backoff; returns the final status (sent or failed)."""
    url, secret = settings.alert_webhook_url, settings.alert_webhook_secret
    if not url or secret is None:
        return "pending"
    with database.transaction(write=False) as session:
        payload = dict(session.get_one(PersonaAlert, alert_id).payload)
    for attempt in range(settings.alert_attempts):
        error = _attempt(url, secret.get_secret_value(), alert_id, payload)
        last = attempt == settings.alert_attempts - 1
        status = "sent" if error is None else ("failed" if last else "pending")
        _note(database, alert_id, status=status, error=error)
        if status != "pending":
            log.log(
                logging.INFO if error is None else logging.WARNING, "alert " + status, extra={"id": alert_id}
            )
            return status
        sleep(settings.alert_backoff_s * 2**attempt)
    return "failed"


def dispatch(database: Database, settings: Settings, alert_id: str) -> None:
    """Deliver off the caller's path: a Celery task with the Celery executor, else a daemon thread."""
    if settings.queue == "celery":
        # By name: the task module imports the worker's app, whose run task leads back here.
        celery_client(settings.broker_url).send_task(DELIVER_TASK, args=[alert_id])
        return
    thread = threading.Thread(
        target=deliver,
        args=(database, settings, alert_id),
        name=f"personas-alert-{alert_id[4:12]}",
        daemon=True,
    )
    _deliveries[:] = [t for t in _deliveries if t.is_alive()] + [thread]
    thread.start()


def wait_for_deliveries(timeout: float = 120.0) -> None:
    """Let this process's delivery threads finish (a short-lived `personas run --wait` exits right after the
    run, which would cut a daemon thread off and leave its alert pending)."""
    deadline = time.monotonic() + timeout
    while _deliveries:
        _deliveries.pop().join(timeout=max(deadline - time.monotonic(), 0.0))


def after_run_succeeded(database: Database, run_id: str, settings: Settings) -> str | None:
    """The hook a run's success path calls: record an event if a rule fires and hand it to delivery.
    Never raises (a failure is logged): alerts must not fail or delay the run. Returns the event id."""
    if not settings.alert_webhook_url:
        return None
    try:
        alert_id = record_alert(database, run_id, settings)
        if alert_id is not None:
            dispatch(database, settings, alert_id)
        return alert_id
    except Exception:
        log.exception("could not record or dispatch the persona-shift alert", extra={"run_id": run_id})
        return None
