"""Transcript storage rules: limits, redaction, idempotent inserts, updates of changed content, listing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from service.domain_errors import TooLarge
from service.ingest import revisions
from service.ingest.models import Transcript, TranscriptEmbedding, WebhookDelivery, WebhookDeliveryCustomer
from service.ingest.redaction import RedactionBudget, RedactionBudgetExceeded, redact_json, redact_turns
from service.ingest.schemas import IngestResult, TranscriptIn
from service.ingest.vendors.protocol import Merge
from service.upsert import insert_for

log = logging.getLogger("personas.ingest")
#: The ``source`` stored with transcripts sent to the API or loaded by the CLI (webhooks store the vendor's name).
API_SOURCE = "api"


def check_text_limits(transcripts: Sequence[TranscriptIn], *, max_turn_chars: int) -> None:
    """413 on the first turn whose text is longer than the configured limit."""
    for i, transcript in enumerate(transcripts):
        for j, turn in enumerate(transcript.turns):
            if len(turn.text) > max_turn_chars:
                field = f"transcripts.{i}.turns.{j}.text"
                message = f"is {len(turn.text)} characters; the limit is {max_turn_chars}"
                raise TooLarge(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _row(source: str, transcript: TranscriptIn, budget: RedactionBudget) -> dict[str, Any]:
    turns = [turn.model_dump(mode="json", exclude_none=True) for turn in transcript.turns]
    redacted, counts = redact_turns(turns, budget)
    # Free-form metadata can carry personal data too (a contact email, a callback number): redacted alike.
    metadata, metadata_counts = redact_json(transcript.metadata, budget)
    for kind, n in metadata_counts.items():
        counts[kind] = counts.get(kind, 0) + n
    return {
        "source": source,
        "external_id": transcript.external_id,
        "customer_id": transcript.customer_id,
        "channel": transcript.channel,
        "started_at": transcript.started_at,
        "duration_seconds": transcript.duration_seconds,
        "turns": redacted,
        "metadata": metadata,
        "redactions": counts,
    }


def _redacted_rows(source: str, transcripts: Sequence[TranscriptIn]) -> list[dict[str, Any]]:
    """Rows with personal data redacted; 413 once the batch needs more redaction work than one call may do."""
    counting = RedactionBudget(counting=True)
    for i, transcript in enumerate(transcripts):  # the whole batch is counted before any matcher runs
        try:
            _row(source, transcript, counting)
        except RedactionBudgetExceeded as exc:
            field, message = f"transcripts.{i}", f"{exc} in one request; send fewer transcripts per request"
            raise TooLarge(f"{field}: {message}", errors=[{"field": field, "message": message}]) from None
    budget = RedactionBudget()
    return [_row(source, transcript, budget) for transcript in transcripts]


def store_transcripts(
    session: Session,
    *,
    source: str,
    transcripts: Sequence[TranscriptIn],
    merges: Sequence[Merge] | None = None,
) -> IngestResult:
    """Insert what is new, replace (or extend, per `merges`) what changed; the same content again, or an
    older version than the stored one, counts as a duplicate."""
    if not transcripts:
        return IngestResult(accepted=0, duplicates=0, updated=0)
    rows = _redacted_rows(source, transcripts)
    plans = list(merges) if merges else [Merge()] * len(rows)
    stored = _stored(session, source, {row["external_id"] for row in rows})
    fresh = _first_of_new(rows, stored)
    inserted = _insert(session, [(rows[i], plans[i]) for i in fresh])
    # The rest meet a stored version: stored before, earlier in this batch, or by a concurrent request.
    pending = [i for i, row in enumerate(rows) if i not in fresh or row["external_id"] not in inserted]
    stored.update(_stored(session, source, {rows[i]["external_id"] for i in pending} - stored.keys()))
    counts = {"duplicates": 0, "updated": 0}
    changed = list(inserted.values())
    for i in pending:
        transcript = stored[rows[i]["external_id"]]
        outcome = _revise(session, transcript, rows[i], plans[i])
        counts[outcome] += 1
        if outcome == "updated":
            changed.append(transcript.id)
    session.flush()
    result = IngestResult(accepted=len(inserted), **counts)
    result.changed_ids.extend(sorted(set(changed)))
    return result


def _stored(session: Session, source: str, external_ids: set[str]) -> dict[str, Transcript]:
    if not external_ids:
        return {}
    # Locked until the commit (PostgreSQL; SQLite writes one at a time anyway): two deliveries extending one
    # conversation at once must not both start from the same stored turns, or the first one's new turns would
    # be lost. Locks are taken, and new rows inserted, in external_id order, so that concurrent batches
    # sharing transcripts wait for each other instead of deadlocking.
    query = (
        select(Transcript)
        .where(Transcript.source == source, Transcript.external_id.in_(external_ids))
        .order_by(Transcript.external_id)
        .with_for_update()
    )
    return {t.external_id: t for t in session.scalars(query)}


def _first_of_new(rows: list[dict[str, Any]], stored: dict[str, Transcript]) -> set[int]:
    """Positions of the rows to insert: the first of each external_id not stored yet."""
    fresh: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row["external_id"] not in stored:
            fresh.setdefault(row["external_id"], i)
    return set(fresh.values())


def _insert(session: Session, pairs: list[tuple[dict[str, Any], Merge]]) -> dict[str, int]:
    """Insert new rows; the external_ids inserted (not those a concurrent request stored first) and their ids."""
    if not pairs:
        return {}
    values = [
        {
            **row,
            "content_hash": revisions.content_hash(row),
            "source_updated_at": revisions.source_time(plan.updated_at, row["turns"]),
            "turn_keys": list(plan.turn_keys) if plan.turn_keys else None,
        }
        for row, plan in sorted(pairs, key=lambda pair: pair[0]["external_id"])
    ]
    table = Transcript.__table__
    statement = (
        insert_for(session, table)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(table.c.external_id, table.c.id)
    )
    return {external_id: tid for external_id, tid in session.execute(statement, values)}


def _stored_row(transcript: Transcript) -> dict[str, Any]:
    return {
        field: getattr(transcript, field) for field in revisions.CONTENT_FIELDS if field != "metadata"
    } | {"metadata": transcript.metadata_}


def _revise(session: Session, transcript: Transcript, row: dict[str, Any], plan: Merge) -> str:
    """Apply a delivery to the stored transcript: "updated", or "duplicates" when nothing changes."""
    incoming = revisions.source_time(plan.updated_at, row["turns"])
    older = revisions.is_older(incoming, transcript.source_updated_at, row["turns"], transcript.turns)
    keys = list(plan.turn_keys) if plan.turn_keys else None
    candidate = row
    if plan.mode == "append":
        turns, keys = revisions.appended_turns(transcript.turns, transcript.turn_keys, row["turns"], keys)
        candidate = {**(_stored_row(transcript) if older else row), "turns": turns}
    elif older:
        log.info("older version ignored", extra={"external_id": transcript.external_id})
        return "duplicates"
    digest = revisions.content_hash(candidate)
    if digest == (transcript.content_hash or revisions.content_hash(_stored_row(transcript))):
        return "duplicates"
    for field in ("customer_id", "channel", "started_at", "duration_seconds", "turns"):
        setattr(transcript, field, candidate[field])
    transcript.metadata_ = candidate["metadata"]
    appended = plan.mode == "append"
    transcript.redactions = (
        _added(transcript.redactions, row["redactions"]) if appended else row["redactions"]
    )
    transcript.turn_keys = keys
    transcript.content_hash = digest
    transcript.revision += 1
    if incoming is not None and not older:
        transcript.source_updated_at = incoming
    # The cached vector was made from the old text: the next run embeds this revision again.
    session.execute(delete(TranscriptEmbedding).where(TranscriptEmbedding.transcript_id == transcript.id))
    return "updated"


def _added(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {kind: a.get(kind, 0) + b.get(kind, 0) for kind in {*a, *b}}


def claim_delivery(
    session: Session, *, source: str, delivery_id: str, transcripts: Sequence[TranscriptIn]
) -> bool:
    """Record a webhook delivery id and the customers it carried (an erasure removes the record by them);
    False when it was seen before (a replay to acknowledge, not store)."""
    table = WebhookDelivery.__table__
    statement = (
        insert_for(session, table)
        .values(source=source, delivery_id=delivery_id, transcripts=len(transcripts))
        .on_conflict_do_nothing(index_elements=["source", "delivery_id"])
        .returning(table.c.id)
    )
    claimed = session.execute(statement).first()
    if claimed is None:
        return False
    customers = sorted({t.customer_id for t in transcripts})
    if customers:
        rows = [{"delivery_id": claimed[0], "customer_id": c} for c in customers]
        session.execute(insert(WebhookDeliveryCustomer), rows)
    return True


def list_transcripts(
    session: Session,
    *,
    limit: int,
    after_id: int | None = None,
    customer_id: str | None = None,
    customer_ids: Any = None,
    transcript_ids: Any = None,
    up_to_id: int | None = None,
) -> list[Transcript]:
    """A page of transcripts in id order; optionally one customer, a subquery of customers or of transcript
    ids, a run's snapshot."""
    query = select(Transcript).order_by(Transcript.id).limit(limit)
    if after_id is not None:
        query = query.where(Transcript.id > after_id)
    if customer_id is not None:
        query = query.where(Transcript.customer_id == customer_id)
    if customer_ids is not None:
        query = query.where(Transcript.customer_id.in_(customer_ids))
    if transcript_ids is not None:
        query = query.where(Transcript.id.in_(transcript_ids))
    if up_to_id is not None:
        query = query.where(Transcript.id <= up_to_id)
    return list(session.scalars(query))
