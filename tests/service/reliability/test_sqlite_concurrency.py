"""A soak on one SQLite file: 8 writers (transcript batches, account upserts) and 4 pollers against a real
server process. No "database is locked", no 5xx at all, and every acknowledged write is there at the end."""

from __future__ import annotations

import os
import random
import re
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from service.accounts.models import Account
from service.db import Database
from tests.service.builders import transcript_payload
from tests.service.reliability.conftest import Server, auth, stored_counts

SOAK_SECONDS = float(os.environ.get("PERSONAS_SOAK_SECONDS", "60"))
WRITERS, POLLERS = 8, 4
TRANSCRIPTS_PER_BATCH = 20
ACCOUNTS_PER_BATCH = 10
SHARED_ACCOUNTS = 5  # upserted by every writer: contention on the same rows
CLIENT_TIMEOUT = (
    60.0  # longer than SQLite's 30 s busy timeout: a lock error shows up as an answer, not a hang
)
SERVER_ERROR = re.compile(r'HTTP/1\.1" 5\d\d')


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[tuple[str, int | str]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    acknowledged_ids: set[str] = field(default_factory=set)
    revenue: dict[str, float] = field(
        default_factory=dict
    )  # each writer's own accounts: last acknowledged value
    failures: list[str] = field(default_factory=list)

    def record(self, kind: str, outcome: int | str, elapsed: float, body: str = "") -> None:
        with self.lock:
            self.statuses[(kind, outcome)] += 1
            self.latencies.setdefault(kind, []).append(elapsed)
            if outcome not in (200, 202) and len(self.failures) < 20:
                self.failures.append(f"{kind} -> {outcome}: {body[:300]}")


def _call(tally: Tally, kind: str, send: Any) -> httpx.Response | None:
    started = time.monotonic()
    try:
        response = send()
    except httpx.HTTPError as exc:
        tally.record(kind, type(exc).__name__, time.monotonic() - started)
        return None
    tally.record(kind, response.status_code, time.monotonic() - started, response.text)
    return response


def _writer(url: str, writer: int, tally: Tally, until: float) -> None:
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT, headers=auth()) as http:
        for seq in range(100_000):
            if time.monotonic() >= until:
                return
            if seq % 2 == 0:
                ids = [f"soak-{writer}-{seq}-{i}" for i in range(TRANSCRIPTS_PER_BATCH)]
                body = {
                    "transcripts": [
                        transcript_payload(t, f"cust-{writer}-{i % 7}") for i, t in enumerate(ids)
                    ]
                }
                response = _call(
                    tally, "POST transcripts", lambda b=body: http.post("/v1/transcripts", json=b)
                )
                if response is not None and response.status_code == 202:
                    # Not an assert: in a thread it would only end the thread, and pytest merely warns.
                    accepted = response.json()["accepted"]
                    with tally.lock:
                        tally.acknowledged_ids.update(ids)
                        if accepted != TRANSCRIPTS_PER_BATCH:
                            tally.failures.append(f"new batch of {len(ids)} acknowledged {accepted} accepted")
            else:
                own = {f"acct-{writer}-{k}": float(seq * 100 + k) for k in range(ACCOUNTS_PER_BATCH)}
                accounts = [{"customer_id": c, "annual_revenue": r} for c, r in own.items()]
                accounts += [
                    {
                        "customer_id": f"shared-{k}",
                        "annual_revenue": float(writer),
                        "attributes": {"w": writer},
                    }
                    for k in range(SHARED_ACCOUNTS)
                ]
                body = {"accounts": accounts}
                response = _call(tally, "PUT accounts", lambda b=body: http.put("/v1/accounts", json=b))
                if response is not None and response.status_code == 200:
                    with tally.lock:
                        tally.revenue.update(own)


def _poller(url: str, poller: int, tally: Tally, until: float) -> None:
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT, headers=auth()) as http:
        cursor = None
        for _ in range(1_000_000):
            if time.monotonic() >= until:
                return
            if poller % 2 == 0:
                params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
                response = _call(
                    tally, "GET transcripts", lambda p=params: http.get("/v1/transcripts", params=p)
                )
                if response is not None and response.status_code == 200:
                    cursor = response.json()["next_cursor"]  # walk forward through the growing table
            else:
                _call(tally, "GET readyz", lambda: http.get("/readyz"))


@pytest.mark.slow
def test_sqlite_soak_has_no_lock_errors_and_loses_no_acknowledged_write(
    sqlite_url: str, server_factory: Any
) -> None:
    server: Server = server_factory(sqlite_url).start()
    tally = Tally()
    until = time.monotonic() + SOAK_SECONDS
    threads = [threading.Thread(target=_writer, args=(server.url, w, tally, until)) for w in range(WRITERS)]
    threads += [threading.Thread(target=_poller, args=(server.url, p, tally, until)) for p in range(POLLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SOAK_SECONDS + CLIENT_TIMEOUT + 30)
    assert not any(t.is_alive() for t in threads), "a client thread is still waiting for an answer"
    server.stop()
    log = server.log_text()

    lines = [f"soak {SOAK_SECONDS:.0f} s, {WRITERS} writers + {POLLERS} pollers:"]
    for kind, values in sorted(tally.latencies.items()):
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        lines.append(
            f"  {kind}: {len(values)} requests, median {statistics.median(values) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
        )
    lines.append(f"  outcomes: {dict(tally.statuses)}")
    stored = stored_counts(sqlite_url)
    lines.append(f"  transcripts acknowledged {len(tally.acknowledged_ids)}, stored {len(stored)}")
    print("\n" + "\n".join(lines))

    assert not tally.failures, tally.failures
    assert "database is locked" not in log
    assert not SERVER_ERROR.search(log), SERVER_ERROR.findall(log)[:5]
    assert tally.statuses[("POST transcripts", 202)] > 0 and tally.statuses[("PUT accounts", 200)] > 0
    assert not tally.acknowledged_ids - stored.keys(), "acknowledged transcripts are missing"
    assert all(n == 1 for n in stored.values())
    database = Database.from_url(sqlite_url)
    try:
        with database.transaction(write=False) as session:
            revenue = dict(
                session.execute(select(Account.customer_id, Account.annual_revenue)).tuples().all()
            )
    finally:
        database.dispose()
    assert {c: revenue.get(c) for c in tally.revenue} == tally.revenue, (
        "an acknowledged account update is lost"
    )
    assert all(f"shared-{k}" in revenue for k in range(SHARED_ACCOUNTS))


@pytest.mark.slow
def test_overlapping_batches_in_any_order_neither_deadlock_nor_double_store(
    backend_url: str, server_factory: Any
) -> None:
    """Six clients send the same accounts and the same new transcripts at once, each in its own order.
    On PostgreSQL, upserts that lock shared rows in different orders deadlock (40P01) unless the service
    writes them in one order; on every backend each transcript must be accepted exactly once."""
    server: Server = server_factory(backend_url).start()
    clients, rounds = 6, 8
    barrier = threading.Barrier(clients, timeout=60)
    outcomes: Counter[tuple[str, int | str]] = Counter()
    accepted: Counter[int] = Counter()
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT, headers=auth()) as http:
            for r in range(rounds):
                accounts = [{"customer_id": f"shared-{k}", "annual_revenue": float(n)} for k in range(30)]
                ids = [f"r{r}-t{k}" for k in range(30)]
                rng.shuffle(accounts)
                rng.shuffle(ids)
                barrier.wait()
                calls = (
                    ("PUT accounts", "PUT", "/v1/accounts", {"accounts": accounts}),
                    (
                        "POST transcripts",
                        "POST",
                        "/v1/transcripts",
                        {"transcripts": [transcript_payload(t) for t in ids]},
                    ),
                )
                for kind, method, path, body in calls:
                    try:
                        response = http.request(method, path, json=body)
                    except httpx.HTTPError as exc:
                        outcome: int | str = type(exc).__name__
                    else:
                        outcome = response.status_code
                        if kind == "POST transcripts" and outcome == 202:
                            with lock:
                                accepted[r] += response.json()["accepted"]
                    with lock:
                        outcomes[(kind, outcome)] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    elapsed = time.monotonic() - started
    assert not any(t.is_alive() for t in threads)
    server.stop()
    print(
        f"\n[{backend_url.split(':')[0]}] {dict(outcomes)} in {elapsed:.1f} s; accepted per round {dict(accepted)}"
    )
    assert set(outcomes) == {("PUT accounts", 200), ("POST transcripts", 202)}, outcomes
    assert all(accepted[r] == 30 for r in range(rounds)), accepted
    assert "Deadlock" not in server.log_text()
