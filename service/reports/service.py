"""Gather a run's stored results into the HTML persona report."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.personas import service as personas
from service.reports.render import render_report
from service.runs.models import Run

TOP_ACCOUNTS = 25


def top_core_growth_accounts(session: Session, run: Run, limit: int = TOP_ACCOUNTS) -> list[dict[str, Any]]:
    rows = personas.list_customers(session, run=run, limit=1_000_000, core_growth=True)
    ranked = sorted(rows, key=lambda r: (-(r.annual_revenue or 0.0), r.customer_id))[:limit]
    keys = (
        "customer_id",
        "name",
        "persona_id",
        "annual_revenue",
        "cost_to_serve",
        "margin",
        "contacts",
        "confidence",
    )
    return [{k: getattr(r, k) for k in keys} for r in ranked]


def run_summary(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "model_name": run.model_name,
        "params": run.params,
        "summary": run.summary,
    }


def build_report(session: Session, run: Run) -> str:
    return render_report(
        personas=personas.persona_list(session, run),
        run=run_summary(run),
        report_data=run.report_data or {},
        top_accounts=top_core_growth_accounts(session, run),
    )
