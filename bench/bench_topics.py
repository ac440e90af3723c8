"""Benchmark of transcript-level topics on Banking77: V-measure and ARI against the 77 intents, topics, time.

Run: .venv/bin/python bench/bench_topics.py [--data ../shared/data/banking77/train.csv] [--seed 42]
     [--min-topic-size N] [--cache VECTORS.npy] [--out F.md]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sklearn.metrics import (  # noqa: E402
    adjusted_rand_score,
    completeness_score,
    homogeneity_score,
    v_measure_score,
)

from pipelines.embed import SentenceTransformerEmbedder  # noqa: E402
from pipelines.topics import default_min_topic_size, find_topics  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
V_MEASURE_BAR = 0.80


def load_banking77(path: Path) -> tuple[list[str], list[str]]:
    """Texts and intent labels of a Banking77 CSV (columns text, category)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def embed(texts: list[str], cache: Path | None) -> tuple[np.ndarray, float]:
    """Embeddings of the texts (read from / written to the cache file when given) and the seconds spent."""
    if cache is not None and cache.is_file():
        vectors = np.load(cache)
        if vectors.shape[0] == len(texts):
            return vectors, 0.0
    started = time.perf_counter()
    vectors = SentenceTransformerEmbedder().embed(texts)
    elapsed = time.perf_counter() - started
    if cache is not None:
        np.save(cache, vectors)
    return vectors, elapsed


def report(args: argparse.Namespace) -> str:
    """Run the benchmark and return its markdown section."""
    texts, intents = load_banking77(args.data)
    vectors, embed_s = embed(texts, args.cache)
    started = time.perf_counter()
    result = find_topics(vectors, texts, min_topic_size=args.min_topic_size, seed=args.seed)
    topics_s = time.perf_counter() - started
    v_measure = v_measure_score(intents, result.labels)
    size = args.min_topic_size or default_min_topic_size(len(texts))
    lines = [
        "## Topics on Banking77 (transcript level)",
        "",
        f"Data: `{args.data.name}`, {len(texts):,} texts, {len(set(intents))} intents. "
        f"Method: {result.method}; seed {args.seed}; min_topic_size {size}.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| V-measure (bar {V_MEASURE_BAR:.2f}) | **{v_measure:.3f}** {'pass' if v_measure >= V_MEASURE_BAR else 'FAIL'} |",
        f"| homogeneity / completeness | {homogeneity_score(intents, result.labels):.3f} / "
        f"{completeness_score(intents, result.labels):.3f} |",
        f"| adjusted Rand index | {adjusted_rand_score(intents, result.labels):.3f} |",
        f"| topics found | {len(result.topics)} |",
        f"| texts density left as noise, then reassigned | {result.noise_reassigned:,} "
        f"({result.noise_reassigned / len(texts):.1%}) |",
        f"| embedding time | {embed_s:.1f} s{' (cached)' if embed_s == 0.0 else ''} |",
        f"| topic time (UMAP + HDBSCAN + keywords) | {topics_s:.1f} s |",
        "",
        "Largest topics:",
        "",
        "| topic | size | label | top keywords |",
        "|---|---|---|---|",
    ]
    for topic in result.topics[:10]:
        lines.append(f"| {topic.id} | {topic.size} | {topic.label} | {', '.join(topic.keywords[:5])} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, print the markdown section and optionally write it to --out."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Banking77 train.csv (text,category)")
    parser.add_argument("--seed", type=int, default=42, help="UMAP seed (default 42)")
    parser.add_argument("--min-topic-size", type=int, default=None, help="default: 0.3 * sqrt(n texts)")
    parser.add_argument("--cache", type=Path, default=None, help="reuse/save embeddings in this .npy file")
    parser.add_argument("--out", type=Path, default=None, help="also write the markdown section here")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"Banking77 not found at {args.data}: pass --data or provide ../shared/data", file=sys.stderr)
        return 2
    section = report(args)
    print(section)
    if args.out is not None:
        args.out.write_text(section, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
