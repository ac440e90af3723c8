"""Benchmark of the embedding backends (pipelines.embed.BACKENDS): throughput, batch independence, agreement
with torch, quality; with the CPU's vector flags, since the int8 speed-up depends on them.

Run: .venv/bin/python bench/bench_embedding.py [--n 3000] [--repeats 3] [--texts planted] [--speedups]
     [--quality] [--out F.md]

Throughput: the same N Banking77 texts through plain `SentenceTransformer.encode` (the yardstick) and through
`SentenceTransformerEmbedder(backend=...).embed` for every backend, side by side in one process, after a
warm-up, in rotating order, best of `--repeats`. Agreement: cosine of each backend's vectors to torch's.
Batch independence: the largest absolute difference between a text's vector embedded alone and the same
text embedded in one call with much longer (multi-chunk) texts, and in reverse order (`--alone-n` texts).
`--texts planted` times planted_dev's customer texts (pipelines.text.customer_text of each transcript, what
a run embeds) instead of Banking77 rows. `--speedups` adds the default backend with each of its Speedups
turned off in turn (and all of them), to measure what each saves.
`--quality` (slow) adds planted_dev customer-level ARI via `pipelines.discover.discover(..., embedder=...)`
and Banking77 topic V-measure via `pipelines.topics.find_topics`, per backend.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.bench_pipeline import load_accounts, load_transcripts  # noqa: E402
from bench.bench_topics import load_banking77  # noqa: E402
from pipelines.embed import (  # noqa: E402
    BACKENDS,
    SentenceTransformerEmbedder,
    Speedups,
    cpu_quantization_target,
    resolve_backend,
)
from pipelines.text import customer_text  # noqa: E402

DEFAULT_BANKING = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
DEFAULT_PLANTED = ROOT.parent / "shared" / "data" / "planted_dev"
SPEEDUP_BAR = 2.5
QUALITY_TOLERANCE = 0.01
CPU_FLAGS = ("avx", "avx2", "fma", "avx_vnni", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8")


def cpu_description() -> str:
    """The CPU model, its core count and which of the vector flags that matter for int8 kernels it has."""
    flags: set[str] = set()
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []:
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            model = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    present = [f for f in CPU_FLAGS if f in flags]
    return f"{model}, {os.cpu_count()} cores, flags: {' '.join(present) or 'none of ' + ' '.join(CPU_FLAGS)}"


def batch_dependence(
    embedder: SentenceTransformerEmbedder, texts: list[str], longer: list[str]
) -> tuple[float, float]:
    """Largest |difference| between each text's vector embedded alone and (a) embedded in one call together
    with much longer texts, (b) embedded in one call in reverse order. 0.0 means bitwise identical."""
    alone = np.stack([embedder.embed([text])[0] for text in texts])
    mixed = embedder.embed([*longer, *texts])[len(longer) :]
    reverse = embedder.embed(texts[::-1])[::-1]
    return float(np.abs(mixed - alone).max()), float(np.abs(reverse - alone).max())


def throughput(
    embedders: dict[str, SentenceTransformerEmbedder],
    texts: list[str],
    repeats: int,
    batch_size: int,
    slice_size: int = 256,
) -> tuple[dict[str, float], dict[str, float], dict[str, np.ndarray]]:
    """Texts/s per contender (best of `repeats` rounds) and the median per-slice speed-up over torch encode.

    Every round walks the texts in slices; each slice goes through every contender back to back, in an
    order that rotates from slice to slice, so a noisy neighbour on a shared machine slows all alike.
    """
    torch_model = embedders["torch"].model
    contenders = ["torch encode", *embedders]

    def run(name: str, batch: list[str]) -> np.ndarray:
        if name == "torch encode":
            return np.asarray(
                torch_model.encode(
                    batch, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
                )
            )
        return embedders[name].embed(batch)

    for name in contenders:  # warm-up: load models, export ONNX files, outside every timing
        run(name, texts[: 2 * batch_size])
    best = dict.fromkeys(contenders, 0.0)
    ratios: dict[str, list[float]] = {name: [] for name in contenders}
    vectors: dict[str, list[np.ndarray]] = {}
    turn = 0
    for round_ in range(repeats):
        spent = dict.fromkeys(contenders, 0.0)
        vectors = {name: [] for name in contenders}
        for start in range(0, len(texts), slice_size):
            batch = texts[start : start + slice_size]
            shift, turn = turn % len(contenders), turn + 1
            seconds = {}
            for name in contenders[shift:] + contenders[:shift]:
                clock = time.perf_counter()
                vectors[name].append(run(name, batch))
                seconds[name] = time.perf_counter() - clock
            for name in contenders:
                spent[name] += seconds[name]
                ratios[name].append(seconds["torch encode"] / seconds[name])
        for name in contenders:
            best[name] = max(best[name], len(texts) / spent[name])
        print(f"  round {round_ + 1}: " + ", ".join(f"{n} {len(texts) / spent[n]:.1f}/s" for n in contenders))
    median = {name: float(np.median(r)) for name, r in ratios.items()}
    return best, median, {name: np.concatenate(v) for name, v in vectors.items()}


def planted_aris(
    data: Path,
    seeds: list[int],
    *,
    embedder: SentenceTransformerEmbedder | None = None,
    vectors: np.ndarray | None = None,
) -> tuple[list[float], int, np.ndarray]:
    """Customer-level ARI vs the planted personas for each seed, the k of the first, and the transcript
    vectors used: embedded by `embedder` inside discover() (as a run does), or the given `vectors`."""
    from sklearn.metrics import adjusted_rand_score

    from pipelines.discover import discover
    from pipelines.types import DiscoveryConfig

    transcripts = load_transcripts(data / "transcripts.jsonl")
    accounts = load_accounts(data / "accounts.csv")
    truth = json.loads((data / "truth.json").read_text())
    aris, k = [], 0
    for seed in seeds:
        result = discover(
            transcripts, accounts, DiscoveryConfig(seed=seed), embedder=embedder, transcript_vectors=vectors
        )
        vectors, k = result.transcript_vectors, k or result.chosen_k
        ids = sorted(result.assignments)
        aris.append(
            adjusted_rand_score([truth["persona_of"][c] for c in ids], [result.labels[c] for c in ids])
        )
    assert vectors is not None
    return [float(a) for a in aris], k, vectors


def perturbed(vectors: np.ndarray, mean_cosine: float, seed: int) -> np.ndarray:
    """Unit vectors moved by isotropic random noise so that their mean cosine to the originals is about
    `mean_cosine`: how much ARI moves from any perturbation of that size, with no model involved."""
    from pipelines.embed import l2_normalise

    angle = float(np.arccos(np.clip(mean_cosine, -1.0, 1.0)))
    noise = np.random.default_rng(seed).normal(size=vectors.shape) / np.sqrt(vectors.shape[1])
    return l2_normalise(vectors + np.tan(angle) * noise)


def topic_v_measure(
    embedder: SentenceTransformerEmbedder, texts: list[str], intents: list[str], seed: int
) -> float:
    """Banking77 V-measure of the transcript-level topics found on this embedder's vectors."""
    from sklearn.metrics import v_measure_score

    from pipelines.topics import find_topics

    result = find_topics(embedder.embed(texts), texts, seed=seed)
    return float(v_measure_score(intents, result.labels))


def speed_section(
    args: argparse.Namespace, embedders: dict[str, SentenceTransformerEmbedder], texts: list[str], step: int
) -> list[str]:
    """Throughput, agreement with torch and batch independence of every contender, as markdown lines."""
    best, median, vectors = throughput(embedders, texts, args.repeats, args.batch_size, args.slice)
    # Much longer companions: one text near the model window, one of several windows (chunked and pooled).
    longer = [" ".join(texts[-8:]), " ".join(texts[-60:])]
    alone_texts = texts[: args.alone_n]
    dependence = {}
    for name, embedder in embedders.items():
        print(f"  batch independence {name} ...", flush=True)
        dependence[name] = batch_dependence(embedder, alone_texts, longer)
    base = best["torch encode"]
    lines = [
        "## Embedding backends (throughput, batch independence and quality)",
        "",
        f"CPU: {cpu_description()}; int8 kernels for `{cpu_quantization_target()}`.",
        "",
        f"{len(texts):,} {args.texts} texts (every {step}th of the corpus), batch size "
        f"{args.batch_size}; best of {args.repeats} rounds after a warm-up, all in one process; each round "
        f"runs slices of {args.slice} texts through every contender back to back in rotating order. "
        "int8 = ONNX Runtime dynamic quantization for this CPU family; the ONNX files are exported once from "
        "the packaged model into the model cache. Batch independence: max |difference| between each of the "
        f"first {len(alone_texts)} texts embedded alone and the same texts embedded in one call with two much "
        "longer texts (one of several model windows), or in reverse order; 0 = bitwise identical.",
        "",
        f"| contender | texts/s | vs plain torch encode (bar {SPEEDUP_BAR}x) | median per-slice speed-up "
        "| cosine to torch: min / mean | alone vs with longer texts | alone vs reversed |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    reference = vectors["torch encode"]
    for name, rate in best.items():
        cosine = (vectors[name] * reference).sum(axis=1)
        mark = "" if name == "torch encode" else (" pass" if rate / base >= SPEEDUP_BAR else " below bar")
        cells = [f"{d:.1e}" if d else "0 (bitwise)" for d in dependence.get(name, ())] or ["-", "-"]
        lines.append(
            f"| {name} | {rate:.1f} | {rate / base:.2f}x{mark} | {median[name]:.2f}x "
            f"| {cosine.min():.4f} / {cosine.mean():.4f} | {cells[0]} | {cells[1]} |"
        )
    return lines


def quality_section(
    args: argparse.Namespace,
    embedders: dict[str, SentenceTransformerEmbedder],
    all_texts: list[str],
    all_intents: list[str],
) -> list[str]:
    """planted_dev ARI over three seeds and Banking77 topic V-measure per backend, as markdown lines."""
    topic_step = max(1, len(all_texts) // args.topic_n)
    topic_texts = all_texts[::topic_step][: args.topic_n]
    intents = all_intents[::topic_step][: args.topic_n]
    seeds = [args.seed, args.seed + 1, args.seed + 2]
    lines = [
        "",
        f"Quality (bar: within {QUALITY_TOLERANCE} of torch): planted_dev customer-level ARI, the texts "
        f"embedded inside discover() as a run does, for seeds {', '.join(map(str, seeds))}; Banking77 "
        f"topic V-measure on {len(topic_texts):,} texts (seed {args.seed}).",
        "",
        "| backend | planted_dev ARI per seed (k) | mean ARI | Banking77 V-measure |",
        "|---|---|---:|---:|",
    ]
    scores, planted_vectors = {}, {}
    for name, embedder in embedders.items():
        print(f"  quality {name} ...", flush=True)
        aris, k, planted_vectors[name] = planted_aris(args.planted, seeds, embedder=embedder)
        v = topic_v_measure(embedder, topic_texts, intents, args.seed)
        scores[name] = (float(np.mean(aris)), v)
        per_seed = " / ".join(f"{a:.3f}" for a in aris)
        lines.append(f"| {embedder.model_name} | {per_seed} ({k}) | {np.mean(aris):.3f} | {v:.3f} |")
    ref_ari, ref_v = scores["torch"]
    keeps = [
        n
        for n, (a, v) in scores.items()
        if abs(a - ref_ari) <= QUALITY_TOLERANCE and abs(v - ref_v) <= QUALITY_TOLERANCE
    ]
    lines += ["", f"- backends within the quality bars: {', '.join(keeps)}"]
    if "onnx-int8" in planted_vectors:
        lines.append(ari_resolution(args, planted_vectors["torch"], planted_vectors["onnx-int8"]))
    return lines


def ari_resolution(args: argparse.Namespace, reference: np.ndarray, int8: np.ndarray) -> str:
    """How much planted_dev ARI moves under random noise as large as the int8 error: the bar's resolution."""
    closeness = float((int8 * reference).sum(axis=1).mean())
    noisy = [
        planted_aris(args.planted, [args.seed], vectors=perturbed(reference, closeness, s))[0][0]
        for s in range(5)
    ]
    return (
        f"- resolution of the ARI bar: int8 vectors sit at mean cosine {closeness:.4f} from torch's; "
        f"torch's vectors moved by random noise to the same cosine give ARI "
        f"{min(noisy):.3f}-{max(noisy):.3f} (5 draws, seed {args.seed}), so differences of about "
        f"{max(noisy) - min(noisy):.3f} come from any perturbation of that size, not from the backend"
    )


SPEEDUP_VARIANTS = {
    "no pinned threads": Speedups(pinned_threads=False),
    "no short-text skip": Speedups(skip_short_count=False),
    "no dedup": Speedups(deduplicate=False),
    "none": Speedups(pinned_threads=False, skip_short_count=False, deduplicate=False),
}


def contenders(args: argparse.Namespace) -> dict[str, SentenceTransformerEmbedder]:
    """The embedders to time: each chosen backend, and with --speedups the default backend (`auto` on this
    CPU) with each of its Speedups turned off."""
    backends = [b for b in BACKENDS if b in args.backends or b == "torch"]
    embedders = {b: SentenceTransformerEmbedder(backend=b, batch_size=args.batch_size) for b in backends}
    if args.speedups:
        default = resolve_backend("auto")
        for label, speedups in SPEEDUP_VARIANTS.items():
            embedders[f"{default}, {label}"] = SentenceTransformerEmbedder(
                backend=default, batch_size=args.batch_size, speedups=speedups
            )
    return embedders


def planted_texts(data: Path) -> list[str]:
    """planted_dev's customer texts, one per transcript, in file order: what a run embeds."""
    return [customer_text(t.turns) for t in load_transcripts(data / "transcripts.jsonl")]


def report(args: argparse.Namespace) -> str:
    """Run the benchmark and return its markdown section."""
    all_texts, all_intents = load_banking77(args.banking)
    corpus = planted_texts(args.planted) if args.texts == "planted" else all_texts
    # A fixed, spread-out sample (every k-th row) so all intents appear, not only the first few.
    step = max(1, len(corpus) // args.n)
    texts = corpus[::step][: args.n]
    embedders = contenders(args)
    lines = speed_section(args, embedders, texts, step)
    if args.quality:
        lines += quality_section(args, embedders, all_texts, all_intents)
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, print the markdown section and optionally write it to --out."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--banking", type=Path, default=DEFAULT_BANKING, help="Banking77 train.csv")
    parser.add_argument(
        "--planted", type=Path, default=DEFAULT_PLANTED, help="planted_dev folder (--quality)"
    )
    parser.add_argument("--n", type=int, default=3000, help="texts for the throughput runs (default 3000)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best one counts (default 3)")
    parser.add_argument("--slice", type=int, default=256, help="texts per interleaved slice (default 256)")
    parser.add_argument(
        "--batch-size", type=int, default=32, help="encode batch size (default 32, sentence-transformers')"
    )
    parser.add_argument(
        "--backends",
        nargs="+",
        default=[b for b in BACKENDS if b != "auto"],
        choices=BACKENDS,
        help="torch always runs (default: every concrete backend)",
    )
    parser.add_argument(
        "--texts", choices=("banking77", "planted"), default="banking77", help="corpus of the throughput runs"
    )
    parser.add_argument(
        "--speedups", action="store_true", help="also the default backend minus each speed-up"
    )
    parser.add_argument(
        "--alone-n",
        type=int,
        default=200,
        help="texts embedded one by one for batch independence (default 200)",
    )
    parser.add_argument("--quality", action="store_true", help="also planted_dev ARI and Banking77 V-measure")
    parser.add_argument("--topic-n", type=int, default=10_000, help="Banking77 texts for --quality topics")
    parser.add_argument("--seed", type=int, default=42, help="seed of discovery and topics (default 42)")
    parser.add_argument("--out", type=Path, default=None, help="also write the markdown section here")
    args = parser.parse_args(argv)
    if not args.banking.is_file():
        print(
            f"Banking77 not found at {args.banking}: pass --banking or provide ../shared/data",
            file=sys.stderr,
        )
        return 2
    if (args.quality or args.texts == "planted") and not (args.planted / "transcripts.jsonl").is_file():
        print(f"planted_dev not found at {args.planted}", file=sys.stderr)
        return 2
    section = report(args)
    print(section)
    if args.out is not None:
        args.out.write_text(section, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
