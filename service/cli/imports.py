"""`personas import zendesk|intercom|freshdesk|csv FILE`: a help desk's history, from its export file.

Records go through the vendors' adapters, the API's validation, redaction and storage
(``ingest.history`` reads them, ``ingest.service.store_transcripts`` stores them) in committed batches;
each batch also records how many records of the file are done (``import_checkpoints``, keyed by the
file's SHA-256), so a rerun after a crash resumes there and a finished file is not read again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from service.cli.context import console, open_database, progress_bar, typer_app
from service.config import get_settings
from service.db import Database
from service.domain_errors import DomainError
from service.ingest import history
from service.ingest.history import Record
from service.ingest.service import store_transcripts
from service.ingest.vendors.protocol import PayloadError

import_app = typer_app("Import a help desk's history from its export file (resumable).")
#: Skipped records listed one by one in the summary; the rest are counted.
SHOWN_SKIPS = 50


@dataclass
class Tally:
    accepted: int = 0
    updated: int = 0
    duplicates: int = 0
    empty: int = 0
    skipped: list[Record] = field(default_factory=list)


@dataclass
class Batch:
    database: Database
    kind: str
    sha256: str
    records: list[Record] = field(default_factory=list)


def _store(batch: Batch, tally: Tally, records: list[Record], *, done: int, finished: bool) -> None:
    """Store records and move the checkpoint to `done`, in one transaction."""
    with batch.database.transaction() as session:
        result = store_transcripts(
            session,
            source=history.SOURCES[batch.kind],
            transcripts=[r.transcript for r in records if r.transcript is not None],
            merges=[r.merge for r in records if r.transcript is not None],
        )
        history.save_checkpoint(
            session, file_sha256=batch.sha256, kind=batch.kind, records_done=done, finished=finished
        )
    tally.accepted += result.accepted
    tally.updated += result.updated
    tally.duplicates += result.duplicates


def _flush(batch: Batch, tally: Tally, *, done: int, finished: bool = False) -> None:
    records, batch.records = batch.records, []
    try:
        _store(batch, tally, records, done=done, finished=finished)
    except DomainError:  # e.g. the batch needs more redaction work than one call may do: one at a time
        for i, record in enumerate(records):
            last = i == len(records) - 1
            try:
                _store(
                    batch,
                    tally,
                    [record],
                    done=done if last else record.number,
                    finished=finished and last,
                )
            except DomainError as exc:
                record.problem = ("transcript", exc.detail)
                tally.skipped.append(record)
                if last:
                    _store(batch, tally, [], done=done, finished=finished)


def _run(kind: str, path: Path, batch_size: int, restart: bool) -> Tally | None:
    batch = Batch(open_database(), kind, history.file_sha256(path))
    with batch.database.transaction(write=False) as session:
        saved = history.checkpoint(session, batch.sha256)
    done = 0 if restart or saved is None else saved.records_done
    if saved is not None and saved.finished and not restart:
        console.print(
            f"{path} was imported already ({saved.records_done} records); --restart imports it again",
            soft_wrap=True,  # one line per message whatever the terminal's width: paths are long
        )
        return None
    if done:
        console.print(f"resuming after record {done} (from the last run's checkpoint)")
    tally, last = Tally(), done
    settings = get_settings()
    records = history.read_records(
        kind, path, max_turn_chars=settings.max_turn_chars, customer_id_rule=settings.customer_id_field(kind)
    )
    with progress_bar() as progress:
        task = progress.add_task(f"importing {kind}", total=path.stat().st_size)
        for record, position in records:
            progress.update(task, completed=position)
            if record.number <= done:
                continue
            last = record.number
            if record.problem is not None:
                tally.skipped.append(record)
            elif record.transcript is None:
                tally.empty += 1
            else:
                batch.records.append(record)
            if len(batch.records) >= batch_size:
                _flush(batch, tally, done=last)
        _flush(batch, tally, done=last, finished=True)
        progress.update(task, completed=path.stat().st_size)
    return tally


def _summary(tally: Tally) -> None:
    table = Table(title="import summary")
    for column in ("accepted", "updated", "duplicates", "empty", "skipped"):
        table.add_column(column, justify="right")
    counts = (tally.accepted, tally.updated, tally.duplicates, tally.empty, len(tally.skipped))
    table.add_row(*map(str, counts))
    console.print(table)
    if tally.empty:
        console.print(f"{tally.empty} records had no customer-visible text (only private notes, or none)")
    for record in tally.skipped[:SHOWN_SKIPS]:
        field_name, reason = record.problem or ("", "")
        console.print(
            f"[red]skipped record {record.number} (line {record.line}): {field_name}: {reason}[/red]",
            soft_wrap=True,
        )
    if len(tally.skipped) > SHOWN_SKIPS:
        console.print(f"[red]... and {len(tally.skipped) - SHOWN_SKIPS} more skipped records[/red]")


def import_file(kind: str, path: Path, batch_size: int, restart: bool) -> None:
    """Import, print the summary; exit 1 when any record was skipped or the file cannot be read."""
    try:
        tally = _run(kind, path, batch_size, restart)
    except (PayloadError, UnicodeDecodeError, OSError) as exc:
        console.print(f"[red]cannot import {path}: {exc}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    if tally is None:
        return
    _summary(tally)
    if tally.skipped:
        raise typer.Exit(1)


FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The export file.")]
BatchOpt = Annotated[int, typer.Option(min=1, max=1000, help="Records stored per transaction.")]
RestartOpt = Annotated[bool, typer.Option(help="Ignore the checkpoint: read the file from its start.")]


@import_app.command("zendesk")
def import_zendesk(path: FileArg, batch_size: BatchOpt = 500, restart: RestartOpt = False) -> None:
    """Zendesk Incremental Ticket Export pages (.json, or .jsonl one page per line); comments inline per
    ticket or side-loaded as ticket_events with comment_events."""
    import_file("zendesk", path, batch_size, restart)


@import_app.command("intercom")
def import_intercom(path: FileArg, batch_size: BatchOpt = 500, restart: RestartOpt = False) -> None:
    """Intercom conversations (GET /conversations/{id}), .jsonl one per line, or a conversation.list page."""
    import_file("intercom", path, batch_size, restart)


@import_app.command("freshdesk")
def import_freshdesk(path: FileArg, batch_size: BatchOpt = 500, restart: RestartOpt = False) -> None:
    """Freshdesk tickets with their conversations (GET /api/v2/tickets/{id}?include=conversations)."""
    import_file("freshdesk", path, batch_size, restart)


@import_app.command("csv")
def import_csv(path: FileArg, batch_size: BatchOpt = 500, restart: RestartOpt = False) -> None:
    """CSV, one row per turn: external_id, customer_id, channel, started_at, duration_seconds, speaker, text
    (rows of a transcript adjacent; an optional `at` column gives turn times)."""
    import_file("csv", path, batch_size, restart)
