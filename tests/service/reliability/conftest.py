"""Helpers for reliability tests: a real `personas serve` subprocess on a free loopback port, kill -9 included.

Each test gets its own database: a fresh SQLite file, or (when PERSONAS_TEST_DATABASE_URL names PostgreSQL) a
private schema of that database, dropped and migrated with `personas db upgrade`. A private schema rather than
`public` keeps the session-wide test database of tests/service/conftest.py (and anyone else using it) intact.
"""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from service.db import Database
from service.ingest.models import Transcript

REPO = Path(__file__).resolve().parents[3]
ADMIN_KEY = "reliability-admin-key-0123456789"
START_TIMEOUT = 90.0


def pg_test_url() -> str | None:
    url = os.environ.get("PERSONAS_TEST_DATABASE_URL", "")
    return url if url.startswith("postgres") else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def auth(key: str = ADMIN_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def fresh_postgres_schema(base_url: str, schema: str) -> str:
    """Drop and recreate `schema`, migrate it with `personas db upgrade`; the URL that uses it."""
    engine = create_engine(Database.from_url(base_url).url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in base_url else "?"
    url = f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"
    subprocess.run(
        [sys.executable, "-m", "service.cli", "db", "upgrade"],
        cwd=REPO,
        env=server_env(url),
        check=True,
        capture_output=True,
        timeout=120,
    )
    return url


def drop_postgres_schema(base_url: str, schema: str) -> None:
    engine = create_engine(Database.from_url(base_url).url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONAS_")}
    env.update(
        PERSONAS_DATABASE_URL=database_url,
        PERSONAS_BOOTSTRAP_ADMIN_KEY=ADMIN_KEY,
        # No start-up compile competing with the faults and load these tests apply; pass it back via extra.
        PERSONAS_WARM_UP="false",
        # Runs embed what they need: the crash tests count what a run embedded (tests/service/embedding covers
        # embedding in the background).
        PERSONAS_EMBED_IN_BACKGROUND="false",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """One `python -m service.cli serve` process; its combined stdout/stderr go to `log_path`."""

    database_url: str
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> Server:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.port = free_port()
        log = self.log_path.open("ab")
        log.write(f"\n=== start on port {self.port} at {time.time():.3f}\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO,
            env=server_env(self.database_url, **self.extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server did not answer /healthz in {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, like a crashed host process or an OOM kill."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (graceful), SIGKILL if it does not go within 15 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_text()[-chars:]


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Any]:
    """Makes Server objects; every process still running at the end of the test is killed."""
    servers: list[Server] = []

    def make(database_url: str, **extra_env: str) -> Server:
        server = Server(database_url, tmp_path / f"server-{len(servers)}.log", dict(extra_env))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.kill()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test: an SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reliability.db'}"  # `serve` migrates SQLite itself
        return
    base = pg_test_url()
    if base is None:
        pytest.skip("PERSONAS_TEST_DATABASE_URL is not a PostgreSQL URL")
    schema = f"reliability_{uuid.uuid4().hex[:8]}"
    yield fresh_postgres_schema(base, schema)
    drop_postgres_schema(base, schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reliability.db'}"


def stored_counts(database_url: str) -> dict[str, int]:
    """external_id -> number of stored rows, read straight from the database."""
    database = Database.from_url(database_url)
    try:
        with database.transaction(write=False) as session:
            query = select(Transcript.external_id, func.count()).group_by(Transcript.external_id)
            return {external_id: int(n) for external_id, n in session.execute(query)}
    finally:
        database.dispose()


def postgres_cluster(url: str) -> tuple[str, str] | None:
    """(version, name) of the local cluster serving the URL's port, from `pg_lsclusters`; None if unknown or
    if this user may not start and stop it (root or the cluster's owner may)."""
    port = make_url(url).port or 5432
    try:
        listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[2] == str(port):
            return (parts[0], parts[1]) if os.geteuid() == 0 or parts[4] == getpass.getuser() else None
    return None
