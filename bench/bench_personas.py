"""Method x data set -> ARI and k: customer representations, the choice of k, chat-text handling, robustness.

Data sets: planted_dev, the demo company (generate_company(240, seed) for seeds 11, 12, 13) and the Twitter
customer-care sample (truth = brand sector). Each is embedded once (ONNX fp32, batch-independent) per text
recipe and cached under --cache. Rows: the product's method (k chosen, and k forced to the planted count),
plain k-means on the mean customer vector, and a job-histogram multinomial mixture, on raw and cleaned text;
then the chosen k under perturbations (int8 rounding, cosine-0.997 noise, other seeds).

Run: .venv/bin/python bench/bench_personas.py [--cache /tmp/bench_personas] [--out F.md]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pipelines.cluster import cluster_customers, customer_vectors  # noqa: E402
from pipelines.embed import SentenceTransformerEmbedder, embed_in_batches, l2_normalise  # noqa: E402
from pipelines.partition import spherical_kmeans  # noqa: E402
from pipelines.synthetic import generate_company  # noqa: E402
from pipelines.text import customer_text, customer_turns  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TEXTS: dict[str, Callable[[list[dict[str, object]]], str]] = {
    "raw": lambda turns: "\n".join(customer_turns(turns)),
    "clean": customer_text,
}


def load_sets() -> dict[str, tuple[list[dict[str, object]], dict[str, str]]]:
    """name -> (transcripts as JSON dicts, customer -> planted persona)."""
    sets = {}
    for name, folder in (("planted_dev", DATA / "planted_dev"), ("twitter", DATA / "twitter_other_sectors")):
        rows = [json.loads(line) for line in (folder / "transcripts.jsonl").read_text().splitlines() if line]
        sets[name] = (rows, json.loads((folder / "truth.json").read_text())["persona_of"])
    for seed in (11, 12, 13):
        company = generate_company(n_customers=240, seed=seed)
        sets[f"demo_s{seed}"] = (list(company.transcripts), dict(company.truth))
    return sets


def vectors_of(name: str, recipe: str, rows: list[dict[str, object]], cache: Path) -> tuple[np.ndarray, list]:
    """Transcript vectors of the rows' customer text (cached), and the ids of rows with text."""
    texts = [TEXTS[recipe](row["turns"]) for row in rows]  # type: ignore[arg-type]
    used = [i for i, text in enumerate(texts) if text.strip()]
    path = cache / f"{name}_{recipe}.npy"
    if not path.exists():
        embedder = SentenceTransformerEmbedder(backend="onnx")
        out = np.zeros((len(used), 384), dtype=np.float32)
        for batch, vectors in embed_in_batches([texts[i] for i in used], embedder):
            out[batch] = vectors
        np.save(path, out)
    return np.load(path), [rows[i]["customer_id"] for i in used]


def job_mixture(contacts: np.ndarray, owner: np.ndarray, n: int, k: int, seed: int) -> np.ndarray:
    """Customers as histograms over 80 fine contact topics (soft, temperature 0.05), split by a multinomial
    mixture fitted by EM (10 random starts, the best likelihood kept)."""
    fine = min(80, len(contacts) // 3)
    topic_of = spherical_kmeans(contacts, fine, 1, seed)[0][1]
    topics = l2_normalise(np.stack([contacts[topic_of == j].mean(0) for j in np.unique(topic_of)]))
    weights = np.exp((contacts @ topics.T - 1.0) / 0.05)
    counts = np.zeros((n, len(topics)))
    np.add.at(counts, owner, weights / weights.sum(1, keepdims=True))
    rng, best = np.random.default_rng(seed), (-np.inf, np.zeros(n, dtype=np.int64))
    for _ in range(10):
        resp = rng.dirichlet(np.ones(k), size=n)
        for _ in range(200):
            theta = resp.T @ counts + 0.1
            loglik = counts @ np.log(theta / theta.sum(1, keepdims=True)).T + np.log(resp.mean(0) + 1e-9)
            resp = np.exp(loglik - loglik.max(1, keepdims=True))
            resp /= resp.sum(1, keepdims=True)
        total = float((loglik.max(1) + np.log(np.exp(loglik - loglik.max(1, keepdims=True)).sum(1))).sum())
        if total > best[0]:
            best = (total, resp.argmax(1))
    return best[1]


def perturbed(contacts: np.ndarray, how: str) -> np.ndarray:
    """int8 rounding per row, or noise at cosine ~0.997 (seeded by the variant's name)."""
    if how == "int8":
        scale = np.abs(contacts).max(1, keepdims=True) / 127
        return l2_normalise(np.round(contacts / scale) * scale)
    noise = np.random.default_rng(int(how[-1])).standard_normal(contacts.shape) / np.sqrt(contacts.shape[1])
    return l2_normalise(contacts + 0.0776 * noise)


def rows_for(name: str, recipe: str, contacts: np.ndarray, owners: list, truth: dict[str, str]) -> list[str]:
    """Every measured row of one data set and text recipe."""
    ids, customers = customer_vectors(contacts, owners)
    row = {c: i for i, c in enumerate(ids)}
    owner = np.asarray([row[c] for c in owners])
    names = sorted(set(truth.values()))
    y = np.asarray([names.index(truth[c]) for c in ids])
    planted, out = len(names), []
    clock = time.perf_counter()
    chosen = cluster_customers(customers, contact_vectors=contacts, contact_owner=owner)
    seconds = time.perf_counter() - clock
    tried = " ".join(f"{s.k}:{s.weakest:.2f}" for s in chosen.k_scores)
    out.append(
        f"| {name} | {recipe} | product (k chosen) | {chosen.k} | "
        f"{adjusted_rand_score(y, chosen.labels):.3f} | weakest per k {tried}; {seconds:.1f} s |"
    )
    forced = cluster_customers(
        customers, contact_vectors=contacts, contact_owner=owner, min_personas=planted, max_personas=planted
    )
    out.append(
        f"| {name} | {recipe} | product (k forced) | {planted} | {adjusted_rand_score(y, forced.labels):.3f} | |"
    )
    kmeans = spherical_kmeans(customers, planted, 10, 42)[0][1]
    out.append(
        f"| {name} | {recipe} | mean vector + k-means | {planted} | {adjusted_rand_score(y, kmeans):.3f} | |"
    )
    jobs = job_mixture(contacts, owner, len(ids), planted, 42)
    out.append(
        f"| {name} | {recipe} | job histogram + mixture | {planted} | {adjusted_rand_score(y, jobs):.3f} | |"
    )
    if recipe == "clean":
        out.append(robustness(name, customers, contacts, owner, owners, y))
    return out


def robustness(
    name: str, customers: np.ndarray, contacts: np.ndarray, owner: np.ndarray, owners: list, y: np.ndarray
) -> str:
    """The chosen k (and ARI) under int8 rounding, two cosine-0.997 noise draws and two other seeds."""
    cells = []
    for how in ("int8", "noise1", "noise2", "seed7", "seed1"):
        seed = int(how[4:]) if how.startswith("seed") else 42
        moved = contacts if how.startswith("seed") else perturbed(contacts, how)
        _, mean = customer_vectors(moved, owners)
        result = cluster_customers(mean, contact_vectors=moved, contact_owner=owner, seed=seed)
        cells.append(f"{how} k={result.k} ARI {adjusted_rand_score(y, result.labels):.2f}")
    return f"| {name} | clean | product under perturbation | | | {'; '.join(cells)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bench_personas"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    flags = sorted(
        {
            f
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
            for f in line.split()
            if f.startswith("avx")
        }
    )
    lines = [
        f"CPU flags: {' '.join(flags)}",
        "",
        "| data set | text | method | k | ARI | notes |",
        "|---|---|---|---|---|---|",
    ]
    for name, (rows, truth) in load_sets().items():
        for recipe in TEXTS:
            contacts, owners = vectors_of(name, recipe, rows, args.cache)
            lines += rows_for(name, recipe, contacts, owners, truth)
            print("\n".join(lines[-5:]), flush=True)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
