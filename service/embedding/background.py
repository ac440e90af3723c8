"""Background embedding in the API process (the inline executor's thread): a chunk of the backlog at a time."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from pipelines.embed import Embedder
from service.db import Database
from service.embedding import claims
from service.embedding.cache import cache_key
from service.embedding.service import embed_chunk

log = logging.getLogger("personas.embedding")
# Unwoken, the idle worker looks for a backlog this often (transcripts stored by `personas ingest` or `import`,
# failed chunks to try again): the backlog query scans the transcripts, so not on every 2 s idle tick.
RECHECK_S = 30.0
# Transcripts per inline chunk: embedded in length-sorted batches, so long enough for batches of few token lengths
# (see service.CHUNK), short enough that a run asked for meanwhile waits a few seconds at most.
INLINE_CHUNK = 1024


def embed_next_chunk(database: Database, embedder: Embedder, *, after_id: int = 0) -> int | None:
    """Embed the next INLINE_CHUNK transcripts after `after_id` that need a vector and nobody is embedding;
    returns the highest id among them (also when embedding them failed: it is logged, and they are tried again
    on a later pass), or None when there were none or the database could not be read."""
    try:
        with database.transaction(write=False) as session:
            ids = claims.unclaimed_backlog(
                session, model=cache_key(embedder), limit=INLINE_CHUNK, after_id=after_id
            )
    except Exception:  # the database may be down: the worker thread backs off and looks again later
        log.exception("could not read the embedding backlog; will retry")
        return None
    if not ids:
        return None
    try:
        embed_chunk(database, embedder, ids, token=f"inline-{uuid.uuid4().hex}")
    except Exception:
        log.exception("background embedding of a chunk failed; moving on", extra={"transcript_ids": ids})
    return ids[-1]


class Backlog:
    """The inline worker's walk through the backlog: oldest first from where it got to, so each look is a short
    index range; back to the start once it finds nothing (updated transcripts, failed chunks), and then not
    again until woken by new transcripts or RECHECK_S later."""

    def __init__(
        self,
        database: Database,
        embedder: Callable[[], Embedder],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database, self.embedder, self.clock = database, embedder, clock
        self.after_id = 0
        self._woken = True
        self._idle_since = 0.0

    def wake(self) -> None:
        """New or changed transcripts were stored: look now."""
        self._woken = True

    def step(self) -> bool:
        """Embed one chunk; False when there was nothing to do (or nothing is due to be looked at)."""
        if not self._woken and self.clock() - self._idle_since < RECHECK_S:
            return False
        self._woken = False
        last = embed_next_chunk(self.database, self.embedder(), after_id=self.after_id)
        if last is None:
            self.after_id, self._idle_since = 0, self.clock()
            return False
        self.after_id = last
        self._woken = True  # more may follow
        return True


def forget_claims(database: Database) -> None:
    """At the start of the only embedding process (inline): claims left are its dead predecessor's (its
    background chunks' and its runs')."""
    with database.transaction() as session:
        dropped = claims.release_all(session)
    if dropped:
        log.warning("dropped embedding claims of an earlier process", extra={"claims": dropped})
