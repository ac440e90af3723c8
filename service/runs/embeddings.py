"""The embedding cache: one vector per (transcript, model); a run embeds only what is new."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipelines.embed import Embedder, embed_in_batches
from pipelines.text import TEXT_RECIPE
from service.db import Database
from service.ingest.models import Transcript, TranscriptEmbedding
from service.upsert import insert_for


def cache_key(embedder: Embedder) -> str:
    """What a cached vector was made by: the model (and its backend) and what text it was given, so a new
    model or a new `customer_text` recipe re-embeds instead of mixing vectors."""
    return f"{embedder.model_name}|{TEXT_RECIPE}"


def cached_vectors(
    session: Session, *, model: str, up_to_id: int, revisions: Mapping[int, int] | None = None
) -> dict[int, np.ndarray]:
    """Cached vectors up to a transcript id; with `revisions`, only those made from that revision of each."""
    query = select(
        TranscriptEmbedding.transcript_id, TranscriptEmbedding.revision, TranscriptEmbedding.vector
    ).where(TranscriptEmbedding.model == model, TranscriptEmbedding.transcript_id <= up_to_id)
    return {
        tid: np.frombuffer(blob, dtype=np.float32)
        for tid, revision, blob in session.execute(query)
        if revisions is None or revisions.get(tid, 1) == revision
    }


def _store_vectors(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert vectors; over a cached one only when made from a later revision of the transcript. So a run
    that read a transcript before it was updated never overwrites the vector of its new text, and the vector
    such a run leaves behind is replaced by the next run's."""
    # Only transcripts still stored: an erasure or a retention purge may have removed some since the run read
    # them (their vectors would break the foreign key and fail the run). Locked on PostgreSQL until the insert.
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


def embed_with_cache(
    database: Database,
    *,
    embedder: Embedder,
    transcript_ids: Sequence[int],
    texts: Sequence[str],
    revisions: Sequence[int] | None = None,
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for every transcript (cached or new, the new ones stored); also returns how many were new.
    `revisions` (per transcript, default 1): the revision each text is; a vector of another one is not used."""
    up_to = max(transcript_ids, default=0)
    revision_of = dict(zip(transcript_ids, revisions or [1] * len(transcript_ids), strict=True))
    with database.transaction(write=False) as session:
        known = cached_vectors(session, model=cache_key(embedder), up_to_id=up_to, revisions=revision_of)
    missing = [i for i, tid in enumerate(transcript_ids) if tid not in known]
    done = 0
    for positions, vectors in embed_in_batches([texts[i] for i in missing], embedder):
        batch = [missing[p] for p in positions]
        rows = [
            {
                "transcript_id": transcript_ids[i],
                "model": cache_key(embedder),
                "dim": len(v),
                "vector": v.tobytes(),
                "revision": revision_of[transcript_ids[i]],
            }
            for i, v in zip(batch, vectors, strict=True)
        ]
        with database.transaction() as session:
            # Two workers may embed the same new transcript; the first write wins (with the default backend the
            # vectors are identical; with onnx-int8 they agree to int8 rounding, its scales depend on the batch).
            _store_vectors(session, rows)
        for i, vector in zip(batch, vectors, strict=True):
            known[transcript_ids[i]] = np.asarray(vector, dtype=np.float32)
        done += len(batch)
        if progress:
            progress(done / len(missing))
    if not transcript_ids:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.stack([known[tid] for tid in transcript_ids]), len(missing)
