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
from service.embedding.background import Backlog, forget_claims
from service.embedding.dispatch import dispatch_chunks
from service.retention.schedule import DailyPurge
from service.runs import flow, service
from service.runs.schedule import RunSchedule
from service.runs.schemas import RunCreate
from service.runs.worker import settings_embedder, warm_up_once
from service.shifts.alerts import wait_for_deliveries

log = logging.getLogger("personas.executor")
POLL_SECONDS = 2.0


class Executor(Protocol):
    def submit(self, run_id: str) -> None: ...

    def transcripts_stored(self, ids: list[int]) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class InlineExecutor:
    """One daemon thread does the heavy work of this process, one thing at a time, so nothing competes for the
    cores: the warm-up first, then runs (the next queued one waits its turn), then the embedding backlog a
    chunk at a time; between steps it ticks the daily purge, and looks for runs other processes queued."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database, self.settings = database, settings
        self._runs: queue.Queue[str] = queue.Queue()
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._recovered = False
        self._schedule: RunSchedule | None = None
        self.purge = DailyPurge(database, settings)
        self.backlog = Backlog(database, lambda: settings_embedder(settings))

    def start(self) -> None:
        self._recover()
        self._thread = threading.Thread(target=self._work, name="personas-runs", daemon=True)
        self._thread.start()
        if self.settings.run_schedule:
            self._schedule = RunSchedule(self.database, self.settings.run_schedule, submit=self.submit)
            self._schedule.start()

    def _recover(self) -> bool:
        """Fail runs a dead process left running and drop its embedding claims (this process runs and embeds
        everything); False if the database is down."""
        try:
            with self.database.transaction() as session:
                stale = service.recover_stale_runs(session)
            forget_claims(self.database)
        except Exception:
            log.warning("could not check for interrupted runs; will retry", exc_info=True)
            return False
        if stale:
            log.warning("marked interrupted runs failed", extra={"runs": stale})
        self._recovered = True
        return True

    def submit(self, run_id: str) -> None:
        self._runs.put(run_id)
        self._wake.set()

    def transcripts_stored(self, ids: list[int]) -> None:
        if self.settings.embed_in_background:
            self.backlog.wake()
            self._wake.set()

    def stop(self) -> None:
        if self._schedule is not None:
            self._schedule.stop()
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _work(self) -> None:
        # First, before any run or chunk: loading the model and loading (or compiling) the clustering kernels
        # then never share the cores with the work; a fresh server usually waits for data meanwhile.
        warm_up_once(self.settings)
        while not self._stopping.is_set():
            self._wake.clear()  # before looking: a wake-up from now on ends the wait below at once
            if not self._step():
                self._wake.wait(POLL_SECONDS)

    def _step(self) -> bool:
        """Do one piece of work; False when there was none."""
        self.purge.tick()  # a no-op unless a day has passed; here so that a long backlog cannot hold it off
        run_id = self._next_submitted() or self._next_queued()
        if run_id is not None:
            self._execute(run_id)
            return True
        return self.settings.embed_in_background and self.backlog.step()

    def _next_submitted(self) -> str | None:
        try:
            return self._runs.get_nowait()
        except queue.Empty:
            return None

    def _execute(self, run_id: str) -> None:
        try:
            flow.execute_run(
                self.database, run_id, embedder=settings_embedder(self.settings), settings=self.settings
            )
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

    def transcripts_stored(self, ids: list[int]) -> None:
        if self.settings.embed_in_background:
            dispatch_chunks(ids, broker_url=self.settings.broker_url)

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

    def transcripts_stored(self, ids: list[int]) -> None:
        pass  # a one-off process: the run it starts embeds what it needs

    def submit(self, run_id: str) -> None:
        embedder = settings_embedder(self.settings)
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
