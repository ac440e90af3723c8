"""DiscoveryResult -> the stored Persona payloads, customer rows and report data of a run (pure conversion)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pipelines.economics import Account, economics_rules
from pipelines.pond import PondMap
from pipelines.types import DiscoveryResult

TOP_PHRASES = 6


def _pond_entries(entries: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"attribute": e.attribute, "value": e.value, "lift": round(e.lift, 3), "customers": e.customers}
        for e in entries
    ]


def _pond(pond: PondMap) -> dict[str, Any]:
    return {"in": _pond_entries(pond.in_pond), "out": _pond_entries(pond.out_of_pond)}


def _phrases(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"text": p.text, "count": p.count} for p in items[:TOP_PHRASES]]


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _named(note: str | None, labels: Mapping[str, str]) -> str | None:
    """Notes from the pipeline name personas by run-local key ("P2"); readers know them by label."""
    if not note:
        return None
    return re.sub(
        r"\bP\d+\b", lambda m: f"“{labels[m.group(0)]}”" if m.group(0) in labels else m.group(0), note
    )


def persona_payloads(result: DiscoveryResult) -> list[dict[str, Any]]:
    """One Persona (API contract) per discovered persona, largest first."""
    labels = {p.key: p.description.label for p in result.personas}
    payloads = []
    for persona in result.personas:
        d, e = persona.description, persona.economics
        payloads.append(
            {
                "id": persona.stable_id,
                "label": d.label,
                "label_is_human": False,
                "grade": e.grade,
                "core_growth": e.core_growth,
                "core_growth_note": _named(e.note, labels),
                "customers": e.customers,
                "transcripts": len(persona.transcript_ids),
                "share": round(e.share, 4),
                "revenue": {
                    "total": round(e.revenue_total, 2),
                    "per_customer": _rounded(e.revenue_per_customer),
                },
                "cost_to_serve": {
                    "total": round(e.cost_to_serve_total, 2),
                    "per_customer": round(e.cost_per_customer, 2),
                    "per_contact": _rounded(e.cost_per_contact),
                },
                "margin_per_customer": _rounded(e.margin_per_customer),
                "contacts_per_customer": round(e.contacts_per_customer, 2),
                "avg_handle_minutes": _rounded(e.avg_handle_minutes),
                "revenue_index": _rounded(e.revenue_index, 3),
                "cost_index": round(e.cost_index, 3),
                "sentiment": round(d.sentiment, 3),
                "keywords": list(d.keywords),
                "quotes": list(d.quotes),
                "jobs": [
                    {
                        "label": j.label,
                        "keywords": list(j.keywords),
                        "transcripts": j.transcripts,
                        "share": j.share,
                    }
                    for j in d.jobs
                ],
                "motivations": _phrases(d.motivations),
                "consequences": _phrases(d.consequences),
                "pond": _pond(persona.pond),
            }
        )
    return sorted(payloads, key=lambda p: -p["customers"])


def stable_ids(result: DiscoveryResult) -> dict[str, str]:
    """Persona key within the run -> stable persona id."""
    return {p.key: str(p.stable_id) for p in result.personas}


def customer_rows(result: DiscoveryResult, accounts: Mapping[str, Account]) -> list[dict[str, Any]]:
    key_to_id = stable_ids(result)
    rows = []
    for c in result.economics.customers:
        assignment = result.assignments.get(c.customer_id)
        account = accounts.get(c.customer_id)
        rows.append(
            {
                "customer_id": c.customer_id,
                "persona_id": key_to_id[c.persona_key],
                "name": account.name if account else None,
                "confidence": round(assignment.confidence, 4) if assignment else 0.0,
                "grade": c.grade,
                "core_growth": c.core_growth,
                "annual_revenue": _rounded(c.revenue),
                "cost_to_serve": round(c.cost_to_serve, 2),
                "margin": _rounded(c.margin),
                "contacts": c.contacts,
            }
        )
    return rows


def share_by_month(
    started: Mapping[str, datetime | None],
    transcript_customer: Mapping[str, str],
    persona_of: Mapping[str, str],
) -> dict[str, Any]:
    """Share of each month's contacts by persona (transcripts without a start time are left out)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for transcript_id, moment in started.items():
        persona = persona_of.get(transcript_customer[transcript_id])
        if moment is not None and persona is not None:
            counts[moment.strftime("%Y-%m")][persona] += 1
    months = sorted(counts)
    personas = sorted({p for c in counts.values() for p in c})
    shares = {p: [round(counts[m][p] / max(sum(counts[m].values()), 1), 4) for m in months] for p in personas}
    return {"months": months, "shares": shares}


def report_data(
    result: DiscoveryResult,
    *,
    share_over_time: dict[str, Any],
    data_window: tuple[datetime | None, datetime | None],
) -> dict[str, Any]:
    """What the report and dashboard need beyond the personas: map, pond, rules, quality, timings."""
    key_to_id = stable_ids(result)
    points = [
        {
            "customer_id": a.customer_id,
            "persona_id": key_to_id[a.persona_key],
            "x": round(a.map_x, 4),
            "y": round(a.map_y, 4),
        }
        for a in result.assignments.values()
    ]
    economics = result.economics
    return {
        "map": {"method": result.map_method, "points": points},
        "share_over_time": share_over_time,
        "pond": _pond(result.pond),
        "rules": list(economics_rules(_rates(result))),
        "notes": list(result.notes),
        "retired_persona_ids": list(result.retired_ids),
        "quality": result.quality,
        "quality_metric": result.quality_metric,
        "criterion": result.criterion,
        "criterion_scores": {str(k): v for k, v in result.criterion_scores.items()},
        "chosen_k": result.chosen_k,
        "reason": result.reason,
        "timings": result.timings,
        "unmatched_customer_ids": list(economics.unmatched_customer_ids),
        "data_window": [d.isoformat() if d else None for d in data_window],
        "totals": asdict(economics.totals),
    }


def _rates(result: DiscoveryResult) -> Any:
    from pipelines.economics import CostRates

    c = result.config
    return CostRates(
        c.cost_per_minute_call, c.cost_per_minute_chat, c.cost_per_minute_other, c.cost_per_email
    )
