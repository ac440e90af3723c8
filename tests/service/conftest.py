"""Service test fixtures: a database migrated by Alembic once per session, emptied after each test.

SQLite by default; PostgreSQL when PERSONAS_TEST_DATABASE_URL is set. Tests commit for real (concurrency
tests need it), so isolation comes from emptying every table after each test rather than a rollback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from service import migrate
from service.app import create_app
from service.auth.service import create_key
from service.config import Settings, get_settings
from service.db import Database
from service.models import Base


def _reset_postgres(url: str) -> None:
    database = Database.from_url(url)
    with database.write_engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    database.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("PERSONAS_TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


def empty_database(database: Database) -> None:
    """Every row gone but the install's key-hash secret, which stays as it does in a real install: processes
    cache it (service/auth/hashing.py), and a server process started by a later test must hash keys with the
    same secret as the test process that made them (deleting it made a later test's keys 401)."""
    with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "install_secrets":
                session.execute(table.delete())


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    """The migrated test database, emptied after the test."""
    yield database
    empty_database(database)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No warm-up: each test app would otherwise start compiling in the background (tests/pipelines/test_warmup.py
    # and tests/service/runs/test_warm_up.py cover it). No background embedding: a test's counts would depend on
    # how far the worker thread got (tests/service/embedding covers it).
    return Settings(
        database_url=database_url,
        max_body_bytes=2 * 1024 * 1024,
        max_turn_chars=5000,
        webhook_secrets={},
        warm_up=False,
        embed_in_background=False,
    )


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    """The `personas` CLI, run in this process, uses the test database (its settings are read afresh)."""
    monkeypatch.setenv("PERSONAS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def make_key(database: Database, scope: str, name: str | None = None) -> str:
    with database.transaction() as session:
        _, value = create_key(session, name=name or f"test-{scope}", scope=scope)
    return value


@pytest.fixture
def keys(db: Database) -> dict[str, str]:
    """One key per scope, as `Authorization` headers."""
    return {scope: make_key(db, scope) for scope in ("read", "ingest", "admin")}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[str]:
    """The app served by a real uvicorn in a thread (for concurrency tests); yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from service.cli.server import server_config  # the settings `personas serve` runs with

    config = server_config(create_app(settings, db), host="127.0.0.1", port=port)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
