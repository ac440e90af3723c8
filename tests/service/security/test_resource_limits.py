"""Resource limits under hostile or just heavy clients, against real uvicorn servers.

- The largest legal batch (1,000 transcripts, each as large as fits in the body limit) is accepted and the
  server's peak memory stays bounded: measured as the peak RSS (VmHWM) of a separate server process.
- Requests over a limit are refused with 413/422 in bounded time, without reading what they do not need.
- A client that trickles its body (slowloris) does not hold up anyone else.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.db import Database
from tests.service.builders import transcript_payload
from tests.service.conftest import auth, make_key
from tests.service.security.conftest import row_counts

DEFAULT_MAX_BODY = Settings.model_fields["max_body_bytes"].default
DEFAULT_MAX_TURN = Settings.model_fields["max_turn_chars"].default
PEAK_RSS_BOUND = 1536 * 1024 * 1024  # 1.5 GiB
WORDS = (
    "my order has not arrived and the invoice shows a charge I do not recognise please check the card "
    "payment and refund the duplicate because our team needs the parts before the end of the week"
).split()


def _text(rng: random.Random, length: int) -> str:
    """Support-chat-like text with an order number or an amount now and then (so redaction has work)."""
    out: list[str] = []
    size = 0
    while size < length:
        word = str(rng.randint(100, 99999)) if rng.random() < 0.04 else rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:length]


def largest_batch(max_body: int, count: int = 1000) -> bytes:
    """`count` transcripts of equal size, each as large as the body limit allows (within 2%)."""
    rng = random.Random(7)
    skeleton = transcript_payload("x" * 12, customer_id="cust-0000", text="")
    skeleton["turns"] = [{"speaker": "customer", "text": ""} for _ in range(4)]
    overhead = len(json.dumps({"transcripts": [skeleton] * count}).encode())
    per_turn = (int(max_body * 0.985) - overhead) // (count * 4)
    transcripts = []
    for i in range(count):
        item = transcript_payload(f"big-{i:08d}", customer_id=f"cust-{i % 500:04d}", text="")
        item["turns"] = [
            {"speaker": "customer" if j % 2 == 0 else "agent", "text": _text(rng, per_turn)} for j in range(4)
        ]
        transcripts.append(item)
    body = json.dumps({"transcripts": transcripts}).encode()
    assert 0.97 * max_body < len(body) <= max_body, (len(body), max_body)
    return body


# --------------------------------------------------------------------------------- a server process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


@pytest.fixture
def server_process(database_url: str, db: Database) -> Iterator[tuple[str, int]]:
    """`personas serve`-equivalent uvicorn in its own process on the test database; yields (url, pid)."""
    port = _free_port()
    env = {
        **os.environ,
        "PERSONAS_DATABASE_URL": database_url,
        "PERSONAS_MAX_BODY_BYTES": str(DEFAULT_MAX_BODY),
        "PERSONAS_MAX_TURN_CHARS": str(DEFAULT_MAX_TURN),
        "PERSONAS_QUEUE": "inline",
    }
    command = [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_largest_legal_batch_is_accepted_with_bounded_memory(
    server_process: tuple[str, int], db: Database, record_property: Callable[[str, object], None]
) -> None:
    url, pid = server_process
    key = make_key(db, "ingest")
    body = largest_batch(DEFAULT_MAX_BODY)
    with httpx.Client(base_url=url, timeout=240) as http:
        # Warm the code paths once (imports, first connections) so the baseline is a serving process.
        assert (
            http.post(
                "/v1/transcripts", json={"transcripts": [transcript_payload("warm")]}, headers=auth(key)
            ).status_code
            == 202
        )
        baseline = _rss(pid)
        started = time.perf_counter()
        response = http.post(
            "/v1/transcripts", content=body, headers={**auth(key), "content-type": "application/json"}
        )
        elapsed = time.perf_counter() - started
    peak = _rss(pid)["VmHWM"]
    assert response.status_code == 202, response.text[:500]
    assert response.json() == {"accepted": 1000, "duplicates": 0, "updated": 0}
    assert row_counts(db)["transcripts"] == 1001
    figures = {
        "body_mb": round(len(body) / 2**20, 2),
        "baseline_rss_mb": round(baseline["VmRSS"] / 2**20, 1),
        "peak_rss_mb": round(peak / 2**20, 1),
        "growth_mb": round((peak - baseline["VmHWM"]) / 2**20, 1),
        "seconds": round(elapsed, 2),
    }
    record_property("largest_batch", figures)
    print(f"\nlargest legal batch: {figures}")
    assert peak < PEAK_RSS_BOUND, figures


# ------------------------------------------------------------------------------- refused in bounded time


def timed(fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


OVER_LIMIT_CASES = ["batch of 1001", "2001 turns", "turn over max chars", "deep metadata", "101 attributes"]


@pytest.mark.parametrize("case", OVER_LIMIT_CASES)
def test_over_limit_requests_are_refused_quickly(
    client: TestClient, db: Database, keys: dict[str, str], settings: Settings, case: str
) -> None:
    headers = auth(keys["admin"])
    if case == "batch of 1001":
        payload = {"transcripts": [transcript_payload(f"t{i}", text="hi") for i in range(1001)]}
        status, path = 422, "/v1/transcripts"
    elif case == "2001 turns":
        item = transcript_payload("t")
        item["turns"] = [{"speaker": "customer", "text": "a"}] * 2001
        payload, status, path = {"transcripts": [item]}, 422, "/v1/transcripts"
    elif case == "turn over max chars":
        item = transcript_payload("t", text="a" * (settings.max_turn_chars + 1))
        payload, status, path = {"transcripts": [item]}, 413, "/v1/transcripts"
    elif case == "deep metadata":
        deep: object = 1
        for _ in range(200):
            deep = {"k": deep}
        payload, status, path = (
            {"transcripts": [transcript_payload("t", metadata={"deep": deep})]},
            422,
            "/v1/transcripts",
        )
    else:
        attributes = {f"a{i}": i for i in range(101)}
        payload = {"accounts": [{"customer_id": "c", "annual_revenue": 1, "attributes": attributes}]}
        status, path = 422, "/v1/accounts"
    method = "PUT" if path == "/v1/accounts" else "POST"
    response, seconds = timed(lambda: client.request(method, path, json=payload, headers=headers))
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert seconds < 3, seconds
    assert row_counts(db)["transcripts"] == 0


def test_over_limit_bodies_on_a_real_server_are_refused_before_they_are_read(
    live_server: str, keys: dict[str, str], settings: Settings
) -> None:
    host, port = live_server.removeprefix("http://").split(":")
    for path, extra in (
        ("/v1/transcripts", f"Authorization: Bearer {keys['ingest']}\r\n"),
        ("/v1/accounts", f"Authorization: Bearer {keys['ingest']}\r\n"),
        ("/v1/webhooks/generic", ""),
    ):
        method = "PUT" if path == "/v1/accounts" else "POST"
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            # Announce 1 GB and send nothing: the answer must come from the header alone.
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{extra}"
                f"Content-Length: {2**30}\r\n\r\n"
            )
            started = time.perf_counter()
            sock.sendall(head.encode())
            answer = sock.recv(4096).decode("latin-1")
            assert answer.startswith("HTTP/1.1 413"), (path, answer[:200])
            assert time.perf_counter() - started < 1

    # Chunked (no Content-Length): counted while reading, refused once past the limit.
    def endless() -> Iterator[bytes]:
        for _ in range(settings.max_body_bytes // 65536 + 50):
            yield b" " * 65536

    with httpx.Client(base_url=live_server, timeout=30) as http:
        response, seconds = timed(
            lambda: http.post(
                "/v1/transcripts",
                content=endless(),
                headers={**auth(keys["ingest"]), "content-type": "application/json"},
            )
        )
    assert response.status_code == 413 and seconds < 5, (response.status_code, seconds)


# ------------------------------------------------------------------------------------------- slowloris


class Trickler(threading.Thread):
    """A client that sends a POST's headers, then its body a few bytes every 100 ms, holding back the last
    byte until `release` is set: its request stays unfinished for as long as the test needs, however slow
    the machine is."""

    def __init__(self, base_url: str, key: str, release: threading.Event, chunked: bool = False) -> None:
        super().__init__(daemon=True)
        self.host, port = base_url.removeprefix("http://").split(":")
        self.port, self.key, self.release, self.chunked = int(port), key, release, chunked
        self.sent = 0
        self.answer = b""
        self.connected = threading.Event()
        self.mid_body = threading.Event()  # a first piece of the body is out, the last byte is not

    def run(self) -> None:
        body = json.dumps({"transcripts": [transcript_payload("slow-1")]}).encode()
        framing = "Transfer-Encoding: chunked" if self.chunked else f"Content-Length: {len(body)}"
        head = (
            f"POST /v1/transcripts HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.key}\r\n"
            f"Content-Type: application/json\r\n{framing}\r\n\r\n"
        )
        with socket.create_connection((self.host, self.port), timeout=60) as sock:
            sock.sendall(head.encode())
            self.connected.set()
            # Bounded: never trickle for more than a minute, released or not.
            for _ in range(600):
                if self.release.is_set():
                    break
                if self.sent < len(body) - 1:
                    piece = body[self.sent : self.sent + 3]
                    sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if self.chunked else piece)
                    self.sent += len(piece)
                    self.mid_body.set()
                time.sleep(0.1)
            rest = body[self.sent :]
            sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest) if self.chunked else rest)
            self.answer = sock.recv(4096)


@pytest.mark.slow
def test_slow_clients_do_not_block_other_requests(
    live_server: str, db: Database, keys: dict[str, str]
) -> None:
    """Ten clients stay mid-body (they hold back their last byte) while other requests are served. No time
    bound decides the outcome: a server that waited for a slow body would leave these requests unanswered
    until the tricklers are released, which happens only after them (the probes time out first)."""
    release = threading.Event()
    slow = [Trickler(live_server, keys["ingest"], release, chunked=i % 2 == 1) for i in range(10)]
    for t in slow:
        t.start()
    try:
        for t in slow:
            assert t.mid_body.wait(30), "a trickler never got its body started"
        latencies: list[float] = []
        with httpx.Client(base_url=live_server, timeout=20) as http:
            for _ in range(5):
                for path, headers in (
                    ("/healthz", {}),
                    ("/v1/runs", auth(keys["read"])),
                    ("/v1/transcripts", auth(keys["read"])),
                ):
                    response, seconds = timed(lambda p=path, h=headers: http.get(p, headers=h))
                    assert response.status_code == 200, response.text[:200]
                    latencies.append(seconds)
            # A write is not blocked either (on SQLite too: the tricklers hold no write lock while reading).
            fast = {"transcripts": [transcript_payload("fast-1")]}
            response, seconds = timed(
                lambda: http.post("/v1/transcripts", json=fast, headers=auth(keys["ingest"]))
            )
            assert response.status_code == 202, response.text[:200]
        print(f"\nserved beside 10 unfinished bodies: slowest {max(latencies + [seconds]):.2f} s")
    finally:
        release.set()
    for t in slow:
        t.join(30)
        assert t.answer.startswith(b"HTTP/1.1 202"), t.answer[:200]
    assert row_counts(db)["transcripts"] == 2  # slow-1 once (the others are duplicates), fast-1
