"""Database faults simulated in process, on whichever backend the suite runs: a commit lost in the session
teardown, a database server that never answers, and a run whose database drops while it works."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from service.app import create_app
from service.config import Settings
from service.db import CONNECT_TIMEOUT_S, Database
from service.ingest.schemas import TranscriptIn
from service.ingest.service import API_SOURCE, store_transcripts
from service.runs import flow
from service.runs.models import Run
from service.runs.service import create_run
from tests.service.builders import batch, transcript_payload
from tests.service.conftest import auth, make_key
from tests.service.reliability.conftest import stored_counts


class NoExecutor:
    def submit(self, run_id: str) -> None: ...

    def transcripts_stored(self, ids: list[int]) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def _lost(statement: str) -> DBAPIError:
    return OperationalError(statement, None, ConnectionError("server closed the connection unexpectedly"))


def _closed(statement: str) -> DBAPIError:
    return InterfaceError(
        statement, None, ConnectionError("the connection is closed"), connection_invalidated=True
    )


@pytest.mark.parametrize("error", [_lost, _closed], ids=["operational", "invalidated"])
def test_a_failing_commit_in_the_session_teardown_is_a_503_not_a_2xx(
    db: Database, settings: Settings, error: Any
) -> None:
    """The request-scoped session commits after the handler returned: a connection lost there must not be
    acknowledged (the data is not durable) and must be the same 503 problem as any other outage."""
    key = make_key(db, "ingest")
    failing = threading.Event()

    def lose_connection(_: Any) -> None:
        if failing.is_set():
            raise error("COMMIT")

    event.listen(db.write_engine, "commit", lose_connection)
    try:
        with TestClient(create_app(settings, db, NoExecutor()), raise_server_exceptions=False) as client:
            failing.set()
            body = batch(transcript_payload("never-acked"))
            response = client.post("/v1/transcripts", json=body, headers=auth(key))
            failing.clear()
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["status"] == 503 and response.headers.get("retry-after")
            assert "never-acked" not in stored_counts(db.url)
            again = client.post("/v1/transcripts", json=body, headers=auth(key))
            assert again.status_code == 202 and again.json()["accepted"] == 1
    finally:
        failing.clear()
        event.remove(db.write_engine, "commit", lose_connection)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port that completes TCP handshakes (the kernel's backlog) and then never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


def test_a_database_server_that_never_answers_gives_503_in_bounded_time(silent_server: int) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/personas"
    database = Database.from_url(url)
    outcome: dict[str, Any] = {}

    def call() -> None:
        app = create_app(Settings(database_url=url, webhook_secrets={}), database, NoExecutor())
        with TestClient(app, raise_server_exceptions=False) as client:
            started = time.monotonic()
            response = client.get("/v1/transcripts", headers=auth("pk_" + "x" * 40))
            outcome.update(response=response, elapsed=time.monotonic() - started)

    caller = threading.Thread(target=call, daemon=True)  # without a connect timeout it would wait for ever
    caller.start()
    caller.join(timeout=CONNECT_TIMEOUT_S + 15)
    database.dispose()
    assert not caller.is_alive(), "the request hung on a database that never answers"
    response = outcome["response"]
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert outcome["elapsed"] < CONNECT_TIMEOUT_S + 5


class OutageDuringEmbedding:
    """An embedder during whose work the database goes away for `seconds`."""

    model_name = "outage-test-model"

    def __init__(self, outage: threading.Event, seconds: float) -> None:
        self.outage, self.seconds = outage, seconds

    def embed(self, texts: list[str]) -> np.ndarray:
        self.outage.set()
        threading.Timer(self.seconds, self.outage.clear).start()
        vectors = np.ones((len(texts), 8), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_run_whose_database_drops_mid_run_still_ends_failed(db: Database, settings: Settings) -> None:
    """Without retrying, recording the failure fails too and the run stays `running` until a restart."""
    with db.transaction() as session:
        store_transcripts(session, source=API_SOURCE, transcripts=[TranscriptIn(**transcript_payload("r-1"))])
        run_id = create_run(session, params={}).id
    outage = threading.Event()

    def refuse(*_: Any) -> None:
        if outage.is_set():
            raise OperationalError("statement", None, ConnectionRefusedError("connection refused"))

    engines = {id(e): e for e in (db.read_engine, db.write_engine)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", refuse)
    try:
        started = time.monotonic()
        succeeded = flow.execute_run(
            db, run_id, embedder=OutageDuringEmbedding(outage, 1.5), settings=settings
        )
        elapsed = time.monotonic() - started
    finally:
        outage.clear()
        for engine in engines:
            event.remove(engine, "before_cursor_execute", refuse)
    assert succeeded is False
    with db.transaction(write=False) as session:
        run = session.get(Run, run_id)
        assert run is not None
        assert run.status == "failed" and run.finished_at is not None
        assert run.error is not None and run.error.startswith("OperationalError")
    assert elapsed < 15
