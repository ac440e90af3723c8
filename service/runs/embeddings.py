"""The embedding cache: one vector per (transcript, model); a run embeds only what is new."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipelines.embed import Embedder, embed_in_batches
from pipelines.text import TEXT_RECIPE
from service.db import Database
from service.ingest.models import TranscriptEmbedding
from service.upsert import insert_for


def cache_key(embedder: Embedder) -> str:
    """What a cached vector was made by: the model (and its backend) and what text it was given, so a new
    model or a new `customer_text` recipe re-embeds instead of mixing vectors."""
    return f"{embedder.model_name}|{TEXT_RECIPE}"


def cached_vectors(session: Session, *, model: str, up_to_id: int) -> dict[int, np.ndarray]:
    query = select(TranscriptEmbedding.transcript_id, TranscriptEmbedding.vector).where(
        TranscriptEmbedding.model == model, TranscriptEmbedding.transcript_id <= up_to_id
    )
    return {tid: np.frombuffer(blob, dtype=np.float32) for tid, blob in session.execute(query)}


def embed_with_cache(
    database: Database,
    *,
    embedder: Embedder,
    transcript_ids: Sequence[int],
    texts: Sequence[str],
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for every transcript (cached or new, the new ones stored); also returns how many were new."""
    up_to = max(transcript_ids, default=0)
    with database.transaction(write=False) as session:
        known = cached_vectors(session, model=cache_key(embedder), up_to_id=up_to)
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
            }
            for i, v in zip(batch, vectors, strict=True)
        ]
        with database.transaction() as session:
            # Two workers may embed the same new transcript; the first write wins (with the default backend the
            # vectors are identical; with onnx-int8 they agree to int8 rounding, its scales depend on the batch).
            table = TranscriptEmbedding.__table__
            session.execute(insert_for(session, table).on_conflict_do_nothing(), rows)
        for i, vector in zip(batch, vectors, strict=True):
            known[transcript_ids[i]] = np.asarray(vector, dtype=np.float32)
        done += len(batch)
        if progress:
            progress(done / len(missing))
    if not transcript_ids:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.stack([known[tid] for tid in transcript_ids]), len(missing)
