"""What a run found, in the terminal: the persona table (`personas demo`, `run --wait`, `show`) and the report file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from service.cli.context import console, open_database
from service.db import Database
from service.domain_errors import DomainError
from service.personas.schemas import PersonaList
from service.runs.models import Run

COLUMNS = [
    ("grade", "center"),
    ("customers", "right"),
    ("revenue / customer", "right"),
    ("cost to serve / customer", "right"),
    ("label", "left"),
]


def persona_table(personas: PersonaList, currency: str | None = None) -> Table:
    """One row per persona: grade (core-growth starred), size, revenue and cost to serve per customer (in the
    accounts' currency when they share one), name."""
    table = Table(title=f"Personas of run {personas.run_id[:8]}")
    for column, justify in COLUMNS:
        money = currency and column.startswith(("revenue", "cost"))
        table.add_column(f"{column} ({currency})" if money else column, justify=justify)  # type: ignore[arg-type]
    for p in personas.personas:
        revenue = p.revenue.per_customer
        table.add_row(
            p.grade + (" ★ core-growth" if p.core_growth else ""),
            str(p.customers),
            f"{revenue:,.0f}" if revenue is not None else "n/a",
            f"{p.cost_to_serve.per_customer:,.2f}",
            p.label,
        )
    return table


@dataclass(frozen=True)
class RunResults:
    personas: PersonaList
    currency: str | None  # the accounts' one currency; None when unknown or mixed


def _results(session: Session, run: Run) -> RunResults:
    from service.personas.service import persona_list
    from service.reports.service import run_currencies

    currencies = [code for code, count in run_currencies(session, run).items() if count]
    return RunResults(persona_list(session, run), currencies[0] if len(currencies) == 1 else None)


def write_report(database: Database, run_id: str | None, out: Path) -> RunResults:
    """Write the run's HTML report to `out` (the latest succeeded run when `run_id` is None); its results."""
    from service.personas.service import resolve_run
    from service.reports.service import build_report

    with database.transaction(write=False) as session:
        run = resolve_run(session, run_id)
        html, results = build_report(session, run), _results(session, run)
    out.write_text(html, encoding="utf-8")
    return results


def print_results(results: RunResults, report_path: Path | None) -> None:
    """The persona table on stdout, the report path on stderr (as `personas demo` ends)."""
    Console().print(persona_table(results.personas, results.currency))
    if report_path is not None:
        console.print(f"\nHTML report: [bold]{report_path.resolve()}[/bold]", soft_wrap=True)


def show(
    run_id: Annotated[str | None, typer.Option("--run", help="A succeeded run; default the latest.")] = None,
) -> None:
    """Print the personas of the latest succeeded run (or of --run) as a table."""
    from service.personas.service import resolve_run

    with open_database().transaction(write=False) as session:
        try:
            results = _results(session, resolve_run(session, run_id))
        except DomainError as exc:
            console.print(f"[red]{exc.detail}[/red]", highlight=False)
            raise typer.Exit(1) from None
    print_results(results, None)
