"""Ingest to personas with background embedding, against plain PyTorch `encode` of the same customer texts.

Run: .venv/bin/python -m bench.bench_background [--data DIR] [--rounds 2] [--out F.md]

Each round, in alternating order:
- the yardstick: a fresh process loads all-MiniLM-L6-v2 with sentence-transformers and times one plain
  `encode` of every transcript's customer text (`pipelines.text.customer_text`, what the service embeds);
- a fresh server (`personas serve`, new SQLite database, inline executor, default settings: warm-up and
  background embedding on) is started; the clock starts when it answers /healthz. Accounts and transcripts
  are sent as `eval_personas.py` sends them (batches of 500); then GET /v1/status is polled every POLL_S until
  `embedding.pending == 0` (drain), then a run is asked for and polled until it succeeds.
Reports per round: ingest, drain after ingest, run, and ingest-to-personas, and their ratios to the encode.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.bench_embedding import cpu_description
from bench.server import SHARED_DATA, running_server

DEFAULT_DATA = SHARED_DATA / "planted_dev"
# How often status and the run are polled: the figures are this precise; polling much faster would take CPU from
# the server it measures (each status answer counts the backlog).
POLL_S = 0.25
YARDSTICK = """
import json, sys, time
from pipelines.embed import default_model_path
from pipelines.text import customer_text
from sentence_transformers import SentenceTransformer
texts = [customer_text(json.loads(line)["turns"]) for line in open(sys.argv[1])]
model = SentenceTransformer(str(default_model_path()), device="cpu")
model.encode(texts[:32], show_progress_bar=False)  # load and first-call allocations outside the timing
clock = time.perf_counter()
model.encode(texts, show_progress_bar=False)
print(json.dumps({"texts": len(texts), "seconds": time.perf_counter() - clock}))
"""


def plain_encode(data: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", YARDSTICK, str(data / "transcripts.jsonl")],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _wait(check: Any, what: str, timeout: float = 1800.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not done after {timeout} s")
        time.sleep(POLL_S)


def server_round(data: Path) -> dict[str, Any]:
    """Times of one fresh server: ingest, drain after ingest, run, and the run's own stage timings."""
    lines = [json.loads(line) for line in (data / "transcripts.jsonl").open()]
    with tempfile.TemporaryDirectory(prefix="bench-background-") as tmp:
        env = {"PERSONAS_WARM_UP": "true", "PERSONAS_EMBED_IN_BACKGROUND": "true"}
        with running_server(f"sqlite:///{tmp}/bench.db", Path(tmp) / "server.log", **env) as (url, key):
            http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120)
            start = time.perf_counter()
            csv = (data / "accounts.csv").read_bytes()
            http.put("/v1/accounts", content=csv, headers={"Content-Type": "text/csv"}).raise_for_status()
            for i in range(0, len(lines), 500):
                http.post("/v1/transcripts", json={"transcripts": lines[i : i + 500]}).raise_for_status()
            ingested = time.perf_counter()

            def drained() -> dict[str, Any] | None:
                status = http.get("/v1/status").json()
                return status if status["embedding"]["pending"] == 0 else None

            _wait(drained, "background embedding")
            emptied = time.perf_counter()
            run_id = http.post("/v1/runs", json={}).json()["id"]

            def finished() -> dict[str, Any] | None:
                run = http.get(f"/v1/runs/{run_id}").json()
                return run if run["status"] in ("succeeded", "failed") else None

            run = _wait(finished, "run")
            done = time.perf_counter()
    if run["status"] != "succeeded":
        raise RuntimeError(f"run failed: {run['error']}")
    return {
        "ingest": ingested - start,
        "drain": emptied - ingested,
        "run": done - emptied,
        "total": done - start,
        "newly_embedded": run["summary"]["newly_embedded"],
        "stages": run["summary"]["timings"],
    }


def markdown(rows: list[tuple[dict[str, float], dict[str, Any]]], data: Path, load: str) -> str:
    lines = [
        "## Background embedding: ingest to personas against plain torch encode",
        "",
        f"`python -m bench.bench_background --data {data} --rounds {len(rows)}`; {cpu_description()}; "
        f"load average {load}.",
        "",
        "| round | plain torch encode | ingest | drain after ingest | run | ingest to personas | run embedded |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for i, (yard, timed) in enumerate(rows, 1):
        base = yard["seconds"]
        cells = [f"{timed[k]:.1f} s ({timed[k] / base:.2f}x)" for k in ("ingest", "drain", "run", "total")]
        lines.append(
            f"| {i} | {base:.1f} s ({yard['texts']:.0f} texts) | {' | '.join(cells)} | {timed['newly_embedded']} |"
        )
    lines.append("")
    for i, (_, timed) in enumerate(rows, 1):
        stages = ", ".join(f"{k} {v:.2f}" for k, v in timed["stages"].items())
        lines.append(f"- round {i} run stages (s): {stages}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not (args.data / "transcripts.jsonl").is_file():
        print(f"no data at {args.data}: nothing to benchmark", file=sys.stderr)
        return 2
    load_before = os.getloadavg()[0]
    rows = []
    for i in range(args.rounds):
        if i % 2 == 0:  # alternate which goes first: a noisy neighbour then slows both alike
            yard, timed = plain_encode(args.data), server_round(args.data)
        else:
            timed, yard = server_round(args.data), plain_encode(args.data)
        print(json.dumps({"yardstick": yard, "server": timed}), flush=True)
        rows.append((yard, timed))
    text = markdown(rows, args.data, f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
