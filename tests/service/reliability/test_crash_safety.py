"""kill -9 of the server mid-ingest and mid-run: acknowledged data survives, nothing is stored twice, and an
interrupted run ends `failed` (interrupted) after the restart while the next run succeeds."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pipelines.synthetic import accounts_csv, generate_company
from service.db import Database
from service.ingest.models import TranscriptEmbedding
from service.personas.models import CustomerAssignment, RunPersona
from service.runs.models import Run
from tests.service.builders import transcript_payload
from tests.service.reliability.conftest import Server, auth, stored_counts

WRITERS = 4
BATCH = 25
KILL_AFTER_S = 1.5
# Waits only catch hangs: a fresh server (no warm-up) loads the model and compiles UMAP's kernels in its first
# run, which took over 240 s on a busy 2-core machine. Nothing asserted depends on how long a run takes.
RUN_PATIENCE_S = 900


@dataclass
class Attempt:
    ids: list[str]
    status: int | None = None  # None: no answer (connection refused, reset, timed out)
    error: str | None = None


@dataclass
class Ledger:
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)

    def acknowledged(self) -> list[Attempt]:
        with self.lock:
            return [a for a in self.attempts if a.status is not None and 200 <= a.status < 300]


def _writer(server_url: str, writer: int, ledger: Ledger, stop: threading.Event) -> None:
    """Post batches of new transcripts until told to stop or the server stops answering (bounded: 400)."""
    with httpx.Client(base_url=server_url, timeout=10.0, headers=auth()) as http:
        for seq in range(400):
            if stop.is_set():
                return
            ids = [f"w{writer}-b{seq}-t{i}" for i in range(BATCH)]
            batch = {
                "transcripts": [transcript_payload(tid, f"c-{writer}-{i % 5}") for i, tid in enumerate(ids)]
            }
            attempt = Attempt(ids)
            try:
                attempt.status = http.post("/v1/transcripts", json=batch).status_code
            except httpx.HTTPError as exc:
                attempt.error = type(exc).__name__
            ledger.add(attempt)
            if attempt.status is None:
                return  # the server is gone


def _resend(server_url: str, attempts: list[Attempt]) -> tuple[int, int]:
    accepted = duplicates = 0
    with httpx.Client(base_url=server_url, timeout=30.0, headers=auth()) as http:
        for attempt in attempts:
            writer = attempt.ids[0].split("-")[0][1:]
            batch = {
                "transcripts": [
                    transcript_payload(tid, f"c-{writer}-{i % 5}") for i, tid in enumerate(attempt.ids)
                ]
            }
            response = http.post("/v1/transcripts", json=batch)
            assert response.status_code == 202, response.text
            accepted += response.json()["accepted"]
            duplicates += response.json()["duplicates"]
    return accepted, duplicates


@pytest.mark.slow
def test_kill_9_during_ingest_loses_no_acknowledged_transcript(backend_url: str, server_factory: Any) -> None:
    server: Server = server_factory(backend_url).start()
    ledger, stop = Ledger(), threading.Event()
    writers = [
        threading.Thread(target=_writer, args=(server.url, w, ledger, stop), daemon=True)
        for w in range(WRITERS)
    ]
    for thread in writers:
        thread.start()
    deadline = time.monotonic() + 60
    while not ledger.acknowledged() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ledger.acknowledged(), f"no batch was acknowledged before the kill:\n{server.log_tail()}"
    time.sleep(KILL_AFTER_S)
    server.kill()
    for thread in writers:
        thread.join(timeout=30)
    stop.set()
    assert not any(t.is_alive() for t in writers)

    attempts = list(ledger.attempts)
    acknowledged = ledger.acknowledged()
    unanswered = [a for a in attempts if a.status is None]
    other = [a for a in attempts if a.status is not None and not 200 <= a.status < 300]
    assert not other, f"answers other than 2xx before the kill: {Counter(a.status for a in other)}"

    server.start()  # same database; SQLite recovers its WAL here
    before = stored_counts(backend_url)
    sent = {tid for a in attempts for tid in a.ids}
    acked_ids = {tid for a in acknowledged for tid in a.ids}
    print(
        f"\n[{backend_url.split(':')[0]}] batches sent {len(attempts)} x {BATCH}: acknowledged {len(acknowledged)}, "
        f"unanswered {len(unanswered)} ({Counter(a.error for a in unanswered)}); transcripts sent {len(sent)}, "
        f"acknowledged {len(acked_ids)}, stored {len(before)}"
    )
    assert not (acked_ids - before.keys()), "acknowledged transcripts were lost"
    assert set(before) <= sent
    assert all(n == 1 for n in before.values()), "a transcript is stored twice"
    for attempt in unanswered:  # a batch is one transaction: all of it or none of it
        present = sum(tid in before for tid in attempt.ids)
        assert present in (0, len(attempt.ids)), f"batch stored partly: {present}/{len(attempt.ids)}"

    accepted, duplicates = _resend(server.url, attempts)
    after = stored_counts(backend_url)
    assert accepted + duplicates == len(sent)
    assert duplicates == len(before) and accepted == len(sent) - len(before)
    assert set(after) == sent and all(n == 1 for n in after.values())
    server.stop()
    assert "database is locked" not in server.log_text()


def _ingest_company(http: httpx.Client, customers: int, transcripts: int) -> int:
    company = generate_company(n_customers=customers, seed=5, n_transcripts=transcripts)
    response = http.put(
        "/v1/accounts", content=accounts_csv(company.accounts).encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    for start in range(0, len(company.transcripts), 500):
        response = http.post(
            "/v1/transcripts", json={"transcripts": company.transcripts[start : start + 500]}
        )
        assert response.status_code == 202, response.text
    return len(company.transcripts)


def _wait_for(
    http: httpx.Client, run_id: str, done: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = http.get(f"/v1/runs/{run_id}").json()
        if done(run) or run["status"] in ("succeeded", "failed"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} not there after {timeout} s: {run}")


def _past_loading(run: dict[str, Any]) -> bool:
    return run["stage"] not in (None, "loading")


def _count(database_url: str, model: Any) -> int:
    database = Database.from_url(database_url)
    try:
        with database.transaction(write=False) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        database.dispose()


@pytest.mark.slow
def test_kill_9_during_a_run_marks_it_interrupted_and_the_next_run_succeeds(
    sqlite_url: str, server_factory: Any
) -> None:
    server: Server = server_factory(sqlite_url).start()
    with httpx.Client(base_url=server.url, timeout=30.0, headers=auth()) as http:
        n_transcripts = _ingest_company(http, customers=40, transcripts=120)
        run_id = http.post("/v1/runs", json={}).json()["id"]
        # Into the embedding stage (the model loads and works there for a while): stopped mid-way.
        running = _wait_for(http, run_id, _past_loading, timeout=RUN_PATIENCE_S)
    assert running["status"] == "running", running
    server.kill()
    cached = _count(sqlite_url, TranscriptEmbedding)  # embedding batches the killed run had committed

    server.start()
    with httpx.Client(base_url=server.url, timeout=30.0, headers=auth()) as http:
        interrupted = http.get(f"/v1/runs/{run_id}").json()
        assert interrupted["status"] == "failed", interrupted
        assert "interrupted" in interrupted["error"]
        assert interrupted["finished_at"] is not None
        assert http.get("/v1/personas").status_code == 404  # nothing of the interrupted run is served

        second = http.post("/v1/runs", json={}).json()["id"]
        finished = _wait_for(http, second, lambda r: False, timeout=RUN_PATIENCE_S)
        assert finished["status"] == "succeeded", finished
        assert finished["summary"]["transcripts"] == n_transcripts
        assert http.get("/v1/personas").json()["run_id"] == second

    database = Database.from_url(sqlite_url)
    try:
        with database.transaction(write=False) as session:
            for model in (RunPersona, CustomerAssignment):
                orphans = session.scalar(
                    select(func.count()).select_from(model).where(model.run_id == run_id)
                )
                assert orphans == 0, f"{model.__name__} rows of the interrupted run"
            second_run = session.get(Run, second)
            assert second_run is not None
            newly_embedded = second_run.summary["newly_embedded"]
    finally:
        database.dispose()
    print(
        f"\nrun killed at stage {running['stage']} (progress {running['progress']:.2f}) -> failed: "
        f"{interrupted['error']!r}; {cached} embeddings were cached; the next run succeeded, embedding "
        f"{newly_embedded} of {n_transcripts}"
    )
    assert newly_embedded == n_transcripts - cached  # the interrupted run's committed embeddings are reused
