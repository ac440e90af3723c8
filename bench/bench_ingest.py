"""Ingest throughput through `POST /v1/transcripts` (batches of 500) on SQLite and PostgreSQL.

    python -m bench.bench_ingest [--copies 5] [--postgres URL] [--out PATH]

Uses planted_dev transcripts (copied N times with new external ids) or the synthetic company when the shared
data is absent. Reports first-time ingest and the duplicate re-send separately.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.server import SHARED_DATA, running_server
from service.db import Database

BATCH = 500


def load_transcripts(copies: int) -> list[dict]:
    path = SHARED_DATA / "planted_dev" / "transcripts.jsonl"
    if path.exists():
        base = [json.loads(line) for line in path.open()]
    else:
        from pipelines.synthetic import generate_company

        base = generate_company(n_customers=600, seed=7).transcripts
    out = []
    for copy in range(copies):
        for item in base:
            out.append({**item, "external_id": f"{item['external_id']}-x{copy}"})
    return out


def post_all(url: str, key: str, transcripts: list[dict]) -> tuple[float, int, int]:
    accepted = duplicates = 0
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        for start in range(0, len(transcripts), BATCH):
            response = client.post(
                "/v1/transcripts", json={"transcripts": transcripts[start : start + BATCH]}
            )
            response.raise_for_status()
            accepted += response.json()["accepted"]
            duplicates += response.json()["duplicates"]
        return time.perf_counter() - started, accepted, duplicates


def reset_postgres(url: str) -> None:
    database = Database.from_url(url)
    with database.write_engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    database.dispose()


def measure(name: str, database_url: str, transcripts: list[dict], workdir: Path) -> dict:
    with running_server(database_url, workdir / f"{name}.log") as (url, key):
        first_s, accepted, _ = post_all(url, key, transcripts)
        again_s, again_accepted, duplicates = post_all(url, key, transcripts)
    assert accepted == len(transcripts) and again_accepted == 0 and duplicates == len(transcripts)
    return {
        "database": name,
        "transcripts": len(transcripts),
        "first_s": round(first_s, 2),
        "first_per_s": round(len(transcripts) / first_s),
        "duplicates_per_s": round(len(transcripts) / again_s),
    }


def render(results: list[dict]) -> str:
    lines = [
        "## Ingest throughput (`POST /v1/transcripts`, batches of 500)",
        "",
        "Command: `python -m bench.bench_ingest`. One client, sequential batches, server on loopback, "
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, 2 cores.",
        "",
        "| database | transcripts | first ingest (s) | transcripts/s | duplicate re-send, transcripts/s |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['database']} | {r['transcripts']} | {r['first_s']} | {r['first_per_s']} | {r['duplicates_per_s']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=5, help="how many copies of the 2,025 transcripts")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    transcripts = load_transcripts(args.copies)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        results = [measure("SQLite", f"sqlite:///{workdir}/bench.db", transcripts, workdir)]
        if not args.no_postgres:
            reset_postgres(args.postgres)
            results.append(measure("PostgreSQL", args.postgres, transcripts, workdir))
    report = render(results)
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
