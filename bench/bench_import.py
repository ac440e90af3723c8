"""History import throughput: `personas import zendesk` of a 10,000-ticket Incremental Ticket Export.

    python -m bench.bench_import [--tickets 10000] [--postgres URL | --no-postgres] [--out PATH]

The export file (JSON Lines, one page of 1,000 tickets per line, comments inline per ticket) is written from
the synthetic company's transcripts, repeated with distinct ticket ids. The command runs as users run it (a
subprocess on a fresh database); then the same file again (the checkpoint: nothing read) and with
`--restart` (every ticket read, mapped and compared: all duplicates, nothing added).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.bench_ingest import reset_postgres
from service import migrate
from service.db import Database
from service.ingest.models import Transcript

PAGE = 1000
_VIA = {"chat": "chat", "call": "voice", "email": "email", "other": "web"}


def _ticket(number: int, transcript: dict[str, Any]) -> dict[str, Any]:
    started = datetime.fromisoformat(transcript.get("started_at") or "2026-01-01T00:00:00+00:00")
    requester = 10_000_000 + abs(hash(transcript["customer_id"])) % 1_000_000
    comments = [
        {
            "id": number * 100 + i,
            "type": "Comment",
            "author_id": requester if turn["speaker"] == "customer" else 501,
            "plain_body": turn["text"],
            "public": True,
            "created_at": (started + timedelta(minutes=i)).isoformat().replace("+00:00", "Z"),
        }
        for i, turn in enumerate(transcript["turns"])
    ]
    return {
        "id": number,
        "created_at": comments[0]["created_at"],
        "updated_at": comments[-1]["created_at"],
        "status": "solved",
        "requester_id": requester,
        "organization_id": transcript["customer_id"],
        "via": {"channel": _VIA.get(transcript.get("channel", "other"), "web")},
        "tags": [],
        "comments": comments,
    }


def write_export(path: Path, tickets: int) -> None:
    from pipelines.synthetic import generate_company

    base = generate_company(n_customers=600, seed=7).transcripts
    with path.open("w") as handle:
        for start in range(0, tickets, PAGE):
            page = [_ticket(n + 1, base[n % len(base)]) for n in range(start, min(start + PAGE, tickets))]
            end = start + PAGE >= tickets
            handle.write(
                json.dumps({"tickets": page, "after_cursor": f"c{start}", "end_of_stream": end}) + "\n"
            )


def timed_import(database_url: str, path: Path, *extra: str) -> float:
    env = {**os.environ, "PERSONAS_DATABASE_URL": database_url}
    started = time.perf_counter()
    command = [sys.executable, "-m", "service.cli", "import", "zendesk", str(path), *extra]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(name: str, database_url: str, path: Path, tickets: int) -> dict[str, Any]:
    migrate.upgrade(database_url)
    first = timed_import(database_url, path)
    database = Database.from_url(database_url)
    with database.transaction(write=False) as session:
        stored = session.scalar(select(func.count()).select_from(Transcript))
    again = timed_import(database_url, path)
    restarted = timed_import(database_url, path, "--restart")
    with database.transaction(write=False) as session:
        after = session.scalar(select(func.count()).select_from(Transcript))
    database.dispose()
    assert stored == tickets and after == tickets, (stored, after)
    return {
        "database": name,
        "tickets": tickets,
        "first_s": round(first, 1),
        "per_s": round(tickets / first),
        "again_s": round(again, 1),
        "restart_s": round(restarted, 1),
        "restart_per_s": round(tickets / restarted),
    }


def render(results: list[dict[str, Any]], size_mb: float) -> str:
    lines = [
        "| database | tickets | first import (s) | transcripts/s | same file again (s) | `--restart` (s) | `--restart` tickets/s | stored after both |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['database']} | {r['tickets']} | {r['first_s']} | {r['per_s']} | {r['again_s']} | "
            f"{r['restart_s']} | {r['restart_per_s']} | {r['tickets']} (nothing added) |"
        )
    return f"Export file: {size_mb:.1f} MB JSON Lines.\n\n" + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(tmp) / "zendesk-export.jsonl"
        write_export(path, args.tickets)
        results = [measure("SQLite", f"sqlite:///{tmp}/bench.db", path, args.tickets)]
        if not args.no_postgres:
            reset_postgres(args.postgres)
            results.append(measure("PostgreSQL", args.postgres, path, args.tickets))
        report = render(results, path.stat().st_size / 1e6)
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
