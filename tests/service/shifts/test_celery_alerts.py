"""With the Celery executor, an alert is delivered by a real `personas worker` process (the task is sent by
name through the local Redis), signed and recorded like the inline executor's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.config import Settings
from service.db import Database
from service.shifts.alerts import after_run_succeeded
from tests.service.celery_worker import CELERY_MARKS, celery_worker
from tests.service.shifts.planted import AFTER, store_shift
from tests.service.shifts.receiver import Received, receiver
from tests.service.shifts.test_alerts import SECRET, alert_settings, wait_for_delivery

# Its own Redis database: the run executor's Celery test flushes the one it uses.
BROKER = "redis://127.0.0.1:6379/14"

pytestmark = CELERY_MARKS


@pytest.fixture
def worker_receiver(database_url: str, tmp_path: Path) -> Iterator[Received]:
    with receiver() as received:
        alerts = {"PERSONAS_ALERT_WEBHOOK_URL": received.url, "PERSONAS_ALERT_WEBHOOK_SECRET": SECRET}
        with celery_worker(database_url, BROKER, tmp_path / "worker.log", PERSONAS_WARM_UP="false", **alerts):
            yield received


def test_a_celery_worker_delivers_the_alert(
    db: Database, settings: Settings, worker_receiver: Received
) -> None:
    from standardwebhooks.webhooks import Webhook

    store_shift(db)
    configured = alert_settings(settings, worker_receiver.url, queue="celery", broker_url=BROKER)
    alert_id = after_run_succeeded(db, AFTER, configured)
    assert alert_id is not None
    alert = wait_for_delivery(db, alert_id, timeout=90)
    assert (alert.status, alert.attempts) == ("sent", 1)
    assert len(worker_receiver.requests) == 1
    headers, body = worker_receiver.requests[0]
    assert Webhook(SECRET).verify(body, headers)["data"]["run_id"] == AFTER
