"""Background embedding in the API process (the inline executor's thread): a chunk of the backlog at a time."""

from __future__ import annotations

import logging
import uuid

from pipelines.embed import EMBED_BATCH, Embedder
from service.db import Database
from service.embedding import claims
from service.embedding.cache import cache_key
from service.embedding.service import embed_chunk

log = logging.getLogger("personas.embedding")


def embed_next_chunk(database: Database, embedder: Embedder, *, size: int = EMBED_BATCH) -> bool:
    """Embed the oldest `size` transcripts that need a vector and nobody is embedding; False when there were
    none (or the attempt failed: it is logged, and the next call tries again)."""
    try:
        with database.transaction(write=False) as session:
            ids = claims.unclaimed_backlog(session, model=cache_key(embedder), limit=size)
        if not ids:
            return False
        embed_chunk(database, embedder, ids, token=f"inline-{uuid.uuid4().hex}")
    except Exception:  # the database may be down; the worker thread backs off and tries again later
        log.exception("background embedding failed; will retry")
        return False
    return True


def forget_claims(database: Database) -> None:
    """At the start of the only embedding process (inline): claims left are its dead predecessor's."""
    with database.transaction() as session:
        dropped = claims.release_all(session)
    if dropped:
        log.warning("dropped embedding claims of an earlier process", extra={"claims": dropped})
