"""A run's result as the report data it stores: the map, monthly shares, the run's pond, rules and notes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict

from pipelines.contact_cost import economics_rules
from pipelines.results import DiscoveryResult
from pipelines.types import TranscriptInput
from service.personas.build import pond
from service.reports.schemas import CustomerMap, MapPoint, ReportData, ShareOverTime
from service.runs.schemas import RunTotals


def share_by_month(transcripts: Sequence[TranscriptInput], persona_of: Mapping[str, str]) -> ShareOverTime:
    """Share of each month's contacts by persona (transcripts without a start time are left out)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for t in transcripts:
        persona = persona_of.get(t.customer_id)
        if t.started_at is not None and persona is not None:
            counts[t.started_at.strftime("%Y-%m")][persona] += 1
    months = sorted(counts)
    personas = sorted({p for c in counts.values() for p in c})
    shares = {p: [round(counts[m][p] / max(sum(counts[m].values()), 1), 4) for m in months] for p in personas}
    return ShareOverTime(months=months, shares=shares)


def _customer_map(result: DiscoveryResult) -> CustomerMap:
    id_of = {p.key: p.stable_id for p in result.personas}
    points = [
        MapPoint(
            customer_id=a.customer_id,
            persona_id=id_of[a.persona_key],
            x=round(a.map_x, 4),
            y=round(a.map_y, 4),
        )
        for a in result.assignments.values()
    ]
    return CustomerMap(method=result.map_method, points=points)


def report_data(result: DiscoveryResult, transcripts: Sequence[TranscriptInput]) -> ReportData:
    """What the report needs beyond the personas: map, shares by month, pond, rules, quality, timings."""
    id_of = {p.key: p.stable_id for p in result.personas}
    persona_of = {cid: id_of[a.persona_key] for cid, a in result.assignments.items()}
    moments = [t.started_at for t in transcripts if t.started_at is not None]
    return ReportData(
        map=_customer_map(result),
        share_over_time=share_by_month(transcripts, persona_of),
        pond=pond(result.pond),
        rules=list(economics_rules(result.config.cost_rates)),
        notes=list(result.notes),
        retired_persona_ids=list(result.retired_ids),
        quality=result.quality,
        quality_metric=result.quality_metric,
        criterion=result.criterion,
        criterion_scores={str(k): v for k, v in result.criterion_scores.items()},
        chosen_k=result.chosen_k,
        reason=result.reason,
        timings=result.timings,
        unmatched_customer_ids=list(result.economics.unmatched_customer_ids),
        data_window=[min(moments, default=None), max(moments, default=None)],
        totals=RunTotals(**asdict(result.economics.totals)),
    )
