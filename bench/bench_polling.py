"""Dashboard polling cost: `GET /v1/personas` latency at 50 concurrent pollers, with and without If-None-Match.

    python -m bench.bench_polling [--seconds 15] [--connections 50] [--out PATH]

Builds a small synthetic company with a real succeeded run in a temporary SQLite file, serves it with
`personas serve`, and loads it with wrk (Debian package `wrk`) on loopback for a bounded time.
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
    assert flow.execute_run(database, run_id, embedder=shared_embedder(None), settings=settings)
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


def render(rows: list[tuple[str, dict[str, float]]], seconds: int, connections: int) -> str:
    lines = [
        "## Dashboard polling (`GET /v1/personas`)",
        "",
        f"Command: `python -m bench.bench_polling` (wrk, {connections} connections, {seconds} s each, loopback, "
        "one uvicorn worker, SQLite, 80-customer synthetic run). Latencies in ms.",
        "",
        "| request | p50 | p90 | p99 | requests/s | non-2xx/3xx |",
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
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        report = "## Dashboard polling\n\nSkipped: `wrk` is not installed (`apt-get install wrk`).\n"
    else:
        with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
            url = prepare(Path(tmp))
            with running_server(url, Path(tmp) / "server.log") as (base, key):
                auth = {"Authorization": f"Bearer {key}"}
                etag = httpx.get(base + "/v1/personas", headers=auth).headers["etag"]
                target = base + "/v1/personas"
                rows = [
                    (
                        "If-None-Match (304)",
                        wrk(target, {**auth, "If-None-Match": etag}, args.seconds, args.connections),
                    ),
                    ("full body (200)", wrk(target, auth, args.seconds, args.connections)),
                ]
        report = render(rows, args.seconds, args.connections)
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
