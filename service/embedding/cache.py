"""The embedding cache: one vector per (transcript, model), of the revision it was made from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipelines.embed import Embedder
from pipelines.text import TEXT_RECIPE
from service.ingest.models import Transcript, TranscriptEmbedding
from service.upsert import insert_for


def cache_key(embedder: Embedder) -> str:
    """What a cached vector was made by: the model (and its backend) and what text it was given, so a new
    model or a new `customer_text` recipe re-embeds instead of mixing vectors."""
    return f"{embedder.model_name}|{TEXT_RECIPE}"


def cached_vectors(
    session: Session,
    *,
    model: str,
    up_to_id: int | None = None,
    ids: Iterable[int] | None = None,
    revisions: Mapping[int, int] | None = None,
) -> dict[int, np.ndarray]:
    """Cached vectors up to a transcript id (or of the given ids); with `revisions`, only those made from that
    revision of each."""
    query = select(
        TranscriptEmbedding.transcript_id, TranscriptEmbedding.revision, TranscriptEmbedding.vector
    ).where(TranscriptEmbedding.model == model)
    if up_to_id is not None:
        query = query.where(TranscriptEmbedding.transcript_id <= up_to_id)
    if ids is not None:
        query = query.where(TranscriptEmbedding.transcript_id.in_(list(ids)))
    return {
        tid: np.frombuffer(blob, dtype=np.float32)
        for tid, revision, blob in session.execute(query)
        if revisions is None or revisions.get(tid, 1) == revision
    }


def vector_rows(model: str, vectors: Iterable[tuple[int, int, np.ndarray]]) -> list[dict[str, object]]:
    """Rows of the cache table for (transcript id, revision, vector) triples."""
    return [
        {"transcript_id": tid, "model": model, "dim": len(v), "vector": v.tobytes(), "revision": revision}
        for tid, revision, v in vectors
    ]


def store_vectors(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert vectors; over a cached one only when made from a later revision of the transcript. So a run
    that read a transcript before it was updated never overwrites the vector of its new text, and the vector
    such a run leaves behind is replaced by the next one made."""
    # Only transcripts still stored: an erasure or a retention purge may have removed some since they were read
    # (their vectors would break the foreign key). Locked on PostgreSQL until the insert.
    ids = [row["transcript_id"] for row in rows]
    present = set(
        session.scalars(select(Transcript.id).where(Transcript.id.in_(ids)).with_for_update(key_share=True))
    )
    rows = [row for row in rows if row["transcript_id"] in present]
    if not rows:
        return
    table = TranscriptEmbedding.__table__
    statement = insert_for(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=["transcript_id", "model"],
        set_={
            "dim": statement.excluded.dim,
            "vector": statement.excluded.vector,
            "revision": statement.excluded.revision,
        },
        where=table.c.revision < statement.excluded.revision,
    )
    session.execute(statement, rows)
