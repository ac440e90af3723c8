"""What a run found, in the terminal: the persona table (`personas demo`, `run --wait`, `show`) and the report file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from service.cli.context import console, open_database
from service.db import Database
from service.domain_errors import DomainError
from service.personas.schemas import PersonaList

COLUMNS = [
    ("grade", "center"),
    ("customers", "right"),
    ("revenue / customer", "right"),
    ("cost to serve / customer", "right"),
    ("label", "left"),
]


def persona_table(personas: PersonaList) -> Table:
    """One row per persona: grade (core-growth starred), size, revenue and cost to serve per customer, name."""
    table = Table(title=f"Personas of run {personas.run_id[:8]}")
    for column, justify in COLUMNS:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
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


def write_report(database: Database, run_id: str | None, out: Path) -> PersonaList:
    """Write the run's HTML report to `out` (the latest succeeded run when `run_id` is None); its personas."""
    from service.personas.service import persona_list, resolve_run
    from service.reports.service import build_report

    with database.transaction(write=False) as session:
        run = resolve_run(session, run_id)
        html, personas = build_report(session, run), persona_list(session, run)
    out.write_text(html, encoding="utf-8")
    return personas


def print_results(personas: PersonaList, report_path: Path | None) -> None:
    """The persona table on stdout, the report path on stderr (as `personas demo` ends)."""
    Console().print(persona_table(personas))
    if report_path is not None:
        console.print(f"\nHTML report: [bold]{report_path.resolve()}[/bold]", soft_wrap=True)


def show(
    run_id: Annotated[str | None, typer.Option("--run", help="A succeeded run; default the latest.")] = None,
) -> None:
    """Print the personas of the latest succeeded run (or of --run) as a table."""
    from service.personas.service import persona_list, resolve_run

    with open_database().transaction(write=False) as session:
        try:
            personas = persona_list(session, resolve_run(session, run_id))
        except DomainError as exc:
            console.print(f"[red]{exc.detail}[/red]", highlight=False)
            raise typer.Exit(1) from None
    print_results(personas, None)
