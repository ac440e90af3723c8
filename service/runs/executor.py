"""Where runs execute: `inline` (one worker thread in the API process) or `celery` (`personas worker`)."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Protocol

from service.audit.schemas import AuditAction
from service.audit.service import record
from service.config import Settings
from service.db import Database
from service.retention.schedule import DailyPurge
from service.runs import flow, service
from service.runs.schedule import RunSchedule
from service.runs.schemas import RunCreate
from service.runs.worker import shared_embedder, warm_up_once
from service.shifts.alerts import wait_for_deliveries

log = logging.getLogger("personas.executor")
POLL_SECONDS = 2.0


class Executor(Protocol):
    def submit(self, run_id: str) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class InlineExecutor:
    """At most one run at a time on a daemon thread; the next queued run waits its turn."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database, self.settings = database, settings
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._recovered = False
        self._schedule: RunSchedule | None = None
        self.purge = DailyPurge(database, settings)

    def start(self) -> None:
        self._recover()
        self._thread = threading.Thread(target=self._work, name="personas-runs", daemon=True)
        self._thread.start()
        if self.settings.run_schedule:
            self._schedule = RunSchedule(self.database, self.settings.run_schedule, submit=self.submit)
            self._schedule.start()

    def _recover(self) -> bool:
        """Fail runs a dead process left running (this process runs them all); False if the database is down."""
        try:
            with self.database.transaction() as session:
                stale = service.recover_stale_runs(session)
        except Exception:
            log.warning("could not check for interrupted runs; will retry", exc_info=True)
            return False
        if stale:
            log.warning("marked interrupted runs failed", extra={"runs": stale})
        self._recovered = True
        return True

    def submit(self, run_id: str) -> None:
        self._queue.put(run_id)

    def stop(self) -> None:
        if self._schedule is not None:
            self._schedule.stop()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)

    def _work(self) -> None:
        # Runs queue up meanwhile; the first of them then starts warm instead of compiling for ~10 s.
        warm_up_once(self.settings)
        while True:
            try:
                run_id = self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                # While idle: the daily retention purge, and runs queued by another process (e.g. `personas run`).
                self.purge.tick()
                run_id = self._next_queued()
                if run_id is None:
                    continue
            if run_id is None:
                return
            try:
                embedder = shared_embedder(self.settings.embedding_model, self.settings.embedding_backend)
                flow.execute_run(self.database, run_id, embedder=embedder, settings=self.settings)
            except Exception:  # the database may be down; the thread must survive to run the next one
                log.exception("run could not be executed", extra={"run_id": run_id})

    def _next_queued(self) -> str | None:
        if not self._recovered and not self._recover():
            return None
        try:
            with self.database.transaction(write=False) as session:
                waiting = service.queued_run_ids(session)
        except Exception:
            return None
        return waiting[0] if waiting else None


class CeleryExecutor:
    """Hands runs to Celery workers through the broker; workers mark silent runs failed on start."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database, self.settings = database, settings

    def start(self) -> None:
        pass

    def submit(self, run_id: str) -> None:
        from service.runs.tasks import run_discovery

        run_discovery.delay(run_id)

    def stop(self) -> None:
        pass


class ForegroundExecutor:
    """Runs each submitted run now, on a thread of this process (`personas run --wait`, `personas demo`);
    `stop` waits for them to end."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database, self.settings = database, settings
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        pass

    def submit(self, run_id: str) -> None:
        embedder = shared_embedder(self.settings.embedding_model, self.settings.embedding_backend)
        thread = threading.Thread(
            target=flow.execute_run,
            args=(self.database, run_id),
            kwargs={"embedder": embedder, "settings": self.settings},
            name=f"personas-run-{run_id[:8]}",
            daemon=True,
        )
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        for thread in self._threads:
            thread.join()
        wait_for_deliveries()


def make_executor(database: Database, settings: Settings) -> Executor:
    if settings.queue == "celery":
        return CeleryExecutor(database, settings)
    return InlineExecutor(database, settings)


def start_run(
    database: Database,
    executor: Executor | None,
    params: RunCreate,
    key_id: int | None = None,
    *,
    max_queued: int | None = None,
) -> str:
    """Queue a run in its own committed transaction (the executor's session must see it), then hand it over.
    Without an executor, a running `personas serve` (or a Celery worker) picks the queued run up.
    Conflict if an identical run is queued or running, TooBusy once `max_queued` runs wait."""
    with database.transaction() as session:
        params_json = params.model_dump(mode="json", exclude_none=True)
        run_id = service.create_run(session, params=params_json, max_queued=max_queued).id
        record(session, AuditAction.RUN_STARTED, key_id=key_id, target=run_id)
    if executor is not None:
        executor.submit(run_id)
    return run_id
