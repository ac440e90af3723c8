"""`personas run`, `personas report` and `personas demo`: discovery runs and what they found."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.cli.context import console, open_database
from service.config import get_settings
from service.domain_errors import DomainError


def run(
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the run to its end with a progress bar.")
    ] = False,
    min_personas: Annotated[int, typer.Option(min=1, max=8)] = 2,
    max_personas: Annotated[int, typer.Option(min=1, max=8)] = 4,
) -> None:
    """Start a discovery run over the stored transcripts."""
    from service.runs.executor import CeleryExecutor, Executor, ForegroundExecutor, start_run
    from service.runs.schemas import RunCreate, RunStatus
    from service.runs.watch import follow_run

    settings, database = get_settings(), open_database()
    executor: Executor | None = None
    if settings.queue == "celery":
        executor = CeleryExecutor(database, settings)
    elif wait:
        executor = ForegroundExecutor(database, settings)
    run_id = start_run(database, executor, RunCreate(min_personas=min_personas, max_personas=max_personas))
    console.print(f"run {run_id} queued")
    if executor is None:
        console.print("a running `personas serve` picks it up; `personas run --wait` runs it here")
    if not wait:
        return
    finished = follow_run(database, run_id, console)
    if executor is not None:
        executor.stop()
    console.print(f"run {run_id} {finished.status}" + (f": {finished.error}" if finished.error else ""))
    if finished.status != RunStatus.succeeded:
        raise typer.Exit(1)


def report(
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML report.")],
    run_id: Annotated[str | None, typer.Option("--run", help="A succeeded run; default the latest.")] = None,
) -> None:
    """Write the HTML persona report of a run."""
    from service.personas.service import resolve_run
    from service.reports.service import build_report

    with open_database().transaction(write=False) as session:
        try:
            html = build_report(session, resolve_run(session, run_id))
        except DomainError as exc:
            console.print(f"[red]{exc.detail}[/red]")
            raise typer.Exit(1) from None
    out.write_text(html, encoding="utf-8")
    console.print(f"report written to {out}")


def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo database and report go.")] = Path("demo"),
    customers: Annotated[int, typer.Option(min=20, max=20000)] = 240,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Synthetic company -> fresh SQLite -> full run -> persona table and HTML report."""
    from service.demo import persona_table, run_demo

    outcome = run_demo(get_settings(), workdir=workdir, customers=customers, seed=seed, console=console)
    Console().print(persona_table(outcome.personas))
    console.print(f"\nHTML report: [bold]{outcome.report_path.resolve()}[/bold]")
    console.print(
        f"Next: PERSONAS_DATABASE_URL={outcome.database_url} PERSONAS_BOOTSTRAP_ADMIN_KEY=<a key of 16+ chars> "
        "make serve\n      then open http://127.0.0.1:8000/dashboard and enter that key."
    )
