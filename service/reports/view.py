"""What the report template shows, taken from the typed personas, run and report data (no formatting here)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from service.personas.schemas import CustomerRow, Persona, PersonaList
from service.reports.formatting import DASH, sentiment_word
from service.reports.schemas import ReportData
from service.runs.schemas import RunRead

GRADE_NAMES = {"A": "grow", "B": "serve as is", "C": "avoid or fix"}
UNMATCHED_SHOWN = 20
TOTAL_STAGE = "total"  # the whole discovery, stored beside its stages: not a stage of its own


def display_labels(personas: Sequence[Persona]) -> dict[str, str]:
    """Persona id -> a label unique in this report (a repeated or blank label gains part of its id)."""
    raw = {p.id: (p.label.strip() or p.id) for p in personas}
    counts = Counter(raw.values())
    return {pid: (label if counts[label] == 1 else f"{label} ({pid[:8]})") for pid, label in raw.items()}


def persona_view(p: Persona, label: str, colour: str) -> dict[str, Any]:
    """One persona card: its figures, words and pond, under the report's label and colour."""
    return {
        "id": p.id,
        "anchor": "persona-" + re.sub(r"[^A-Za-z0-9_-]", "-", p.id),
        "label": label,
        "label_is_human": p.label_is_human,
        "summary": p.summary,
        "colour": colour,
        "grade": p.grade,
        "grade_name": GRADE_NAMES.get(p.grade, ""),
        "core_growth": p.core_growth,
        "core_growth_note": p.core_growth_note,
        "stability": p.stability,
        "customers": p.customers,
        "transcripts": p.transcripts,
        "share": p.share,
        "revenue_total": p.revenue.total,
        "revenue_per_customer": p.revenue.per_customer,
        "cost_total": p.cost_to_serve.total,
        "cost_per_customer": p.cost_to_serve.per_customer,
        "cost_per_contact": p.cost_to_serve.per_contact,
        "margin_per_customer": p.margin_per_customer,
        "contacts_per_customer": p.contacts_per_customer,
        "avg_handle_minutes": p.avg_handle_minutes,
        "r": p.revenue_index,
        "c": p.cost_index,
        "sentiment": p.sentiment,
        "sentiment_word": sentiment_word(p.sentiment),
        "keywords": list(p.keywords),
        "quotes": list(p.quotes),
        # In stored order: a job's position is its number in GET /v1/transcripts?persona_id=&job=.
        "jobs": [j.model_dump() for j in p.jobs],
        "motivations": [m.model_dump() for m in p.motivations],
        "consequences": [c.model_dump() for c in p.consequences],
        "pond_in": [e.model_dump() for e in p.pond.in_],
        "pond_out": [e.model_dump() for e in p.pond.out],
    }


def headline(views: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The few sentences a CX leader reads first: who to grow, who to fix."""
    return {
        "core": next((v for v in views if v["core_growth"]), None),
        "grade_a": [v for v in views if v["grade"] == "A"],
        "grade_c": [v for v in views if v["grade"] == "C"],
        "no_revenue": [v for v in views if v["r"] is None],
    }


def map_words(method: str) -> str:
    """The map's method for a reader: which projection, without its parameters."""
    name = method.strip().split("(")[0].split()[0].upper() if method.strip() else ""
    if name in ("UMAP", "PCA"):
        return f"a {name} projection of their conversations to two dimensions"
    return ""


def _stages(run: RunRead, data: ReportData) -> tuple[dict[str, float], float | None]:
    """Seconds per stage of the whole run (loading to storing) and their sum; runs stored without them show
    discovery's own stages."""
    timings = run.summary.timings or data.timings
    stages = {k: v for k, v in timings.items() if k != TOTAL_STAGE}
    return (stages, sum(stages.values())) if stages else ({}, None)


def _k_tried(run: RunRead) -> str:
    """Why this many personas, in a phrase: which numbers were tried and how their weakest persona held up."""
    scores = sorted(run.summary.k_scores, key=lambda s: s.k)
    if len(scores) < 2:
        return ""
    parts = ", ".join(f"{s.k} personas {s.weakest:.2f}" for s in scores)
    return f"the least reproducible persona scored {parts} (0.75 or more: it reappears)"


def summary(personas: PersonaList, run: RunRead, data: ReportData) -> dict[str, Any]:
    """The run at a glance: counts, money, window, quality, method and timings."""
    totals, customers = personas.totals, personas.totals.customers
    matched, revenue, cost = totals.matched_customers, totals.revenue, totals.cost_to_serve
    unmatched_ids = data.unmatched_customer_ids
    stages, total_seconds = _stages(run, data)
    window = [*data.data_window, None, None]
    return {
        "customers": customers,
        "matched_customers": matched,
        "unmatched_customers": run.summary.unmatched_customers,
        "unmatched_ids": unmatched_ids[:UNMATCHED_SHOWN],
        "unmatched_more": max(len(unmatched_ids) - UNMATCHED_SHOWN, 0),
        "transcripts": totals.transcripts,
        "revenue": revenue,
        "cost_to_serve": cost,
        "revenue_per_customer": revenue / matched if matched else None,
        "cost_per_customer": cost / customers if customers else None,
        "margin": revenue - cost,
        "run_date": run.finished_at or run.created_at,
        "generated_at": personas.generated_at,
        "window_from": window[0] or run.params.get("since"),
        "window_to": window[1] or run.params.get("until"),
        "quality": data.quality,
        "quality_metric": data.quality_metric or "",
        "criterion": data.criterion or "",
        "chosen_k": data.chosen_k,
        "min_personas": run.params.get("min_personas"),
        "max_personas": run.params.get("max_personas"),
        "model_name": run.model_name or DASH,
        "map_method": data.map.method,
        "map_words": map_words(data.map.method),
        "timings": stages,
        "total_seconds": total_seconds,
        "stability": run.summary.stability,
        "unstable": run.summary.unstable,
        "stability_verdict": run.summary.stability_verdict,
        "k_tried": _k_tried(run),
    }


def accounts(rows: Sequence[CustomerRow], label_of: Mapping[str, str]) -> list[dict[str, Any]]:
    """The top core-growth accounts, each with its persona's report label."""
    return [
        {**row.model_dump(), "persona_label": label_of.get(row.persona_id, row.persona_id)} for row in rows
    ]


def notes(personas: Sequence[Persona], data: ReportData) -> list[str]:
    """Notes on the run's data, then each persona's grade note (naming personas as they are named now)."""
    graded = [p.core_growth_note for p in personas if p.core_growth_note]
    return [*data.notes, *graded]


def currency(currencies: Mapping[str, int]) -> dict[str, Any]:
    """The accounts' currency: one code to print with every amount, or a plain warning when they mix."""
    used = {code: n for code, n in currencies.items() if n}
    if len(used) == 1:
        code = next(iter(used))
        return {
            "code": code,
            "mixed": False,
            "note": f"Amounts are in {code}, the currency of the accounts file; the cost-to-serve rates are read "
            f"as {code} too.",
        }
    if not used:
        return {
            "code": None,
            "mixed": False,
            "note": "No account of this run's customers has revenue, so no currency is known.",
        }
    listed = ", ".join(
        f"{code} ({n} accounts)" for code, n in sorted(used.items(), key=lambda i: (-i[1], i[0]))
    )
    return {
        "code": None,
        "mixed": True,
        "note": f"Mixed currencies: the accounts are in {listed}. Revenue figures here add those amounts as if "
        "they were one currency; convert annual_revenue to one currency in the accounts file for sums that mean "
        "something.",
    }


WEAK_SILHOUETTE = 0.25  # Kaufman & Rousseeuw: below this, no substantial structure


def how_to_read(views: Sequence[Mapping[str, Any]], run_summary: Mapping[str, Any]) -> list[str]:
    """Plain-words sentences for what a reader could misread: a fallback core-growth choice, a weak quality
    figure, personas that do not reliably reappear."""
    sentences = []
    core = next((v for v in views if v["core_growth"]), None)
    if core is not None and core["grade"] != "A":
        sentences.append(
            f"No persona both earns more than the average customer and costs less to serve (grade A), so "
            f"\u201c{core['label']}\u201d is marked Grow only because it has the best revenue-to-cost ratio "
            f"(R {core['r'] or 0:.2f} against C {core['c'] or 0:.2f}); it can sit in a high-cost corner of the "
            "chart. Read it as the best of the groups found, not as an ideal customer profile."
        )
    quality = run_summary.get("quality")
    if (
        quality is not None
        and quality < WEAK_SILHOUETTE
        and "silhouette" in run_summary.get("quality_metric", "")
    ):
        sentences.append(
            f"The quality figure ({quality:.2f}) is low: it would be 1.00 if every customer were far closer to "
            "their own persona than to any other. Customers raise several kinds of request, so personas overlap; "
            "read a persona as what a group of customers leans towards, not as a closed box."
        )
    if run_summary.get("unstable"):
        sentences.append(
            "The personas are tentative: when the customers are resampled, at least one of them does not come "
            "back reliably. Use them to ask questions, and run again with more conversations before acting."
        )
    return sentences
