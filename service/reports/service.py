"""Gather a run's stored results into the HTML persona report."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.accounts.models import Account
from service.personas import service as personas
from service.personas.models import CustomerAssignment
from service.personas.schemas import CustomerRow
from service.reports.changes import since_last_run
from service.reports.render import render_report
from service.reports.schemas import ReportData
from service.runs.models import Run
from service.runs.service import run_read

TOP_ACCOUNTS = 25


def top_core_growth_accounts(session: Session, run: Run, limit: int = TOP_ACCOUNTS) -> list[CustomerRow]:
    rows = personas.list_customers(session, run=run, limit=1_000_000, core_growth=True)
    return sorted(rows, key=lambda r: (-(r.annual_revenue or 0.0), r.customer_id))[:limit]


def run_currencies(session: Session, run: Run) -> dict[str, int]:
    """Currency -> number of the run's customers whose account is in it."""
    query = (
        select(Account.currency, func.count())
        .join(
            CustomerAssignment,
            (CustomerAssignment.customer_id == Account.customer_id) & (CustomerAssignment.run_id == run.id),
        )
        .group_by(Account.currency)
    )
    return {code: count for code, count in session.execute(query)}


def build_report(session: Session, run: Run) -> str:
    return render_report(
        personas=personas.persona_list(session, run),
        run=run_read(run),
        report_data=ReportData.model_validate(run.report_data or {}),
        top_accounts=top_core_growth_accounts(session, run),
        currencies=run_currencies(session, run),
        since_last_run=since_last_run(session, run),
    )
