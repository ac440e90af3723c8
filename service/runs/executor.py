"""Where runs execute: `inline` (one worker thread in the API process) or `celery` (`personas worker`)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from functools import lru_cache
from typing import Protocol

from pipelines.embed import Embedder, SentenceTransformerEmbedder
from pipelines.warmup import warm_up
from service.config import DEFAULT_EMBEDDING_BACKEND, Settings
from service.db import Database
from service.runs import flow, service

log = logging.getLogger("personas.executor")
POLL_SECONDS = 2.0
_warm_up_lock = threading.Lock()
_warmed_up = False


@lru_cache(maxsize=2)
def shared_embedder(model: str | None, backend: str = DEFAULT_EMBEDDING_BACKEND) -> Embedder:
    """One embedder per process, model and backend: loading it costs seconds, embedding reuses it."""
    return SentenceTransformerEmbedder(model, backend=backend)


def warm_up_once(settings: Settings) -> bool:
    """Load the embedder and compile the clustering kernels, once per process, unless PERSONAS_WARM_UP=false.

    Returns whether this call did the work. A failure is logged, never raised: the first run then pays.
    """
    global _warmed_up
    if not settings.warm_up:
        return False
    with _warm_up_lock:
        if _warmed_up:
            return False
        _warmed_up = True
        clock = time.perf_counter()
        try:
            steps = warm_up(shared_embedder(settings.embedding_model, settings.embedding_backend))
        except Exception:
            log.warning("warm-up failed; the first run will load and compile instead", exc_info=True)
            return False
        log.info(
            "worker warmed up",
            extra={
                "seconds": round(time.perf_counter() - clock, 2),
                **{k: round(v, 2) for k, v in steps.items()},
            },
        )
        return True


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

    def start(self) -> None:
        self._recover()
        self._thread = threading.Thread(target=self._work, name="personas-runs", daemon=True)
        self._thread.start()

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
                # Runs queued by another process (e.g. `personas run`) are found by looking now and then.
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


def make_executor(database: Database, settings: Settings) -> Executor:
    if settings.queue == "celery":
        return CeleryExecutor(database, settings)
    return InlineExecutor(database, settings)
