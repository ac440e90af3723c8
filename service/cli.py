"""The `personas` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from service import migrate
from service.accounts.csv_format import parse_accounts_csv
from service.accounts.service import upsert_accounts
from service.auth.service import SCOPES, create_key, list_keys, revoke_key
from service.config import ConfigurationError, get_settings
from service.db import Database
from service.domain_errors import DomainError
from service.ingest.schemas import TranscriptIn
from service.ingest.service import API_SOURCE, check_text_limits, store_transcripts

# Tracebacks never show local variables: they hold keys, secrets and customer text.
app = typer.Typer(
    help="Support-log persona discovery.", no_args_is_help=True, pretty_exceptions_show_locals=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True, pretty_exceptions_show_locals=False)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True, pretty_exceptions_show_locals=False)
ingest_app = typer.Typer(
    help="Load transcripts and accounts from files.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(ingest_app, name="ingest")
console = Console(stderr=True)


def _database() -> Database:
    return Database.from_url(get_settings().database_url)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP API (an SQLite database is upgraded to the latest schema first)."""
    import uvicorn

    from service.app import create_app
    from service.logs import configure_logging

    settings = get_settings()
    configure_logging()
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, timeout_graceful_shutdown=10)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply Alembic migrations to PERSONAS_DATABASE_URL."""
    migrate.upgrade(get_settings().database_url, revision)
    console.print(f"[green]database at {revision}[/green]")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scope: Annotated[str, typer.Option(help="read, ingest or admin.")] = "read",
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    if scope not in SCOPES:
        raise typer.BadParameter(f"scope must be one of {', '.join(SCOPES)}", param_hint="--scope")
    with _database().transaction() as session:
        key, value = create_key(session, name=name, scope=scope)
        key_id = key.id
    console.print(f"key {key_id} ({scope}) for {name}; store it now, it is not shown again:")
    typer.echo(value)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (ids, names, scopes; never the keys themselves)."""
    with _database().transaction(write=False) as session:
        for key in list_keys(session):
            state = "revoked" if key.revoked_at else "active"
            typer.echo(f"{key.id}\t{key.name}\t{key.scope}\t{key.prefix}...\t{state}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id from `keys list`.")]) -> None:
    """Revoke a key; it stops working at once."""
    with _database().transaction() as session:
        if not revoke_key(session, key_id=key_id):
            raise typer.BadParameter(f"no active key {key_id}")
    console.print(f"key {key_id} revoked")


def _read_jsonl(path: Path) -> tuple[list[TranscriptIn], list[str]]:
    transcripts, problems = [], []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                transcripts.append(TranscriptIn.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValidationError) as exc:
                problems.append(f"line {number}: {str(exc).splitlines()[0]}")
    return transcripts, problems


@ingest_app.command("transcripts")
def ingest_transcripts(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines of TranscriptIn.")],
    batch_size: Annotated[int, typer.Option(min=1, max=1000)] = 500,
) -> None:
    """Store transcripts from a JSONL file in committed batches; re-running skips what is stored."""
    transcripts, problems = _read_jsonl(path)
    for problem in problems[:20]:
        console.print(f"[red]skipped {problem}[/red]")
    database, accepted, duplicates = _database(), 0, 0
    settings = get_settings()
    with _progress() as progress:
        task = progress.add_task("ingesting transcripts", total=len(transcripts))
        for start in range(0, len(transcripts), batch_size):
            batch = transcripts[start : start + batch_size]
            try:
                check_text_limits(batch, max_turn_chars=settings.max_turn_chars)
                with database.transaction() as session:
                    result = store_transcripts(session, source=API_SOURCE, transcripts=batch)
            except DomainError as exc:
                raise typer.BadParameter(f"batch at line ~{start + 1}: {exc.detail}") from None
            accepted, duplicates = accepted + result.accepted, duplicates + result.duplicates
            progress.advance(task, len(batch))
    console.print(f"accepted {accepted}, duplicates {duplicates}, rejected lines {len(problems)}")
    if problems:
        raise typer.Exit(1)


@ingest_app.command("accounts")
def ingest_accounts(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV with customer_id, annual_revenue.")
    ],
) -> None:
    """Upsert accounts from a CSV export (every extra column becomes an attribute)."""
    try:
        accounts = parse_accounts_csv(path.read_bytes())
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    with _database().transaction() as session:
        count = upsert_accounts(session, accounts=accounts)
    console.print(f"upserted {count} accounts")


@app.command()
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

    settings, database = get_settings(), _database()
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


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML report.")],
    run_id: Annotated[str | None, typer.Option("--run", help="A succeeded run; default the latest.")] = None,
) -> None:
    """Write the HTML persona report of a run."""
    from service.personas.service import resolve_run
    from service.reports.service import build_report

    with _database().transaction(write=False) as session:
        try:
            html = build_report(session, resolve_run(session, run_id))
        except DomainError as exc:
            console.print(f"[red]{exc.detail}[/red]")
            raise typer.Exit(1) from None
    out.write_text(html, encoding="utf-8")
    console.print(f"report written to {out}")


@app.command()
def worker(concurrency: Annotated[int, typer.Option(min=1, max=8)] = 1) -> None:
    """Run a Celery worker for discovery runs (PERSONAS_QUEUE=celery, broker PERSONAS_BROKER_URL)."""
    from service.logs import configure_logging
    from service.runs.tasks import celery_app

    configure_logging()
    celery_app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=threads"])


@app.command()
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


def main() -> None:
    """The `personas` command: a configuration error is one line naming the variable, and exit code 2."""
    try:
        app()
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)  # one line, never wrapped
        sys.exit(2)


if __name__ == "__main__":
    main()
