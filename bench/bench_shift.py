"""Persona shift on planted_dev, end to end through a real server: run 1 with most customers of the planted
avoid persona held back, run 2 after they arrive. Checks that one signed `personas.shifted` event arrives, that
it names the persona whose share grew (the one most of the avoid customers are in), and that its share
figures match `GET /v1/personas` of both runs.

Run: .venv/bin/python bench/bench_shift.py [--data ../shared/data/planted_dev] [--hold-back 0.8]
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import SHARED_DATA, running_server  # noqa: E402
from tests.service.shifts.receiver import receiver  # noqa: E402

RUN_TIMEOUT_S = 1800


def split(data: Path, hold_back: float, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """(transcripts for run 1, those that arrive before run 2, the planted avoid persona)."""
    truth = json.loads((data / "truth.json").read_text())
    avoid = truth["avoid"][0]
    members = sorted(c for c, p in truth["persona_of"].items() if p == avoid)
    held = set(random.Random(seed).sample(members, round(hold_back * len(members))))
    rows = [json.loads(line) for line in (data / "transcripts.jsonl").read_text().splitlines() if line]
    return (
        [r for r in rows if r["customer_id"] not in held],
        [r for r in rows if r["customer_id"] in held],
        avoid,
    )


def ingest(client: httpx.Client, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 500):
        response = client.post("/v1/transcripts", json={"transcripts": rows[start : start + 500]})
        response.raise_for_status()


def run_and_wait(client: httpx.Client) -> tuple[str, float]:
    clock = time.monotonic()
    run_id = client.post("/v1/runs", json={}).raise_for_status().json()["id"]
    while time.monotonic() - clock < RUN_TIMEOUT_S:
        run = client.get(f"/v1/runs/{run_id}").raise_for_status().json()
        if run["status"] == "succeeded":
            return run_id, time.monotonic() - clock
        if run["status"] not in ("queued", "running"):
            raise RuntimeError(f"run {run_id} {run['status']}: {run['error']}")
        time.sleep(2)
    raise TimeoutError(f"run {run_id} did not finish in {RUN_TIMEOUT_S} s")


def avoid_home(client: httpx.Client, run_id: str, avoid_customers: set[str]) -> str:
    """The persona of run `run_id` that most of the planted avoid customers are in."""
    rows = client.get("/v1/customers", params={"run_id": run_id, "format": "csv"}).raise_for_status().text
    counts = Counter(
        r["persona_id"] for r in csv.DictReader(io.StringIO(rows)) if r["customer_id"] in avoid_customers
    )
    return counts.most_common(1)[0][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "planted_dev")
    parser.add_argument("--hold-back", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="also write the result as a BENCHMARKS.md section")
    args = parser.parse_args()
    first, later, avoid = split(args.data, args.hold_back, args.seed)
    truth = json.loads((args.data / "truth.json").read_text())["persona_of"]
    avoid_customers = {c for c, p in truth.items() if p == avoid}
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    with tempfile.TemporaryDirectory() as tmp, receiver() as received:
        database = f"sqlite:///{Path(tmp) / 'shift.db'}"
        env = {"PERSONAS_ALERT_WEBHOOK_URL": received.url, "PERSONAS_ALERT_WEBHOOK_SECRET": secret}
        with running_server(database, Path(tmp) / "server.log", **env) as (url, key):
            client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120)
            accounts = (args.data / "accounts.csv").read_bytes()
            client.put(
                "/v1/accounts", content=accounts, headers={"Content-Type": "text/csv"}
            ).raise_for_status()
            ingest(client, first)
            run1, seconds1 = run_and_wait(client)
            ingest(client, later)
            run2, seconds2 = run_and_wait(client)
            deadline = time.monotonic() + 60
            while not received.requests and time.monotonic() < deadline:
                time.sleep(0.5)
            personas = {
                run: {
                    p["id"]: p for p in client.get("/v1/personas", params={"run_id": run}).json()["personas"]
                }
                for run in (run1, run2)
            }
            home = avoid_home(client, run2, avoid_customers)
            alerts = client.get("/v1/alerts").json()["items"]
    lines = [
        f"held back {len(later)} transcripts of {args.hold_back:.0%} of the '{avoid}' customers (seed {args.seed})",
        f"run 1 {run1}: {seconds1:.0f} s; run 2 {run2}: {seconds2:.0f} s",
        f"events received: {len(received.requests)}; /v1/alerts: {[(a['status'], a['attempts']) for a in alerts]}",
    ]
    headers, body = received.requests[0]
    event = Webhook(secret).verify(body, headers)
    lines += ["event text:", *event["text"].splitlines()]
    grew = [
        c
        for c in event["data"]["changes"]
        if c["rule"] in ("share", "new") and (c["after"] or 0) > (c["before"] or 0)
    ]
    named = [c for c in grew if c["persona_id"] == home]
    lines.append(
        f"persona holding most '{avoid}' customers in run 2: {home} ({personas[run2][home]['label']})"
    )
    ok = len(received.requests) == 1 and bool(named)
    for change in named:
        before = personas[run1].get(home, {}).get("share", 0.0)
        after = personas[run2][home]["share"]
        match = change["before"] in (before, None) and change["after"] == after
        ok = ok and match
        lines.append(
            f"event: {change['rule']} {change['before']} -> {change['after']}; "
            f"/v1/personas: {before} -> {after}; match: {match}"
        )
    lines.append("PASS" if ok else "FAIL")
    print("\n".join(lines))
    if args.out:
        args.out.write_text(
            "## Persona shift on planted_dev (`python -m bench.bench_shift`)\n\n```\n"
            + "\n".join(lines)
            + "\n```\n"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
