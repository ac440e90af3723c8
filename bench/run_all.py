"""`make bench`: run every benchmark in one process tree and assemble BENCHMARKS.md.

    python -m bench.run_all [--out BENCHMARKS.md] [--skip NAME ...]

Sections: personas (method x data set -> k and ARI: planted_dev, the demo company seeds 11-13, Twitter),
cards (persona cards on planted_dev against the planted intents, over seeds), pipeline (planted_dev ARI, grades, determinism, embedding vs clustering time, ratio to plain encode),
topics (Banking77 V-measure), embedding (every backend's throughput, agreement with torch and batch independence), ingest (POST /v1/transcripts throughput on SQLite and PostgreSQL),
polling (GET /v1/personas latency at 50 paced pollers and at saturation, with wrk), scale (100k transcripts / 20k customers:
time per stage, peak RSS and ARI with the sampled clustering; real embeddings, cached under /tmp),
shift (planted_dev through a server: the persona-shift alert after the avoid persona's customers arrive),
cold (warm-up of a brand-new process with an empty and a filled numba cache),
background (a fresh server: ingest, the background embedding's drain and the run after it, against plain torch encode),
celery (background embedding throughput with 1 and 2 Celery workers; local PostgreSQL and Redis),
scale-background (100k transcripts stored, embedded in the background, then a run: time, peak RSS, ARI).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECTIONS = {
    "personas": ["-m", "bench.bench_personas"],
    "cards": ["-m", "bench.bench_cards"],
    "pipeline": ["-m", "bench.bench_pipeline"],
    "topics": ["-m", "bench.bench_topics"],
    "embedding": ["-m", "bench.bench_embedding", "--quality"],
    "ingest": ["-m", "bench.bench_ingest"],
    "polling": ["-m", "bench.bench_polling"],
    "scale": ["-m", "bench.bench_scale"],
    "shift": ["-m", "bench.bench_shift"],
    "cold": ["-m", "bench.bench_cold_start"],
    "background": ["-m", "bench.bench_background"],
    "celery": ["-m", "bench.bench_celery_embed"],
    "scale-background": ["-m", "bench.bench_scale_background"],
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("--skip", nargs="*", default=[], choices=list(SECTIONS))
    args = parser.parse_args()
    parts = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench.run_all`) on {time.strftime('%Y-%m-%d')}; machine: {machine()}.",
        "Ratios are measured side by side in one run; absolute times on this shared machine are noisy.",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name, command in SECTIONS.items():
            if name in args.skip:
                continue
            section = Path(tmp) / f"{name}.md"
            print(f"== {name}", flush=True)
            result = subprocess.run([sys.executable, *command, "--out", str(section)], check=False)
            if result.returncode != 0 or not section.exists():
                parts.append(
                    f"## {name}\n\nFAILED (exit {result.returncode}); run `python {' '.join(command)}`.\n"
                )
                continue
            parts.append(section.read_text())
    args.out.write_text("\n".join(parts))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
