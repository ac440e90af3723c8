"""Scale benchmark: persona discovery on a large synthetic company (default 100,000 transcripts, 20,000 customers).

Run: .venv/bin/python -m bench.bench_scale [--customers 20000] [--transcripts 100000] [--seed 7]
     [--fake-embeddings] [--cache-dir /tmp] [--embed-only] [--out F.md]

Reports wall time per stage, peak RSS of the process (resource.getrusage ru_maxrss, which includes the
generated company and the embedder), the clustering sample size and ARI against the planted personas.
Real embeddings are computed once with the packaged model and cached as .npy under --cache-dir (keyed by
sizes and seed). --fake-embeddings builds vectors from the synthetic persona structure instead (a random
direction per planted persona plus per-transcript noise): that checks memory and time of everything after
embedding, not the model's quality, and the output says so.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pipelines.discover import discover  # noqa: E402
from pipelines.embed import BACKENDS, l2_normalise  # noqa: E402
from pipelines.synthetic import PERSONA_SPECS, build_customers, iter_transcripts  # noqa: E402
from pipelines.text import customer_text  # noqa: E402
from pipelines.types import AccountInput, DiscoveryConfig, TranscriptInput  # noqa: E402
from service.config import DEFAULT_EMBEDDING_BACKEND  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def to_input(raw: dict[str, Any]) -> TranscriptInput:
    """A generated TranscriptIn dict as the pipeline's TranscriptInput."""
    started = raw.get("started_at")
    return TranscriptInput(
        external_id=raw["external_id"],
        customer_id=raw["customer_id"],
        channel=raw["channel"],
        started_at=datetime.fromisoformat(started) if started else None,
        duration_seconds=raw.get("duration_seconds"),
        turns=raw["turns"],
    )


def fake_vectors(
    transcripts: list[TranscriptInput], truth: dict[str, str], seed: int, dim: int = 384, noise: float = 6.0
) -> np.ndarray:
    """Vectors from the planted structure: persona direction + customer offset + per-transcript noise."""
    rng = np.random.default_rng(seed)
    names = sorted({spec.name for spec in PERSONA_SPECS})
    directions = rng.standard_normal((len(names), dim)).astype(np.float32)
    customer_ids = sorted(truth)
    offsets = 0.7 * rng.standard_normal((len(customer_ids), dim)).astype(np.float32)
    row = {c: i for i, c in enumerate(customer_ids)}
    persona_row = {n: i for i, n in enumerate(names)}
    out = np.empty((len(transcripts), dim), dtype=np.float32)
    for start in range(0, len(transcripts), 10_000):
        part = transcripts[start : start + 10_000]
        owners = np.asarray([row[t.customer_id] for t in part])
        personas = np.asarray([persona_row[truth[t.customer_id]] for t in part])
        block = directions[personas] + offsets[owners]
        block += noise * rng.standard_normal(block.shape).astype(np.float32)
        out[start : start + len(part)] = block
    return l2_normalise(out).astype(np.float32)


def real_vectors(texts: list[str], cache: Path, backend: str) -> tuple[np.ndarray, float | None]:
    """Packaged-model vectors of texts, loaded from cache when present; returns (vectors, embed seconds)."""
    if cache.is_file():
        vectors = np.load(cache)
        if len(vectors) == len(texts):
            return vectors, None
    from pipelines.discover import _embed
    from pipelines.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(backend=backend)
    embedder.embed(["load the model before the clock starts"])
    clock = time.perf_counter()
    done = [0.0]

    def progress(_: str, fraction: float) -> None:
        if fraction - done[0] >= 0.05:
            done[0] = fraction
            print(f"  embedded {fraction:.0%} after {time.perf_counter() - clock:.0f}s", flush=True)

    vectors = _embed(texts, embedder, progress)
    seconds = time.perf_counter() - clock
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors, seconds


def main() -> int:
    """Generate, embed (or load cached/fake vectors), discover, and print a markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--transcripts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic company and of the run")
    parser.add_argument("--fake-embeddings", action="store_true", help="vectors from the planted structure")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp"), help="where real vectors are cached")
    parser.add_argument("--embed-only", action="store_true", help="only compute and cache real vectors")
    parser.add_argument(
        "--backend",
        default=DEFAULT_EMBEDDING_BACKEND,
        choices=BACKENDS,
        help="embedding backend (default: the service's)",
    )
    parser.add_argument("--sample-threshold", type=int, help="override ClusterParams.sample_threshold")
    parser.add_argument("--sample-size", type=int, help="override ClusterParams.sample_size")
    parser.add_argument("--out", type=Path, help="also write the markdown section to this file")
    args = parser.parse_args()
    from sklearn.metrics import adjusted_rand_score

    timings: dict[str, float] = {}
    clock = time.perf_counter()
    customers = build_customers(args.customers, args.seed)
    transcripts = [to_input(t) for t in iter_transcripts(customers, args.transcripts, args.seed)]
    accounts = [
        AccountInput(
            customer_id=c.account["customer_id"],
            annual_revenue=float(c.account["annual_revenue"]),
            name=c.account.get("name"),
            attributes=dict(c.account.get("attributes", {})),
        )
        for c in customers
        if c.account is not None
    ]
    truth = {c.customer_id: c.persona for c in customers}
    del customers
    timings["generate"] = time.perf_counter() - clock
    rss_after_generate = peak_rss_mb()

    clock = time.perf_counter()
    cache = (
        args.cache_dir
        / f"bench_scale_c{args.customers}_t{args.transcripts}_s{args.seed}_minilm_{args.backend}.npy"
    )
    if args.fake_embeddings:
        vectors, source = fake_vectors(transcripts, truth, args.seed), "FAKE (planted persona structure)"
    else:
        texts = [customer_text(t.turns) for t in transcripts]
        vectors, embed_seconds = real_vectors(texts, cache, args.backend)
        del texts
        source = f"real all-MiniLM-L6-v2, {args.backend} backend " + (
            f"(embedded now in {embed_seconds:.0f}s)" if embed_seconds is not None else f"(cached {cache})"
        )
        if args.embed_only:
            print(f"cached {len(vectors)} vectors at {cache}; {source}")
            return 0
    timings["embed (or load)"] = time.perf_counter() - clock
    rss_before_discover = peak_rss_mb()

    config = DiscoveryConfig(seed=args.seed)
    overrides = {"sample_threshold": args.sample_threshold, "sample_size": args.sample_size}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if overrides:
        from dataclasses import replace

        config = replace(config, clustering=replace(config.clustering, **overrides))
    clock = time.perf_counter()
    result = discover(transcripts, accounts, config, transcript_vectors=vectors)
    timings["discover (total)"] = time.perf_counter() - clock
    ids = sorted(result.assignments)
    ari = adjusted_rand_score([truth[c] for c in ids], [result.labels[c] for c in ids])
    params = config.clustering
    sampled = len(result.assignments) > params.sample_threshold and params.sample_size < len(
        result.assignments
    )
    lines = [
        f"## Scale: {args.transcripts:,} transcripts / {args.customers:,} customers",
        "",
        f"Embeddings: **{source}**. Synthetic company seed {args.seed}; run seed {config.seed}.",
        f"Clustering sample: {'yes' if sampled else 'no'} — rule: more than {params.sample_threshold:,} "
        f"customers -> fit the split, its refinement and the resampling stability on {params.sample_size:,} customers (fixed seed), "
        "assign the rest by the refinement's likelihood step over their contacts' neighbours among the "
        "sample's contacts.",
        "",
        "| stage | wall s |",
        "|---|---:|",
        *[f"| {name} | {seconds:.1f} |" for name, seconds in timings.items()],
        *[f"| discover: {name} | {seconds:.1f} |" for name, seconds in result.timings.items()],
        "",
        f"- customers assigned: {len(result.assignments):,}; personas: {result.chosen_k}; "
        f"ARI vs planted personas: **{ari:.3f}**; quality ({result.quality_metric}): "
        f"{result.quality if result.quality is None else round(result.quality, 3)}",
        f"- peak RSS: **{peak_rss_mb():,.0f} MB** (after generating: {rss_after_generate:,.0f} MB; "
        f"before discover: {rss_before_discover:,.0f} MB)",
        f"- clustering: {result.clustering_method}; map: {result.map_method}",
        f"- reason/notes: {result.reason}",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
