"""Scheduled runs: the cron expression decides when, and a tick that finds a run queued or running starts
nothing (at most one scheduled run at a time)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.config import Settings
from service.db import Database
from service.runs.executor import InlineExecutor
from service.runs.models import Run
from service.runs.schedule import RunSchedule, beat_schedule, next_time, start_if_idle
from service.runs.schemas import RunStatus
from service.runs.service import create_run


def test_next_time_follows_the_cron_expression() -> None:
    monday_six = next_time("0 6 * * 1", datetime(2026, 11, 30, 6, 0, 30, tzinfo=UTC))
    assert monday_six == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert next_time("*/15 * * * *", datetime(2026, 11, 30, 6, 7, tzinfo=UTC)).minute == 15


def test_a_tick_queues_a_run_only_when_none_is_active(db: Database) -> None:
    submitted: list[str] = []
    first = start_if_idle(db, submitted.append)
    assert first is not None and submitted == [first]
    assert start_if_idle(db, submitted.append) is None  # the first one is still queued
    with db.transaction() as session:
        session.get_one(Run, first).status = RunStatus.running
    assert start_if_idle(db, submitted.append) is None
    with db.transaction() as session:
        session.get_one(Run, first).status = RunStatus.succeeded
    second = start_if_idle(db, submitted.append)
    assert second is not None and submitted == [first, second]
    with db.transaction(write=False) as session:
        params = session.get_one(Run, second).params
        audited = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert (params["min_personas"], params["max_personas"]) == (2, 4)
    # Each scheduled run is in the audit log as started by the schedule; skipped ticks leave no trace.
    assert [(e.action, e.actor, e.target) for e in audited] == [
        ("run.started", "schedule", first),
        ("run.started", "schedule", second),
    ]


def test_the_thread_starts_a_run_when_the_time_comes(db: Database) -> None:
    now = [datetime(2026, 11, 30, 5, 59, 50, tzinfo=UTC)]
    submitted: list[str] = []
    fired = threading.Event()

    def submit(run_id: str) -> None:
        submitted.append(run_id)
        fired.set()

    schedule = RunSchedule(db, "0 6 * * *", submit, clock=lambda: now[0], poll_s=0.02)
    schedule.start()
    try:
        time.sleep(0.3)
        assert submitted == []  # 06:00 has not come
        now[0] = datetime(2026, 11, 30, 6, 0, 1, tzinfo=UTC)
        assert fired.wait(5)
        time.sleep(0.2)  # later polls within the same minute start nothing more
    finally:
        schedule.stop()
    with db.transaction(write=False) as session:
        queued = list(session.scalars(select(Run.id).where(Run.status == RunStatus.queued)))
    assert queued == submitted and len(submitted) == 1


def test_an_active_run_blocks_the_scheduled_one(db: Database) -> None:
    with db.transaction() as session:
        create_run(session, params={})
    assert start_if_idle(db, None) is None


def test_celery_beat_entry() -> None:
    entry = beat_schedule("30 6 * * 1")["personas-scheduled-run"]
    assert entry["task"] == "personas.scheduled_run"
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {30}
    assert entry["schedule"].day_of_week == {1}


def test_the_inline_executor_runs_the_schedule(db: Database, settings: Settings) -> None:
    executor = InlineExecutor(db, settings.model_copy(update={"run_schedule": "0 6 * * 1"}))
    executor.start()
    try:
        names = {t.name for t in threading.enumerate()}
        assert "personas-schedule" in names
    finally:
        executor.stop()
    assert "personas-schedule" not in {t.name for t in threading.enumerate()}


def test_a_run_started_meanwhile_makes_the_tick_a_skip(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process may queue a run between the tick's idle check and its create (two replicas, or an API
    request): the create's duplicate rule then refuses, and the tick is a skip, not an error."""
    from service.domain_errors import Conflict
    from service.runs import service as runs

    def refuse(*_: object, **__: object) -> Run:
        raise Conflict("An identical run is queued or running.")

    monkeypatch.setattr(runs, "create_run", refuse)
    submitted: list[str] = []
    assert start_if_idle(db, submitted.append) is None and submitted == []
