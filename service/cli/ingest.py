"""`personas ingest ...`: transcripts (JSON Lines) and accounts (CSV) from files.

Both commands follow one rule: a bad line or row is rejected with its 1-based file line, the field and the
reason; everything else is stored; a closing summary counts what happened; the exit code is 1 when anything
was rejected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from service.accounts.csv_format import read_accounts_csv
from service.accounts.service import upsert_accounts
from service.cli.context import console, open_database, progress_bar, typer_app
from service.config import get_settings
from service.domain_errors import DomainError
from service.ingest.schemas import TranscriptIn
from service.ingest.service import API_SOURCE, check_text_limits, store_transcripts

ingest_app = typer_app("Load transcripts and accounts from files.")
SHOWN_PROBLEMS = 20
TRANSCRIPT_HELP = (
    "JSON Lines: one transcript per line, e.g. "
    '{"external_id": "t-1", "customer_id": "acme", "channel": "chat", '
    '"turns": [{"speaker": "customer", "text": "..."}]} (README: Quickstart).'
)
ACCOUNTS_HELP = "CSV with a header: customer_id, annual_revenue, optional name and currency; other columns are attributes."


def _validation_reasons(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors())


def _read_jsonl(path: Path) -> tuple[list[tuple[int, TranscriptIn]], list[str]]:
    """Valid transcripts with their line numbers, and one `line N: field: reason` per rejected line."""
    transcripts, problems = [], []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                transcripts.append((number, TranscriptIn.model_validate(json.loads(line))))
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
            except ValidationError as exc:
                problems.append(f"line {number}: {_validation_reasons(exc)}")
    return transcripts, problems


def _report_problems(problems: list[str]) -> None:
    for problem in problems[:SHOWN_PROBLEMS]:
        console.print(f"[red]rejected {problem}[/red]", highlight=False, soft_wrap=True)
    if len(problems) > SHOWN_PROBLEMS:
        console.print(f"[red]... and {len(problems) - SHOWN_PROBLEMS} more rejected[/red]")


def _store_batches(batches: list[list[tuple[int, TranscriptIn]]], problems: list[str]) -> dict[str, int]:
    """Store each batch in its own transaction; a batch a limit refuses is rejected whole, with its lines."""
    database, settings = open_database(), get_settings()
    counts = {"accepted": 0, "updated": 0, "duplicates": 0}
    with progress_bar() as progress:
        task = progress.add_task("ingesting transcripts", total=sum(len(b) for b in batches))
        for batch in batches:
            transcripts = [t for _, t in batch]
            try:
                check_text_limits(transcripts, max_turn_chars=settings.max_turn_chars)
                with database.transaction() as session:
                    result = store_transcripts(session, source=API_SOURCE, transcripts=transcripts)
            except DomainError as exc:
                problems.append(f"lines {batch[0][0]}-{batch[-1][0]}: {exc.detail}")
            else:
                counts["accepted"] += result.accepted
                counts["updated"] += result.updated
                counts["duplicates"] += result.duplicates
            progress.advance(task, len(batch))
    return counts


@ingest_app.command("transcripts")
def ingest_transcripts(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=TRANSCRIPT_HELP)],
    batch_size: Annotated[int, typer.Option(min=1, max=1000)] = 500,
) -> None:
    """Store transcripts from a JSON Lines file in committed batches; re-running skips what is stored."""
    transcripts, problems = _read_jsonl(path)
    batches = [transcripts[i : i + batch_size] for i in range(0, len(transcripts), batch_size)]
    counts = _store_batches(batches, problems)
    _report_problems(problems)
    console.print(
        f"transcripts: accepted {counts['accepted']}, updated {counts['updated']}, duplicates {counts['duplicates']}, "
        f"rejected lines {len(problems)}"
    )
    if problems:
        raise typer.Exit(1)


@ingest_app.command("accounts")
def ingest_accounts(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=ACCOUNTS_HELP)],
) -> None:
    """Upsert accounts from a CSV export; rows that fail are reported by line and left out, the rest stored."""
    try:
        parsed = read_accounts_csv(path.read_bytes())
    except DomainError as exc:
        console.print(f"[red]{path}: {exc.detail}[/red]", highlight=False)
        raise typer.Exit(1) from None
    problems = [f"line {p.line}: {p.field or 'row'}: {p.message}" for p in parsed.rejected]
    rejected_lines = len({p.line for p in parsed.rejected})
    count = 0
    if parsed.accounts:
        with open_database().transaction() as session:
            count = upsert_accounts(session, accounts=parsed.accounts, merge_attributes=True)
    _report_problems(problems)
    console.print(f"accounts: upserted {count}, rejected rows {rejected_lines}")
    if problems:
        raise typer.Exit(1)
