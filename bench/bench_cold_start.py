"""Cold start: warm-up seconds of a brand-new process with an empty numba cache, with the cache an earlier
process filled, and with the cache filled but UMAP's kernels left uncached (the code before the disk cache).

Run: .venv/bin/python bench/bench_cold_start.py [--rounds 3] [--out F.md]

Each measurement is a fresh interpreter that imports `service` (which sets NUMBA_CACHE_DIR; the variable is
given explicitly here) and times `pipelines.warmup.warm_up(None)`: the clustering step, which imports UMAP
(pynndescent compiles or loads its kernels on import) and compiles or loads UMAP's. The three cases alternate
within each round, so a change in the machine's load falls on all of them; the load average is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_embedding import CPU_FLAGS  # noqa: E402

PROCESS = """
import json, time
import service  # sets numba's cache directory, as every entry point does
import pipelines.reduce
if {uncached}:
    pipelines.reduce.cache_umap_kernels = lambda: ()  # the code before: UMAP compiles in every process
from pipelines.warmup import warm_up
print(json.dumps(warm_up(None)))
"""
CASES = {
    "empty cache (first process on a machine)": False,
    "cache filled by an earlier process": False,
    "cache filled, UMAP kernels uncached (before)": True,
}


def cpu_flags() -> list[str]:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    line = next((x for x in text.splitlines() if x.startswith("flags")), "flags:")
    present = set(line.split(":", 1)[1].split())
    return [flag for flag in CPU_FLAGS if flag in present]


def warm_up_seconds(cache_dir: Path, uncached: bool) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "PERSONAS_NUMBA_CACHE": str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-c", PROCESS.format(uncached=uncached)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["clustering"])


def measure(rounds: int) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {case: [] for case in CASES}
    with tempfile.TemporaryDirectory() as scratch:
        filled = Path(scratch) / "filled"
        warm_up_seconds(filled, uncached=False)  # fills the shared cache once
        for round_ in range(rounds):
            for case, uncached in CASES.items():
                empty = Path(scratch) / f"empty-{round_}"
                cache_dir = empty if case.startswith("empty") else filled
                seconds[case].append(warm_up_seconds(cache_dir, uncached))
                print(f"round {round_ + 1}: {case}: {seconds[case][-1]:.2f} s", file=sys.stderr)
    return seconds


def report(seconds: dict[str, list[float]], load_before: str, load_after: str) -> str:
    lines = [
        "## Cold start: warm-up of a brand-new process (`bench/bench_cold_start.py`)",
        f"CPU flags: {' '.join(cpu_flags())}; {os.cpu_count()} cores; load average {load_before} before, "
        f"{load_after} after",
        "",
        "| case | warm-up seconds per round | median |",
        "|---|---|---|",
    ]
    for case, values in seconds.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        lines.append(f"| {case} | {shown} | {statistics.median(values):.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    seconds = measure(args.rounds)
    load_after = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    text = report(seconds, load_before, load_after)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
