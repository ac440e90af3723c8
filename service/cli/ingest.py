"""`personas ingest ...`: transcripts (JSON Lines) and accounts (CSV) from files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from service.accounts.csv_format import parse_accounts_csv
from service.accounts.service import upsert_accounts
from service.cli.context import console, open_database, progress_bar, typer_app
from service.config import get_settings
from service.domain_errors import DomainError
from service.ingest.schemas import TranscriptIn
from service.ingest.service import API_SOURCE, check_text_limits, store_transcripts

ingest_app = typer_app("Load transcripts and accounts from files.")


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
    database, accepted, duplicates = open_database(), 0, 0
    settings = get_settings()
    with progress_bar() as progress:
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
    with open_database().transaction() as session:
        count = upsert_accounts(session, accounts=accounts, merge_attributes=True)
    console.print(f"upserted {count} accounts")
