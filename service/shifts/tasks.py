"""Celery: delivering a persona-shift alert from a worker (`personas worker` includes this module)."""

from __future__ import annotations

from celery import shared_task

from service.config import get_settings
from service.runs.tasks import worker_database
from service.shifts.alerts import DELIVER_TASK, deliver


@shared_task(name=DELIVER_TASK)
def deliver_alert(alert_id: str) -> str:
    """Retries with backoff inside the task: an alert is small and its receiver is usually one chat tool."""
    return deliver(worker_database(), get_settings(), alert_id)
