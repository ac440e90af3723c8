"""Scheduled runs (PERSONAS_RUN_SCHEDULE, cron syntax): a thread of the inline executor, or Celery beat.
At most one scheduled run at a time: a tick that finds a run queued or running starts nothing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cronsim import CronSim
from sqlalchemy import func, select

from service.audit.schemas import AuditAction
from service.audit.service import record
from service.db import Database
from service.domain_errors import Conflict, TooBusy
from service.runs import service
from service.runs.models import Run
from service.runs.schemas import ACTIVE_STATUSES, RunCreate

log = logging.getLogger("personas.schedule")
SCHEDULED_TASK = "personas.scheduled_run"
SCHEDULE_ACTOR = "schedule"


def next_time(expression: str, after: datetime) -> datetime:
    """The first moment after `after` that the cron expression names (evaluated in UTC)."""
    return next(CronSim(expression, after.astimezone(UTC)))


def start_if_idle(database: Database, submit: Callable[[str], None] | None) -> str | None:
    """Queue a run with the default parameters unless one is queued or running; its id, or None if skipped."""
    try:
        with database.transaction() as session:
            active = session.scalar(
                select(func.count()).select_from(Run).where(Run.status.in_(ACTIVE_STATUSES))
            )
            if active:
                log.info("scheduled run skipped: a run is queued or running")
                return None
            params = RunCreate().model_dump(mode="json", exclude_none=True)
            run_id = service.create_run(session, params=params).id
            record(session, AuditAction.RUN_STARTED, actor=SCHEDULE_ACTOR, target=run_id)
    except (Conflict, TooBusy):  # another process started one between the count and the create
        log.info("scheduled run skipped: a run was started meanwhile")
        return None
    log.info("scheduled run queued", extra={"run_id": run_id})
    if submit is not None:
        submit(run_id)
    return run_id


class RunSchedule:
    """A daemon thread that starts a run at each time the cron expression names."""

    def __init__(
        self,
        database: Database,
        expression: str,
        submit: Callable[[str], None] | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        poll_s: float = 60.0,
    ) -> None:
        self.database, self.expression, self.submit, self.clock = database, expression, submit, clock
        self.poll_s = poll_s  # the clock is re-read at least this often (it may jump: sleep, NTP)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="personas-schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        due = next_time(self.expression, self.clock())
        while not self._stop.is_set():
            wait = (due - self.clock()).total_seconds()
            if wait > 0:
                self._stop.wait(min(wait, self.poll_s))
                continue
            try:
                start_if_idle(self.database, self.submit)
            except Exception:  # the database may be down; the next tick tries again
                log.exception("scheduled run could not be queued")
            due = next_time(self.expression, self.clock())


def beat_schedule(expression: str) -> dict[str, Any]:
    """Celery beat's entry for the expression (minute hour day-of-month month day-of-week)."""
    from celery.schedules import crontab

    minute, hour, day_of_month, month_of_year, day_of_week = expression.split()
    when = crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )
    return {"personas-scheduled-run": {"task": SCHEDULED_TASK, "schedule": when}}
