"""Sending Celery tasks by name from processes that are not workers (the API, the CLI): no import of the
worker's task modules, whose imports lead back to the run path."""

from __future__ import annotations

from functools import lru_cache

from celery import Celery


@lru_cache(maxsize=2)
def celery_client(broker_url: str) -> Celery:
    """A client app per broker: tasks are sent with `send_task(name, ...)`."""
    return Celery("personas", broker=broker_url)
