"""A real `personas worker` process on the local Redis, for the tests of the Celery executor and its tasks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


# Every module that starts a worker: marked `celery`, skipped with the reason where Redis is absent.
CELERY_MARKS = [
    pytest.mark.celery,
    pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379 for the Celery broker"),
]


@contextmanager
def celery_worker(
    database_url: str, broker: str, log_path: Path, *, name: str = "worker", flush: bool = True, **env: str
) -> Iterator[None]:
    """A worker (node `name`) on an emptied broker database (each test module uses its own; `flush=False` for
    a second worker on the same one), stopped on exit. No background embedding unless `env` turns it on."""
    import redis

    if flush:
        redis.Redis.from_url(broker).flushdb()
    environment = {
        **os.environ,
        "PERSONAS_DATABASE_URL": database_url,
        "PERSONAS_BROKER_URL": broker,
        "PERSONAS_QUEUE": "celery",
        "PERSONAS_EMBED_IN_BACKGROUND": "false",
        **env,
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker", "--name", name],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
