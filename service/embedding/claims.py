"""Claims on the embedding backlog: which transcripts still need a vector of a model, and who embeds which.

A transcript needs a vector when none of its current revision (or a later one) is cached for the model. A worker
claims some (a lease until `expires_at`), embeds them, then stores the vectors and deletes its claims in one
transaction. The claim's upsert is the arbiter between concurrent workers: it takes a row only when nobody
holds it, the lease ran out, or the same holder asks again (a retried Celery task keeps its id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from service.embedding.models import EmbeddingClaim
from service.ingest.models import Transcript, TranscriptEmbedding
from service.runs.service import now as utc_now
from service.upsert import insert_for

# Long enough for a chunk on a loaded machine, short enough that a dead worker's transcripts are soon taken over.
LEASE = timedelta(minutes=5)


def run_token(run_id: str) -> str:
    """The holder name of a run's claims (so a recovered run's claims can be dropped)."""
    return f"run-{run_id}"


def _needing_vectors(model: str, at: datetime, *, token: str | None) -> Select[int, int]:
    """Transcripts with no vector of their revision and no live claim on that revision by another holder than
    `token` (a claim on an older revision does not keep the new text waiting)."""
    vector = and_(
        TranscriptEmbedding.transcript_id == Transcript.id,
        TranscriptEmbedding.model == model,
        TranscriptEmbedding.revision >= Transcript.revision,
    )
    live_claim = and_(
        EmbeddingClaim.transcript_id == Transcript.id,
        EmbeddingClaim.model == model,
        EmbeddingClaim.expires_at > at,
        EmbeddingClaim.revision >= Transcript.revision,
    )
    if token is not None:
        live_claim = and_(live_claim, EmbeddingClaim.token != token)
    return (
        select(Transcript.id, Transcript.revision)
        .outerjoin(TranscriptEmbedding, vector)
        .outerjoin(EmbeddingClaim, live_claim)
        .where(TranscriptEmbedding.transcript_id.is_(None), EmbeddingClaim.transcript_id.is_(None))
        .order_by(Transcript.id)
    )


def unclaimed_backlog(session: Session, *, model: str, limit: int, after_id: int = 0) -> list[int]:
    """Ids of transcripts that need a vector of `model` and that nobody is embedding, oldest first."""
    query = _needing_vectors(model, utc_now(), token=None).where(Transcript.id > after_id).limit(limit)
    return [tid for tid, _ in session.execute(query)]


def claim(
    session: Session,
    *,
    model: str,
    ids: Sequence[int],
    token: str,
    limit: int | None = None,
    lease: timedelta = LEASE,
) -> list[int]:
    """Claim (at most `limit` of) the `ids` that need a vector and nobody else holds; returns those taken."""
    at = utc_now()
    # Locked (PostgreSQL) until the commit, as `cache.store_vectors` does: an erasure or purge deleting one of
    # them meanwhile either finished first (the row is not returned) or waits; a claim on a deleted transcript
    # would break the foreign key and fail the caller.
    query = _needing_vectors(model, at, token=token).where(Transcript.id.in_(list(ids))).limit(limit)
    wanted = session.execute(query.with_for_update(key_share=True, of=Transcript)).all()
    if not wanted:
        return []
    table = EmbeddingClaim.__table__
    rows = [
        {"transcript_id": tid, "model": model, "revision": rev, "token": token, "expires_at": at + lease}
        for tid, rev in wanted
    ]
    statement = insert_for(session, table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["transcript_id", "model"],
        set_={
            "token": statement.excluded.token,
            "revision": statement.excluded.revision,
            "expires_at": statement.excluded.expires_at,
        },
        # Another holder's live claim on this revision stands; so the row is neither updated nor returned.
        where=or_(
            table.c.expires_at <= at,
            table.c.token == statement.excluded.token,
            table.c.revision < statement.excluded.revision,
        ),
    ).returning(table.c.transcript_id)
    return sorted(session.scalars(statement))


def held_by_others(session: Session, *, model: str, ids: Sequence[int], token: str) -> set[int]:
    """Which of `ids` another holder is embedding now (a live claim)."""
    query = select(EmbeddingClaim.transcript_id).where(
        EmbeddingClaim.model == model,
        EmbeddingClaim.transcript_id.in_(list(ids)),
        EmbeddingClaim.token != token,
        EmbeddingClaim.expires_at > utc_now(),
    )
    return set(session.scalars(query))


def release(session: Session, *, model: str, ids: Sequence[int], token: str) -> None:
    """Drop this holder's claims on `ids` (done, or given up)."""
    session.execute(
        delete(EmbeddingClaim).where(
            EmbeddingClaim.model == model,
            EmbeddingClaim.token == token,
            EmbeddingClaim.transcript_id.in_(list(ids)),
        )
    )


def release_holders(session: Session, tokens: Sequence[str]) -> None:
    """Drop every claim of these holders (runs found dead), whatever the transcript or model."""
    if tokens:
        session.execute(delete(EmbeddingClaim).where(EmbeddingClaim.token.in_(list(tokens))))


def release_all(session: Session) -> int:
    """Drop every claim: for a process that is the only embedder (the inline executor) when it starts, since
    any claim left is from its own dead predecessor."""
    return int(getattr(session.execute(delete(EmbeddingClaim)), "rowcount", 0) or 0)
