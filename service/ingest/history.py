"""History import: export files read record by record (JSON Lines and CSV streamed), each record mapped by
its vendor's adapter and validated like the API's input, and the checkpoint that makes a rerun resume.

``read_records(kind, path, ...)`` yields ``(Record, bytes read so far)``; storing them is the caller's
(``personas import``), through ``ingest.service.store_transcripts`` like every other way in.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from service.domain_errors import TooLarge
from service.ingest.models import ImportCheckpoint
from service.ingest.schemas import TranscriptIn
from service.ingest.service import API_SOURCE, check_text_limits
from service.ingest.vendors import exports
from service.ingest.vendors.protocol import Merge, PayloadError
from service.ingest.vendors.strict_json import load_json

#: The ``source`` each kind of file stores under: a vendor's tickets join its webhooks' (source, external_id).
SOURCES = {"zendesk": "zendesk", "intercom": "intercom", "freshdesk": "freshdesk", "csv": API_SOURCE}
CSV_COLUMNS = ("external_id", "customer_id", "channel", "started_at", "duration_seconds", "speaker", "text")
_CSV_REQUIRED = ("external_id", "customer_id", "speaker", "text")


@dataclass
class Record:
    """One conversation of the file: a transcript to store, nothing (no customer-visible text), or a problem."""

    number: int  # 1-based position among the file's records
    line: int  # 1-based line where it starts
    transcript: TranscriptIn | None = None
    merge: Merge = field(default_factory=Merge)
    problem: tuple[str, str] | None = None  # (field, reason) when the record is skipped


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def checkpoint(session: Session, file_sha256: str) -> ImportCheckpoint | None:
    return session.get(ImportCheckpoint, file_sha256)


def save_checkpoint(
    session: Session, *, file_sha256: str, kind: str, records_done: int, finished: bool
) -> None:
    """Record how many records of the file are done (stored or skipped), in the batch's own transaction."""
    row = session.get(ImportCheckpoint, file_sha256)
    if row is None:
        row = ImportCheckpoint(file_sha256=file_sha256, kind=kind)
        session.add(row)
    row.records_done, row.finished = records_done, finished
    session.flush()


def _validated(number: int, line: int, mapped: dict[str, Any] | None, merge: Merge, max_chars: int) -> Record:
    if mapped is None:
        return Record(number, line)
    try:
        transcript = TranscriptIn.model_validate(mapped)
        check_text_limits([transcript], max_turn_chars=max_chars)
    except ValidationError as exc:
        error = exc.errors()[0]
        return Record(number, line, problem=(".".join(map(str, error["loc"])), error["msg"]))
    except TooLarge as exc:
        problem = exc.errors[0] if exc.errors else {"field": "turns", "message": exc.detail}
        return Record(
            number, line, problem=(problem["field"].removeprefix("transcripts.0."), problem["message"])
        )
    return Record(number, line, transcript=transcript, merge=merge)


def _json_pages(
    path: Path, wanted: Callable[[bytes], bool] = lambda raw: True
) -> Iterator[tuple[int, Any, int]]:
    """(line, page or PayloadError, bytes read) per JSON Lines line (``.jsonl``/``.ndjson``), else the file
    as one JSON document (one export page)."""
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        raw = path.read_bytes()
        yield 1, _loaded(raw), len(raw)
        return
    position = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            position += len(raw)
            if raw.strip() and wanted(raw):
                yield number, _loaded(raw), position


def _loaded(raw: bytes) -> Any:
    try:
        return load_json(raw)
    except PayloadError as exc:
        return exc


def _json_records(
    path: Path, key: str, mapper: Callable[[Any], exports.Mapped], max_chars: int
) -> Iterator[tuple[Record, int]]:
    number = 0
    for line, page, position in _json_pages(path):
        if isinstance(page, PayloadError):
            number += 1
            yield Record(number, line, problem=("line", str(page))), position
            continue
        if isinstance(page, dict) and "ticket_events" in page and key not in page:
            continue  # side-loaded comments, joined to their tickets already
        try:
            items = exports.page_items(page, key)
        except PayloadError as exc:
            number += 1
            yield Record(number, line, problem=(exc.field, exc.message)), position
            continue
        for item in items:
            number += 1
            try:
                mapped, merge = mapper(item)
            except PayloadError as exc:
                yield Record(number, line, problem=(exc.field, exc.message)), position
                continue
            yield _validated(number, line, mapped, merge, max_chars), position


def _zendesk_records(path: Path, max_chars: int, rule: str | None) -> Iterator[tuple[Record, int]]:
    events = (
        page
        for _, page, _ in _json_pages(path, lambda raw: b'"ticket_events"' in raw)
        if isinstance(page, dict) and "ticket_events" in page
    )
    comments = exports.zendesk_comment_events(events)
    yield from _json_records(
        path, "tickets", lambda t: exports.map_zendesk_ticket(t, comments, rule), max_chars
    )


def _csv_transcript(rows: list[dict[str, str]]) -> dict[str, Any]:
    first = rows[0]
    turn_at = "at" in first
    return {
        "external_id": first["external_id"],
        "customer_id": first["customer_id"],
        "channel": first.get("channel") or "other",
        "started_at": first.get("started_at") or None,
        "duration_seconds": first.get("duration_seconds") or None,
        "turns": [
            {
                "speaker": r["speaker"],
                "text": r["text"],
                **({"at": r["at"]} if turn_at and r.get("at") else {}),
            }
            for r in rows
        ],
    }


def _csv_groups(path: Path) -> Iterator[tuple[int, list[dict[str, str]], int]]:
    """(first line, consecutive rows of one external_id, bytes read)."""
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _CSV_REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise PayloadError(
                "header", f"missing column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}"
            )
        group: list[dict[str, str]] = []
        start = 2
        for row in reader:
            if group and row.get("external_id") != group[0].get("external_id"):
                yield start, group, raw.tell()
                group, start = [], reader.line_num
            group.append(row)
        if group:
            yield start, group, raw.tell()


def _csv_records(path: Path, max_chars: int) -> Iterator[tuple[Record, int]]:
    seen: dict[str, int] = {}
    for number, (line, rows, position) in enumerate(_csv_groups(path), start=1):
        external_id = rows[0].get("external_id") or ""
        if external_id in seen:
            reason = f"rows of one transcript must be adjacent (also at line {seen[external_id]})"
            yield Record(number, line, problem=("external_id", reason)), position
            continue
        seen[external_id] = line
        yield _validated(number, line, _csv_transcript(rows), Merge(), max_chars), position


def read_records(
    kind: str, path: Path, *, max_turn_chars: int, customer_id_rule: str | None = None
) -> Iterator[tuple[Record, int]]:
    """The file's records in order, with the bytes read so far (for a progress bar). `customer_id_rule`: which
    vendor field becomes customer_id (PERSONAS_<SOURCE>_CUSTOMER_ID), as for that vendor's webhooks."""
    rule = customer_id_rule
    if kind == "zendesk":
        return _zendesk_records(path, max_turn_chars, rule)
    if kind == "intercom":
        mapper: Callable[[Any], exports.Mapped] = lambda c: exports.map_intercom_conversation(c, rule)  # noqa: E731
        return _json_records(path, "conversations", mapper, max_turn_chars)
    if kind == "freshdesk":
        return _json_records(path, "tickets", lambda t: exports.map_freshdesk_ticket(t, rule), max_turn_chars)
    return _csv_records(path, max_turn_chars)
