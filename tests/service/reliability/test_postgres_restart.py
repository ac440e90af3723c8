"""PostgreSQL goes away under load and comes back: the service answers 503 problem+json meanwhile (never a 500,
never a hang) and recovers by itself, without a restart of its own."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.service.builders import batch, transcript_payload
from tests.service.reliability.conftest import (
    Server,
    auth,
    drop_postgres_schema,
    fresh_postgres_schema,
    pg_test_url,
    postgres_cluster,
    stored_counts,
)

CLIENT_TIMEOUT = 10.0
OUTAGE_S = 4.0
RECOVERY_LIMIT_S = 20.0


@dataclass
class Probe:
    endpoint: str
    started: float
    elapsed: float
    status: int | None
    content_type: str
    error: str | None = None
    ids: tuple[str, ...] = ()
    retry_after: str | None = None


def _pg_ctl(cluster: tuple[str, str], action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", "--mode=fast", *cluster, action],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _ensure_running(cluster: tuple[str, str]) -> None:
    status = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "status"], capture_output=True, timeout=30
    )
    if status.returncode != 0:  # 3: not running
        _pg_ctl(cluster, "start")


@pytest.fixture
def pg_cluster_url() -> Iterator[tuple[str, tuple[str, str]]]:
    base = pg_test_url()
    if base is None:
        pytest.skip("PERSONAS_TEST_DATABASE_URL is not a PostgreSQL URL")
    cluster = postgres_cluster(base)
    if cluster is None or shutil.which("pg_ctlcluster") is None:
        pytest.skip("the PostgreSQL cluster of PERSONAS_TEST_DATABASE_URL is not a local pg_ctlcluster one")
    schema = f"reliability_{uuid.uuid4().hex[:8]}"
    yield fresh_postgres_schema(base, schema), cluster
    drop_postgres_schema(base, schema)


def _prober(server: Server, endpoint: str, probes: list[Probe], stop: threading.Event, worker: int) -> None:
    """One request after another (bounded: stops on `stop` or after 2,000 requests)."""
    with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT, headers=auth()) as http:
        for seq in range(2000):
            if stop.is_set():
                return
            ids: tuple[str, ...] = ()
            started = time.monotonic()
            try:
                if endpoint == "ingest":
                    ids = tuple(f"pg-{worker}-{seq}-{i}" for i in range(5))
                    response = http.post("/v1/transcripts", json=batch(*(transcript_payload(t) for t in ids)))
                elif endpoint == "list":
                    response = http.get("/v1/transcripts", params={"limit": 20})
                else:
                    response = http.get("/readyz")
                probe = Probe(
                    endpoint,
                    started,
                    time.monotonic() - started,
                    response.status_code,
                    response.headers.get("content-type", ""),
                    ids=ids,
                    retry_after=response.headers.get("retry-after"),
                )
            except httpx.HTTPError as exc:
                probe = Probe(
                    endpoint, started, time.monotonic() - started, None, "", type(exc).__name__, ids
                )
            probes.append(probe)
            time.sleep(0.05)


@pytest.mark.slow
def test_postgres_restart_gives_503_then_recovers(
    pg_cluster_url: tuple[str, tuple[str, str]], server_factory: Any
) -> None:
    url, cluster = pg_cluster_url
    server: Server = server_factory(url).start()
    with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT, headers=auth()) as http:
        assert http.get("/readyz").status_code == 200
        assert http.post("/v1/transcripts", json=batch(transcript_payload("before"))).status_code == 202

    probes: list[Probe] = []
    stop = threading.Event()
    workers = [
        threading.Thread(target=_prober, args=(server, endpoint, probes, stop, n), daemon=True)
        for n, endpoint in enumerate(["ingest", "ingest", "list", "readyz"])
    ]
    for thread in workers:
        thread.start()
    recovered_at = None
    try:
        time.sleep(1.0)
        down_at = time.monotonic()
        _pg_ctl(cluster, "stop")
        time.sleep(OUTAGE_S)
        _pg_ctl(cluster, "start")
        up_at = time.monotonic()
        with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT, headers=auth()) as http:
            while time.monotonic() - up_at < RECOVERY_LIMIT_S:
                ready = http.get("/readyz").status_code == 200
                if (
                    ready
                    and http.post("/v1/transcripts", json=batch(transcript_payload("after"))).status_code
                    == 202
                ):
                    recovered_at = time.monotonic()
                    break
                time.sleep(0.2)
        time.sleep(2.0)  # keep probing a little after recovery
    finally:
        stop.set()
        _ensure_running(cluster)
        for thread in workers:
            thread.join(timeout=CLIENT_TIMEOUT + 5)

    assert recovered_at is not None, f"not recovered {RECOVERY_LIMIT_S} s after PostgreSQL was back"
    statuses = Counter((p.endpoint, p.status) for p in probes)
    during = [p for p in probes if down_at <= p.started <= up_at]
    print(
        f"\n{len(probes)} requests: {dict(statuses)}; outage {up_at - down_at:.1f} s with {len(during)} requests; "
        f"recovered {recovered_at - up_at:.2f} s after start; slowest {max(p.elapsed for p in probes):.2f} s"
    )
    assert not [p for p in probes if p.status is None], "requests without an answer (hang or reset)"
    assert all(p.elapsed < CLIENT_TIMEOUT for p in probes)
    assert {p.status for p in probes} <= {200, 202, 503}, statuses
    for p in probes:
        if p.status == 503 and p.endpoint != "readyz":
            assert p.content_type.startswith("application/problem+json") and p.retry_after, p
    for endpoint in ("ingest", "list", "readyz"):
        assert any(p.status == 503 for p in during if p.endpoint == endpoint), f"no 503 seen for {endpoint}"
    late = [p for p in probes if p.started > recovered_at + 0.5]
    assert late and all(p.status in (200, 202) for p in late), Counter((p.endpoint, p.status) for p in late)
    stored = stored_counts(url)
    acknowledged = {i for p in probes if p.status == 202 for i in p.ids}
    assert not acknowledged - stored.keys(), "acknowledged transcripts were lost"
    log = server.log_text()
    assert "unhandled error" not in log and "Exception in ASGI application" not in log, server.log_tail()
