"""Dashboard polling cost: `GET /v1/personas` latency at 50 concurrent pollers, with and without If-None-Match.

    python -m bench.bench_polling [--seconds 20] [--connections 50] [--out PATH]

Builds a small synthetic company with a real succeeded run in a temporary SQLite file, serves it with
`personas serve`, and loads it on loopback for a bounded time with wrk (Debian package `wrk`): paced pollers
(bench/paced.lua: each connection waits a random 0-2x interval before every request) and saturation (no
pacing). Without wrk, paced pollers are simulated with httpx instead and the saturation rows are skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx

from bench.server import running_server
from service.config import Settings
from service.demo import fresh_database, ingest_company
from service.runs import flow
from service.runs.executor import shared_embedder
from service.runs.service import create_run

UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def prepare(workdir: Path) -> str:
    database = fresh_database(workdir / "poll.db")
    ingest_company(database, customers=80, seed=7)
    with database.transaction() as session:
        run_id = create_run(session, params={"min_personas": 2, "max_personas": 4}).id
    settings = Settings(webhook_secrets={})
    assert flow.execute_run(
        database, run_id, embedder=shared_embedder(None, settings.embedding_backend), settings=settings
    )
    return database.url


def wrk(
    url: str, headers: dict[str, str], seconds: int, connections: int, interval_ms: int | None = None
) -> dict[str, float]:
    """wrk's latency percentiles (ms), requests/s and non-2xx/3xx count; paced when interval_ms is given."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    env = dict(os.environ)
    if interval_ms is not None:
        command += ["-s", str(Path(__file__).with_name("paced.lua"))]
        env["POLL_INTERVAL_MS"] = str(interval_ms)
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True, env=env).stdout
    percentiles = {
        f"p{m.group(1)}": float(m.group(2)) * UNIT[m.group(3)]
        for m in re.finditer(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    }
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        **percentiles,
        "rps": float(rate.group(1)) if rate else 0.0,
        "errors": int(errors.group(1)) if errors else 0,
    }


def httpx_pollers(
    url: str, headers: dict[str, str], pollers: int, seconds: int, interval: float = 1.0
) -> dict[str, float]:
    """Fallback without wrk: `pollers` asyncio clients, each one request per `interval`, starts spread evenly."""
    import asyncio
    import time

    latencies: list[float] = []
    errors = 0

    async def poller(client: httpx.AsyncClient, offset: float) -> None:
        nonlocal errors
        await asyncio.sleep(offset)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = await client.get(url, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status_code >= 400
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))

    async def run() -> None:
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=pollers), timeout=10) as client:
            await asyncio.gather(*(poller(client, i * interval / pollers) for i in range(pollers)))

    asyncio.run(run())
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50": pct(0.5),
        "p90": pct(0.9),
        "p99": pct(0.99),
        "rps": len(ordered) / seconds,
        "errors": errors,
    }


def render(rows: list[tuple[str, dict[str, float]]], seconds: int, tool: str) -> str:
    lines = [
        "## Dashboard polling (`GET /v1/personas`)",
        "",
        f"Command: `python -m bench.bench_polling --seconds {seconds}` (one `personas serve` process, one uvicorn "
        f"worker, SQLite, 80-customer synthetic run, loopback, {seconds} s per row). {tool} Latencies in ms.",
        "",
        "| load | p50 | p90 | p99 | requests/s | errors |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r.get('p50', 0):.1f} | {r.get('p90', 0):.1f} | {r.get('p99', 0):.1f} | {r['rps']:.0f} "
            f"| {r['errors']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=50, help="pollers / connections")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    n, seconds = args.connections, args.seconds
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        url = prepare(Path(tmp))
        with running_server(url, Path(tmp) / "server.log") as (base, key):
            auth = {"Authorization": f"Bearer {key}"}
            etag = httpx.get(base + "/v1/personas", headers=auth).headers["etag"]
            target = base + "/v1/personas"
            conditional = {**auth, "If-None-Match": etag}
            if shutil.which("wrk"):
                tool = (
                    "Load tool: wrk; paced rows use bench/paced.lua (each connection waits a random 0-2x "
                    "interval before every request), saturation rows send back to back."
                )
                rows = [
                    (
                        f"{n} pollers, 1 req/s each, If-None-Match (304)",
                        wrk(target, conditional, seconds, n, 1000),
                    ),
                    (
                        f"{n} pollers, 4 req/s each, If-None-Match (304)",
                        wrk(target, conditional, seconds, n, 250),
                    ),
                    (f"{n} pollers, 1 req/s each, full body (200)", wrk(target, auth, seconds, n, 1000)),
                    (f"saturating: {n} connections back to back, 304", wrk(target, conditional, seconds, n)),
                    (f"saturating: {n} connections back to back, 200", wrk(target, auth, seconds, n)),
                ]
            else:
                tool = "wrk is not installed (`apt-get install wrk`): httpx pollers, no saturation rows."
                rows = [
                    (
                        f"{n} pollers, 1 req/s each, If-None-Match (304)",
                        httpx_pollers(target, conditional, n, seconds),
                    ),
                    (f"{n} pollers, 1 req/s each, full body (200)", httpx_pollers(target, auth, n, seconds)),
                ]
    report = render(rows, seconds, tool)
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
