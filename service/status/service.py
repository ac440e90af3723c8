"""Counts behind `GET /v1/status`: stored data, the embedding backlog, active runs, unmatched customers."""

from __future__ import annotations

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from service.accounts.models import Account
from service.ingest.models import Transcript, TranscriptEmbedding
from service.runs.models import Run
from service.runs.schemas import RunStatus
from service.status.schemas import EmbeddingStatus, RunCounts, Status


def unmatched_by_source(session: Session) -> dict[str, int]:
    """Per transcript source, the customers it brought that no account matches."""
    query = (
        select(Transcript.source, func.count(distinct(Transcript.customer_id)))
        .outerjoin(Account, Account.customer_id == Transcript.customer_id)
        .where(Account.customer_id.is_(None))
        .group_by(Transcript.source)
    )
    return {source: count for source, count in session.execute(query)}


def status(session: Session, *, embedding_model: str) -> Status:
    transcripts = session.scalar(select(func.count()).select_from(Transcript)) or 0
    customers = session.scalar(select(func.count(distinct(Transcript.customer_id)))) or 0
    # Only vectors of a transcript's current revision count: a run that read an older text may leave its vector,
    # and the next run embeds the new text again.
    embedded = (
        session.scalar(
            select(func.count())
            .select_from(TranscriptEmbedding)
            .join(Transcript, Transcript.id == TranscriptEmbedding.transcript_id)
            .where(
                TranscriptEmbedding.model == embedding_model,
                TranscriptEmbedding.revision == Transcript.revision,
            )
        )
        or 0
    )
    runs = dict(
        session.execute(
            select(Run.status, func.count())
            .where(Run.status.in_([RunStatus.queued, RunStatus.running]))
            .group_by(Run.status)
        ).all()
    )
    return Status(
        transcripts=transcripts,
        customers=customers,
        embedding=EmbeddingStatus(
            model=embedding_model, embedded=embedded, pending=max(transcripts - embedded, 0)
        ),
        runs=RunCounts(queued=runs.get(RunStatus.queued, 0), running=runs.get(RunStatus.running, 0)),
        unmatched_by_source=unmatched_by_source(session),
    )
