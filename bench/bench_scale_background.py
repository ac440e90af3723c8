"""Scale through the service: a large synthetic company stored, embedded in the background, then one run.

Run: .venv/bin/python -m bench.bench_scale_background [--customers 20000] [--transcripts 100000] [--seed 7]
     [--workdir /tmp/scale-bg]

1. Generate the company (pipelines.synthetic) and store it through `store_transcripts` / `upsert_accounts`
   into a fresh SQLite database (batches of 1,000).
2. Background embedding as the inline worker does it: `embed_next_chunk` until the backlog is empty.
3. In a fresh process (so its peak RSS is the run's alone): queue a run and execute it with `flow.execute_run`,
   as the worker thread does; then ARI of the stored customer assignments against the planted personas.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from sklearn.metrics import adjusted_rand_score
from sqlalchemy import select

from bench.bench_embedding import cpu_description
from pipelines.synthetic import build_customers, iter_transcripts
from service import migrate
from service.accounts.schemas import AccountIn
from service.accounts.service import upsert_accounts
from service.config import Settings
from service.db import Database
from service.embedding.background import embed_next_chunk
from service.ingest.schemas import TranscriptIn
from service.ingest.service import store_transcripts
from service.personas.models import CustomerAssignment
from service.runs import flow
from service.runs.service import create_run
from service.runs.worker import settings_embedder


def store(database: Database, customers: int, transcripts: int, seed: int) -> dict[str, str]:
    """Store the company; returns the planted persona of every customer."""
    people = build_customers(customers, seed)
    batch: list[TranscriptIn] = []
    for raw in iter_transcripts(people, transcripts, seed):
        batch.append(TranscriptIn.model_validate(raw))
        if len(batch) == 1000:
            with database.transaction() as session:
                store_transcripts(session, source="api", transcripts=batch)
            batch = []
    with database.transaction() as session:
        store_transcripts(session, source="api", transcripts=batch)
        accounts = [AccountIn.model_validate(c.account) for c in people if c.account is not None]
        upsert_accounts(session, accounts=accounts)
    return {c.customer_id: c.persona for c in people}


def run_in_this_process(url: str, truth_file: Path) -> None:
    database, settings = Database.from_url(url), Settings(database_url=url)
    with database.transaction() as session:
        run_id = create_run(session, params={}).id
    clock = time.perf_counter()
    assert flow.execute_run(database, run_id, embedder=settings_embedder(settings), settings=settings)
    seconds = time.perf_counter() - clock
    truth = json.loads(truth_file.read_text())
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(CustomerAssignment.customer_id, CustomerAssignment.persona_id).where(
                CustomerAssignment.run_id == run_id
            )
        ).all()
    ids = sorted(c for c, _ in rows)
    label = dict(rows)
    print(
        json.dumps(
            {
                "run_s": seconds,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "customers": len(ids),
                "personas": len(set(label.values())),
                "ari": adjusted_rand_score([truth[c] for c in ids], [label[c] for c in ids]),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--transcripts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scale-bg"))
    parser.add_argument("--run-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="also write the markdown section to this file")
    args = parser.parse_args()
    url = f"sqlite:///{args.workdir}/scale.db"
    if args.run_only:
        run_in_this_process(url, args.workdir / "truth.json")
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    (args.workdir / "scale.db").unlink(missing_ok=True)
    migrate.upgrade(url, "head")
    database = Database.from_url(url)
    clock = time.perf_counter()
    truth = store(database, args.customers, args.transcripts, args.seed)
    stored_s = time.perf_counter() - clock
    (args.workdir / "truth.json").write_text(json.dumps(truth))
    embedder = settings_embedder(Settings(database_url=url))
    clock = time.perf_counter()
    last: int | None = 0
    while (last := embed_next_chunk(database, embedder, after_id=last or 0)) is not None:
        pass
    embed_s = time.perf_counter() - clock
    embed_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    run = subprocess.run(
        [sys.executable, "-m", "bench.bench_scale_background", "--run-only", "--workdir", str(args.workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    text = (
        f"## Scale through the service: background embedding, then a run\n\n"
        f"`python -m bench.bench_scale_background --customers {args.customers} --transcripts {args.transcripts}`;"
        f" {cpu_description()}; load average {os.getloadavg()[0]:.1f} at the end.\n\n"
        f"| step | result |\n|---|---|\n"
        f"| store {args.transcripts:,} transcripts (redaction, SQLite) | {stored_s:.0f} s |\n"
        f"| background embedding (inline chunks of 256) | {embed_s:.0f} s, "
        f"{args.transcripts / embed_s:.0f} transcripts/s, peak RSS {embed_rss:,.0f} MB |\n"
        f"| the run that follows (fresh process) | {result['run_s']:.0f} s, peak RSS "
        f"{result['peak_rss_mb']:,.0f} MB |\n"
        f"| customers / personas / ARI vs planted | {result['customers']:,} / {result['personas']} / "
        f"{result['ari']:.3f} |\n"
    )
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
