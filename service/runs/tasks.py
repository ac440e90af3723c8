"""Celery: the broker-backed executor's app and task (`personas worker` runs it)."""

from __future__ import annotations

import threading
from datetime import timedelta
from functools import lru_cache

from celery import Celery
from celery.signals import worker_ready

from service.config import get_settings
from service.db import Database
from service.embedding import claims
from service.retention.schedule import PURGE_EVERY, purge_now, utc_now
from service.runs import flow, service
from service.runs.schedule import SCHEDULED_TASK, beat_schedule, start_if_idle
from service.runs.worker import settings_embedder, warm_up_once

EMBED_SWEEP_TASK = "personas.embed_sweep"  # service/embedding/tasks.py
EMBED_SWEEP_EVERY_S = 60.0
settings = get_settings()
celery_app = Celery("personas", broker=settings.broker_url)
celery_app.conf.update(
    task_acks_late=True,  # a worker that dies mid-run leaves the message for another worker
    worker_prefetch_multiplier=1,
    task_reject_on_worker_lost=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,  # our JSON logs (service/logs.py), with their fields, not Celery's lines
    # Persona-shift alert delivery; background embedding (chunks on the `embed` queue, routed by the caller).
    include=["service.shifts.tasks", "service.embedding.tasks"],
    # `personas worker --beat` runs the scheduler: the retention purge once a day, and scheduled runs.
    beat_schedule={
        "personas-retention-purge": {
            "task": "personas.purge_expired",
            "schedule": PURGE_EVERY.total_seconds(),
        },
        "personas-embed-sweep": {"task": EMBED_SWEEP_TASK, "schedule": EMBED_SWEEP_EVERY_S},
        **(beat_schedule(settings.run_schedule) if settings.run_schedule else {}),
    },
)
# A running run whose heartbeat is older than this is taken to have lost its worker.
STALE_AFTER = timedelta(minutes=15)


@lru_cache(maxsize=1)
def worker_database() -> Database:
    return Database.from_url(get_settings().database_url)


@celery_app.task(name="personas.run_discovery")
def run_discovery(run_id: str) -> bool:
    current = get_settings()
    return flow.execute_run(
        worker_database(),
        run_id,
        embedder=settings_embedder(current),
        settings=current,
    )


@celery_app.task(name=SCHEDULED_TASK)
def scheduled_run() -> str | None:
    """Celery beat's tick: queue a run unless one is queued or running."""
    return start_if_idle(worker_database(), run_discovery.delay)


@celery_app.task(name="personas.purge_expired")
def purge_expired_task() -> dict[str, int]:
    """The daily retention purge (PERSONAS_RETENTION_DAYS, webhook delivery records past the replay window)."""
    return purge_now(worker_database(), get_settings(), utc_now()).model_dump()


@worker_ready.connect
def _recover(**_: object) -> None:
    # In the background, and first: the worker takes tasks at once (a run arriving meanwhile compiles
    # alongside), and warms up even when the database is not reachable yet.
    threading.Thread(
        target=warm_up_once, args=(get_settings(),), name="personas-warm-up", daemon=True
    ).start()
    with worker_database().transaction() as session:
        stale = service.recover_stale_runs(session, older_than=STALE_AFTER)
        # A dead run's claims would keep the transcripts it was embedding from everyone until the lease ends.
        claims.release_holders(session, [claims.run_token(run_id) for run_id in stale])
    # Whatever was stored while no worker listened (or whose chunk message was lost) gets queued.
    celery_app.send_task(EMBED_SWEEP_TASK)
