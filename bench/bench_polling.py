"""Dashboard polling cost: `GET /v1/personas` latency at 50 concurrent pollers, with and without If-None-Match.

    python -m bench.bench_polling [--seconds 20] [--connections 50] [--out PATH]

Builds a small synthetic company with a real succeeded run in a temporary SQLite file, serves it with
`personas serve`, and polls it with locust (constant pacing, like dashboards) on loopback for a bounded time;
with wrk (Debian package `wrk`) installed, also saturates it to show the ceiling.
"""

from __future__ import annotations

import argparse
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


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
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


def locust_pollers(
    url: str, key: str, etag: str | None, pollers: int, seconds: int, interval: float = 1.0
) -> dict[str, float]:
    """`pollers` locust users, spawned over one interval, each polling once per `interval` (constant pacing);
    latency percentiles in ms from locust's stats (the requests of the spawn second included)."""
    import csv
    import os
    import sys

    with tempfile.TemporaryDirectory(prefix="bench-locust-") as tmp:
        prefix = str(Path(tmp) / "poll")
        environment = {
            **os.environ,
            "POLL_KEY": key,
            "POLL_ETAG": etag or "",
            "POLL_INTERVAL": str(interval),
        }
        command = [
            sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
            "--host", url, "-u", str(pollers), "-r", str(max(1, round(pollers / interval))),
            "-t", f"{seconds}s", "--csv", prefix, "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
        ]  # fmt: skip
        subprocess.run(command, env=environment, check=True, capture_output=True, timeout=seconds + 60)
        with open(prefix + "_stats.csv", newline="") as handle:
            row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return {
        "p50": float(row["50%"]),
        "p90": float(row["90%"]),
        "p99": float(row["99%"]),
        "rps": float(row["Requests/s"]),
        "errors": int(row["Failure Count"]),
        "requests": int(row["Request Count"]),
    }


def render(rows: list[tuple[str, dict[str, float]]], seconds: int, wrk_note: str) -> str:
    lines = [
        "## Dashboard polling (`GET /v1/personas`)",
        "",
        f"Command: `python -m bench.bench_polling --seconds {seconds}` (one `personas serve` process, one uvicorn "
        "worker, SQLite, 80-customer synthetic run, loopback). Pollers: locust users spawned over one interval, "
        f"each with constant pacing, {seconds} s per row. Saturation: wrk, 50 connections, no pacing. "
        f"Latencies in ms (locust rounds those under 100 ms to whole ms).{wrk_note}",
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
    parser.add_argument("--connections", type=int, default=50, help="pollers (locust) and connections (wrk)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    has_wrk = shutil.which("wrk") is not None
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        url = prepare(Path(tmp))
        with running_server(url, Path(tmp) / "server.log") as (base, key):
            auth = {"Authorization": f"Bearer {key}"}
            etag = httpx.get(base + "/v1/personas", headers=auth).headers["etag"]
            target = base + "/v1/personas"
            conditional = {**auth, "If-None-Match": etag}
            n = args.connections
            rows = [
                (
                    f"{n} pollers x 1 req/s, If-None-Match (304)",
                    locust_pollers(base, key, etag, n, args.seconds),
                ),
                (
                    f"{n} pollers x 4 req/s, If-None-Match (304)",
                    locust_pollers(base, key, etag, n, args.seconds, interval=0.25),
                ),
                (f"{n} pollers x 1 req/s, full body (200)", locust_pollers(base, key, None, n, args.seconds)),
            ]
            if has_wrk:
                rows += [
                    (f"saturating wrk ({n} connections), 304", wrk(target, conditional, args.seconds, n)),
                    (f"saturating wrk ({n} connections), 200", wrk(target, auth, args.seconds, n)),
                ]
    note = "" if has_wrk else " wrk is not installed (`apt-get install wrk`): saturation rows skipped."
    report = render(rows, args.seconds, note)
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
