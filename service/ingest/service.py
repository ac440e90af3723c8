"""Transcript storage rules: limits, redaction, idempotent inserts and cursor listing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from service.domain_errors import TooLarge
from service.ingest.models import Transcript, WebhookDelivery, WebhookDeliveryCustomer
from service.ingest.redaction import RedactionBudget, RedactionBudgetExceeded, redact_json, redact_turns
from service.ingest.schemas import IngestResult, TranscriptIn
from service.upsert import insert_for

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


def store_transcripts(session: Session, *, source: str, transcripts: Sequence[TranscriptIn]) -> IngestResult:
    """Insert what is new; (source, external_id) already stored counts as a duplicate, not an error."""
    if not transcripts:
        return IngestResult(accepted=0, duplicates=0)
    rows = _redacted_rows(source, transcripts)
    table = Transcript.__table__
    statement = (
        insert_for(session, table)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(table.c.id)
    )
    inserted = session.execute(statement, rows).all()
    session.flush()
    return IngestResult(accepted=len(inserted), duplicates=len(rows) - len(inserted))


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
