"""With the Celery executor, an alert is delivered by a real `personas worker` process (the task is sent by
name through the local Redis), signed and recorded like the inline executor's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.config import Settings
from service.db import Database
from service.shifts.alerts import after_run_succeeded
from tests.service.runs.test_celery_executor import redis_available
from tests.service.shifts.planted import AFTER, store_shift
from tests.service.shifts.receiver import Received, receiver
from tests.service.shifts.test_alerts import SECRET, alert_settings, wait_for_delivery

# Its own Redis database: the run executor's Celery test flushes the one it uses.
BROKER = "redis://127.0.0.1:6379/14"

pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379 for the Celery broker"),
]


@pytest.fixture
def worker_receiver(database_url: str, tmp_path: Path) -> Iterator[Received]:
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    with receiver() as received:
        env = dict(
            os.environ,
            PERSONAS_DATABASE_URL=database_url,
            PERSONAS_BROKER_URL=BROKER,
            PERSONAS_QUEUE="celery",
            PERSONAS_WARM_UP="false",
            PERSONAS_ALERT_WEBHOOK_URL=received.url,
            PERSONAS_ALERT_WEBHOOK_SECRET=SECRET,
        )
        log = (tmp_path / "worker.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield received
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


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
