"""Retention: purge transcripts older than PERSONAS_RETENTION_DAYS, and webhook delivery records older than
the replay window. One function, given `now`, so a test controls the clock. Never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from service.ingest.models import Transcript, TranscriptEmbedding, WebhookDelivery, WebhookDeliveryCustomer
from service.ingest.vendors.signatures import TOLERANCE_SECONDS
from service.personas.models import JobTranscript

#: A delivery record only has to outlive the window in which a signed replay of it is still accepted.
DELIVERY_WINDOW = timedelta(seconds=TOLERANCE_SECONDS)


class PurgeResult(BaseModel):
    transcripts: int = 0
    embeddings: int = 0
    job_transcripts: int = 0
    webhook_deliveries: int = 0


def _rows(session: Session, statement: object) -> int:
    return int(session.execute(statement).rowcount or 0)  # type: ignore[call-overload, attr-defined]


def _purge_transcripts(session: Session, cutoff: datetime, result: PurgeResult) -> None:
    """Transcripts that started before the cutoff (received before it when the start is unknown) and whose
    stored version is not newer (vendor updated-at, else latest turn time): a long-lived ticket that still grows is kept whole (purging it would let the next appended
    delivery re-create it with only its new turns)."""
    started_before = or_(
        Transcript.started_at < cutoff,
        and_(Transcript.started_at.is_(None), Transcript.received_at < cutoff),
    )
    not_updated_since = or_(Transcript.source_updated_at.is_(None), Transcript.source_updated_at < cutoff)
    expired = and_(started_before, not_updated_since)
    ids = list(session.scalars(select(Transcript.id).where(expired)))
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        result.embeddings += _rows(
            session, delete(TranscriptEmbedding).where(TranscriptEmbedding.transcript_id.in_(chunk))
        )
        result.job_transcripts += _rows(
            session, delete(JobTranscript).where(JobTranscript.transcript_id.in_(chunk))
        )
        result.transcripts += _rows(session, delete(Transcript).where(Transcript.id.in_(chunk)))


def purge_expired(session: Session, *, now: datetime, retention_days: int | None) -> PurgeResult:
    """Delete what is past keeping at `now`: transcripts (with their embeddings and drill-down rows) older than
    `retention_days` (None keeps them), and webhook delivery records older than DELIVERY_WINDOW."""
    result = PurgeResult()
    if retention_days is not None:
        _purge_transcripts(session, now - timedelta(days=retention_days), result)
    old = select(WebhookDelivery.id).where(WebhookDelivery.received_at < now - DELIVERY_WINDOW)
    session.execute(delete(WebhookDeliveryCustomer).where(WebhookDeliveryCustomer.delivery_id.in_(old)))
    result.webhook_deliveries = _rows(session, delete(WebhookDelivery).where(WebhookDelivery.id.in_(old)))
    session.flush()
    return result
