"""`personas run`, `personas report` and `personas demo`: discovery runs and what they found."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from service.cli.context import console, open_database
from service.cli.results import RunResults, print_results, write_report
from service.config import get_settings
from service.domain_errors import DomainError
from service.reports.formatting import report_filename

# `personas run [--wait]` starts a run; `personas run cancel ID` stops one. A group whose callback starts the
# run when no subcommand follows (so `personas run` keeps working as before).
run_app = typer.Typer(
    help="Start a discovery run (`run [--wait]`), or cancel one.", pretty_exceptions_show_locals=False
)


@run_app.callback(invoke_without_command=True)
def run(
    ctx: typer.Context,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the run to its end with a progress bar.")
    ] = False,
    min_personas: Annotated[int, typer.Option(min=1, max=8)] = 2,
    max_personas: Annotated[int, typer.Option(min=1, max=8)] = 4,
    report_out: Annotated[
        Path | None,
        typer.Option(
            "--report", help="With --wait: where the HTML report goes (default persona-report-<run>.html)."
        ),
    ] = None,
) -> None:
    """Start a discovery run over the stored transcripts; with --wait, end with the personas and the report."""
    from service.runs.executor import CeleryExecutor, Executor, ForegroundExecutor, start_run
    from service.runs.schemas import RunCreate, RunStatus
    from service.runs.watch import follow_run

    if ctx.invoked_subcommand is not None:
        return
    settings, database = get_settings(), open_database()
    executor: Executor | None = None
    if settings.queue == "celery":
        executor = CeleryExecutor(database, settings)
    elif wait:
        executor = ForegroundExecutor(database, settings)
    params = RunCreate(min_personas=min_personas, max_personas=max_personas)
    try:
        run_id = start_run(database, executor, params, max_queued=settings.max_queued_runs)
    except DomainError as exc:  # an identical run is queued or running, or the queue is full
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
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
    out = report_out or Path(report_filename(run_id))
    print_results(write_report(database, run_id, out), out)


@run_app.command("cancel")
def cancel(run_id: Annotated[str, typer.Argument(help="The run's id.")]) -> None:
    """Stop a queued or running run (a running one stops at its next progress update)."""
    from service.audit.schemas import AuditAction
    from service.audit.service import record
    from service.runs.service import cancel_run

    try:
        with open_database().transaction() as session:
            cancel_run(session, run_id)
            record(session, AuditAction.RUN_CANCELLED, target=run_id)
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    console.print(f"run {run_id} cancelled")


def report(
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML report.")],
    run_id: Annotated[str | None, typer.Option("--run", help="A succeeded run; default the latest.")] = None,
) -> None:
    """Write the HTML persona report of a run."""
    try:
        write_report(open_database(), run_id, out)
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"report written to {out.resolve()}", soft_wrap=True)


def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo database and report go.")] = Path("demo"),
    customers: Annotated[int, typer.Option(min=20, max=20000)] = 240,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Synthetic company -> fresh SQLite -> full run -> persona table and HTML report."""
    from service.demo import run_demo

    outcome = run_demo(get_settings(), workdir=workdir, customers=customers, seed=seed, console=console)
    print_results(RunResults(outcome.personas, outcome.currency), outcome.report_path)
    console.print(
        f"Next: PERSONAS_DATABASE_URL={outcome.database_url} PERSONAS_BOOTSTRAP_ADMIN_KEY=<a key of 16+ chars> "
        "make serve\n      then open http://127.0.0.1:8000/dashboard and enter that key."
    )
