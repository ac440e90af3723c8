"""Persona cards: the planted_dev bars over several seeds, describing's share of the run, and the demo cards.

Run: .venv/bin/python -m bench.bench_cards [--seeds 42 1 2 3 4] [--cache /tmp/planted_vectors.npy] [--out F.md]

planted_dev: every discovered persona's quotes and job examples are traced to their Banking77 intents
(tests/pipelines/test_cards_planted.py holds the check) and the smallest margin over personas and seeds is
reported. Timing: describing (with naming) against discover's total, embedding included, on the first seed.
Demo company: generate_company(n_customers=240, seed=7), described on its planted personas (the truth
partition, so the cards can be compared with pipelines/synthetic/personas.py whatever the clustering finds) and
on the run's own personas.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.bench_pipeline import load_accounts, load_transcripts  # noqa: E402
from pipelines.describe import PersonaDescription, PersonaTexts, describe_personas  # noqa: E402
from pipelines.discover import discover  # noqa: E402
from pipelines.embed import SentenceTransformerEmbedder  # noqa: E402
from pipelines.synthetic import PERSONA_SPECS, generate_company  # noqa: E402
from pipelines.text import customer_text  # noqa: E402
from pipelines.types import AccountInput, DiscoveryConfig, TranscriptInput  # noqa: E402
from pipelines.warmup import warm_up  # noqa: E402
from service.config import DEFAULT_EMBEDDING_BACKEND  # noqa: E402
from tests.pipelines.conftest import PLANTED_DEV, PlantedData  # noqa: E402
from tests.pipelines.test_cards_planted import MIN_PURITY, check_card, intent_of_text  # noqa: E402


def planted(
    embedder: SentenceTransformerEmbedder, cache: Path | None
) -> tuple[PlantedData, np.ndarray, float]:
    """planted_dev, its transcript vectors (cached when asked) and the seconds embedding took (0 if cached)."""
    import json

    data = PlantedData(
        load_transcripts(PLANTED_DEV / "transcripts.jsonl"),
        load_accounts(PLANTED_DEV / "accounts.csv"),
        json.loads((PLANTED_DEV / "truth.json").read_text(encoding="utf-8")),
    )
    if cache is not None and cache.is_file():
        return data, np.load(cache), 0.0
    clock = time.perf_counter()
    vectors = embedder.embed([customer_text(t.turns) for t in data.transcripts])
    seconds = time.perf_counter() - clock
    if cache is not None:
        np.save(cache, vectors)
    return data, vectors, seconds


def bar_rows(data: PlantedData, vectors: np.ndarray, seeds: list[int]) -> tuple[list[str], dict[str, float]]:
    """One table row per (seed, persona) and the run timings of the first seed."""
    intents = intent_of_text()
    rows, first_timings = [], {}
    for seed in seeds:
        result = discover(
            data.transcripts, data.accounts, DiscoveryConfig(seed=seed), transcript_vectors=vectors
        )
        first_timings = first_timings or dict(result.timings)
        for persona in result.personas:
            c = check_card(persona, data, intents)
            ok = (
                c.purity >= MIN_PURITY
                and c.jobs >= 3
                and c.example_intents >= 3
                and 2 <= len(c.label.split())
                and len(c.label) <= 60
                and not c.short_consequences
            )
            rows.append(
                f"| {seed} | {c.planted} | {c.label} | {c.purity:.2f} ({c.items}) | {c.jobs} | "
                f"{c.example_intents} | {'pass' if ok else 'FAIL'} |"
            )
    return rows, first_timings


def _demo_inputs() -> tuple[list[TranscriptInput], list[AccountInput], dict[str, str]]:
    company = generate_company(n_customers=240, seed=7)
    transcripts = [
        TranscriptInput(
            t["external_id"],
            t["customer_id"],
            t["channel"],
            datetime.fromisoformat(t["started_at"]) if t.get("started_at") else None,
            t.get("duration_seconds"),
            t["turns"],
        )
        for t in company.transcripts
    ]
    accounts = [
        AccountInput(a["customer_id"], float(a["annual_revenue"]), a.get("name"), a.get("attributes", {}))
        for a in company.accounts
    ]
    return transcripts, accounts, company.truth


def demo_cards(embedder: SentenceTransformerEmbedder) -> tuple[list[PersonaDescription], list[str]]:
    """The demo company described on its planted personas, and the labels of its own run's personas."""
    transcripts, accounts, truth = _demo_inputs()
    result = discover(transcripts, accounts, embedder=embedder)
    vectors = result.transcript_vectors
    assert vectors is not None
    rows: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(transcripts):
        if customer_text(t.turns).strip():
            rows[truth[t.customer_id]].append(i)
    personas = []
    for spec in PERSONA_SPECS:
        picked = rows[spec.name]
        centroid = vectors[picked].mean(axis=0)
        personas.append(
            PersonaTexts(
                spec.name,
                [customer_text(transcripts[i].turns) for i in picked],
                vectors[picked],
                centroid / np.linalg.norm(centroid),
                ids=[transcripts[i].external_id for i in picked],
                owners={transcripts[i].external_id: transcripts[i].customer_id for i in picked},
            )
        )
    run_labels = [f"{p.description.label} ({len(p.customer_ids)} customers)" for p in result.personas]
    return describe_personas(personas), run_labels


def demo_section(cards: list[PersonaDescription], run_labels: list[str]) -> list[str]:
    lines = ["### Demo company: cards of the four planted personas", ""]
    lines += ["| planted persona (pipelines/synthetic/personas.py) | card |", "|---|---|"]
    for spec, card in zip(PERSONA_SPECS, cards, strict=True):
        jobs = "<br>".join(f"{j.label} ({j.share:.0%})" for j in card.jobs)
        why = "; ".join(f"“{m.text}” ×{m.count}" for m in card.motivations[:3])
        cost = "; ".join(f"“{c.text}” ×{c.count}" for c in card.consequences[:3])
        card_text = (
            f"**{card.label}**<br>{card.summary}<br>*Jobs:* {jobs}<br>*Why:* {why}<br>*Gap costs:* {cost}"
        )
        lines.append(f"| **{spec.label}** (grade {spec.grade}) | {card_text} |")
    lines += ["", "The run's own personas on the same data: " + "; ".join(run_labels) + "."]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3, 4])
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder(backend=DEFAULT_EMBEDDING_BACKEND)  # what a service run uses
    warm_up(embedder)
    data, vectors, embed_s = planted(embedder, args.cache)
    rows, timings = bar_rows(data, vectors, args.seeds)
    describing = timings["describing"]
    total = timings["total"] - timings.get("embedding", 0.0) + embed_s
    lines = ["## Persona cards", "", f"planted_dev, seeds {args.seeds} (bar: purity >= {MIN_PURITY}):", ""]
    lines += ["| seed | planted persona | label | purity (items) | jobs | example intents | bars |"]
    lines += ["|---|---|---|---|---|---|---|", *rows, ""]
    lines.append(
        f"Describing (with naming): {describing:.1f} s of a {total:.1f} s discover run with embedding "
        f"({embed_s:.1f} s, {DEFAULT_EMBEDDING_BACKEND}): {describing / total:.1%} (bar < 15%); {describing / timings['total']:.1%} "
        "of the run without embedding (cached vectors)."
    )
    lines += ["", *demo_section(*demo_cards(embedder))]
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
