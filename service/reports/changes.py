"""The report's "Since the last run" section: what changed against the previous succeeded run, in words, as a
table and as bars of where each persona's customers went, with the accounts that left the core-growth persona."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from pipelines.plots import PERSONA_PALETTE
from pipelines.shift import Shift
from pipelines.shift_plots import migration_bars
from pipelines.shift_rules import findings
from service.personas.service import list_customers
from service.reports.charts import chart_fragment, plot_text
from service.runs.models import Run
from service.shifts.service import moved_ids, previous_succeeded, shift_between

MIGRATION_ID = "chart-migration"
MOVERS_SHOWN = 25


def _rows(shift: Shift) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "label": c.label,
            "status": c.status,
            "share_before": c.share_before,
            "share_after": c.share_after,
            "points": c.share_points,
            "customers_before": c.customers_before,
            "customers_after": c.customers_after,
            "cost_before": c.cost_per_customer_before,
            "cost_after": c.cost_per_customer_after,
            "cost_change": c.cost_change,
        }
        for c in shift.personas
    ]


def _movers(
    session: Session, previous: Run, run: Run, shift: Shift, label_of: dict[str, str]
) -> list[dict[str, Any]]:
    """The largest accounts (by revenue) that left the core-growth persona, with where they went."""
    core_before = [c.id for c in shift.personas if c.core_growth_before]
    core_after = [c.id for c in shift.personas if c.core_growth_after]
    among = moved_ids(previous, run, from_ids=core_before, not_to_ids=core_after)
    rows = list_customers(session, run=run, limit=1_000_000, among=among)
    rows.sort(key=lambda r: (-(r.annual_revenue or 0.0), r.customer_id))
    return [
        {
            "customer_id": r.customer_id,
            "name": r.name,
            "persona_label": label_of.get(r.persona_id, r.persona_id),
            "grade": r.grade,
            "annual_revenue": r.annual_revenue,
        }
        for r in rows[:MOVERS_SHOWN]
    ]


def since_last_run(session: Session, run: Run) -> dict[str, Any] | None:
    """The section's content, or None for a run with no succeeded run before it."""
    previous = previous_succeeded(session, run)
    if previous is None:
        return None
    shift = shift_between(session, previous, run)
    label_of = {c.id: c.label for c in shift.personas}
    colours = {c.id: PERSONA_PALETTE[i % len(PERSONA_PALETTE)] for i, c in enumerate(shift.personas)}
    flows = [(m.from_id, m.to_id, m.customers) for m in shift.migrations]
    figure = migration_bars(flows, {pid: plot_text(label) for pid, label in label_of.items()}, colours)
    migration = chart_fragment(figure, MIGRATION_ID, height=max(320, 60 * len(shift.personas)))
    return {
        "previous_run_id": previous.id,
        "previous_finished_at": previous.finished_at,
        "sentences": [f.text for f in findings(shift)],
        "rows": _rows(shift),
        "migration_chart": Markup(migration.html),
        "trace_types": migration.trace_types,  # the page's Plotly bundle must draw these too
        "moved_customers": sum(m.customers for m in shift.migrations if m.from_id != m.to_id),
        "shared_customers": sum(m.customers for m in shift.migrations),
        "core_growth_before": shift.core_growth_before,
        "movers_total": len(shift.movers_out_of_core_growth),
        "movers": _movers(session, previous, run, shift, label_of),
    }
