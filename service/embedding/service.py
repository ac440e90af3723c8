"""Embedding transcripts: a chunk of the backlog (background workers) and everything a run needs (its
snapshot), both through the same claims, so a transcript is embedded once whoever gets to it first."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from pipelines.embed import Embedder, embed_in_batches
from pipelines.text import customer_text
from service.db import Database
from service.embedding import claims
from service.embedding.cache import cache_key, cached_vectors, store_vectors, vector_rows
from service.ingest.models import Transcript

log = logging.getLogger("personas.embedding")
# Transcripts per Celery chunk (a task): a few seconds of embedding, so workers share a backlog evenly and a
# run waiting on another worker's chunk does not wait long. Not fewer: a chunk's texts are embedded in batches
# of one token length (batch-independent vectors), and the fewer texts, the more lengths have one text each
# (2,025 planted texts in id-order chunks of 256 took 1.4x as long as in one call; of 1,024, 1.02x).
CHUNK = 256
# Ids per query of a run's snapshot: below every database's bound-parameter limit; also what a run claims at once.
WINDOW = 2000
# How often a run looks again for vectors another worker is making.
WAIT_S = 0.2


@contextmanager
def _released_on_failure(database: Database, model: str, ids: Sequence[int], token: str) -> Iterator[None]:
    """Drop `token`'s claims on `ids` if the block fails, so another worker can take them over at once."""
    try:
        yield
    except BaseException:
        with database.transaction() as session:
            claims.release(session, model=model, ids=ids, token=token)
        raise


def _embed_and_store(
    database: Database,
    embedder: Embedder,
    items: Sequence[tuple[int, int, str]],
    *,
    token: str,
) -> dict[int, np.ndarray]:
    """Embed (transcript id, revision, text) items, store their vectors and drop `token`'s claims on them, a
    batch at a time (all of them on failure); returns the vectors."""
    model = cache_key(embedder)
    made: dict[int, np.ndarray] = {}
    with _released_on_failure(database, model, [tid for tid, _, _ in items], token):
        for positions, vectors in embed_in_batches([text for _, _, text in items], embedder):
            batch = [items[p] for p in positions]
            with database.transaction() as session:
                rows = vector_rows(
                    model, [(tid, rev, v) for (tid, rev, _), v in zip(batch, vectors, strict=True)]
                )
                store_vectors(session, rows)
                claims.release(session, model=model, ids=[tid for tid, _, _ in batch], token=token)
            made.update({tid: v for (tid, _, _), v in zip(batch, vectors, strict=True)})
    return made


def embed_chunk(database: Database, embedder: Embedder, ids: Sequence[int], *, token: str) -> int:
    """Embed those of `ids` that still need a vector and nobody else is embedding; returns how many this call
    embedded (0 when all were done or taken: calling it again is harmless)."""
    model = cache_key(embedder)
    with database.transaction() as session:
        taken = claims.claim(session, model=model, ids=ids, token=token)
        stored = session.execute(
            select(Transcript.id, Transcript.revision, Transcript.turns).where(Transcript.id.in_(taken))
        ).all()
    if not stored:
        return 0
    with _released_on_failure(database, model, taken, token):
        items = [(tid, revision, customer_text(turns)) for tid, revision, turns in stored]
    _embed_and_store(database, embedder, items, token=token)
    log.info(
        "embedded chunk",
        extra={"transcripts": len(items), "transcript_ids": [tid for tid, _, _ in items], "token": token},
    )
    return len(items)


class _Done:
    """Counts the vectors a run has (cached at its start excluded) and reports the fraction; calling it also
    gives the run's progress hook a chance to see a cancellation while the run waits."""

    def __init__(self, total: int, progress: Callable[[float], None] | None) -> None:
        self.total, self.count, self.progress = total, 0, progress

    def __call__(self, more: int) -> None:
        self.count += more
        if self.progress is not None and self.total:
            self.progress(self.count / self.total)


def embed_snapshot(
    database: Database,
    *,
    embedder: Embedder,
    transcript_ids: Sequence[int],
    texts: Sequence[str],
    token: str,
    revisions: Sequence[int] | None = None,
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for a run's transcripts, in their order: cached ones, those another worker is making (waited
    for), and the rest embedded here under the claims of `token`. Also returns how many this call embedded.
    `revisions` (per transcript, default 1): the revision each text is; a vector of another one is not used."""
    if not transcript_ids:
        return np.zeros((0, 0), dtype=np.float32), 0
    snapshot = _Snapshot(
        revision_of=dict(zip(transcript_ids, revisions or [1] * len(transcript_ids), strict=True)),
        text_of=dict(zip(transcript_ids, texts, strict=True)),
    )
    with database.transaction(write=False) as session:
        snapshot.known.update(
            cached_vectors(
                session,
                model=cache_key(embedder),
                up_to_id=max(transcript_ids),
                revisions=snapshot.revision_of,
            )
        )
    missing = [tid for tid in transcript_ids if tid not in snapshot.known]
    done = _Done(len(missing), progress)
    made = sum(
        _embed_window(database, embedder, missing[start : start + WINDOW], snapshot, token=token, done=done)
        for start in range(0, len(missing), WINDOW)
    )
    return np.stack([snapshot.known[tid] for tid in transcript_ids]), made


@dataclass
class _Snapshot:
    revision_of: dict[int, int]
    text_of: dict[int, str]
    known: dict[int, np.ndarray] = field(default_factory=dict)

    def items(self, ids: Sequence[int]) -> list[tuple[int, int, str]]:
        return [(tid, self.revision_of[tid], self.text_of[tid]) for tid in ids]


def _embed_window(
    database: Database, embedder: Embedder, window: list[int], snapshot: _Snapshot, *, token: str, done: _Done
) -> int:
    """Get a vector for each transcript of `window`; returns how many were embedded here."""
    model, remaining, made = cache_key(embedder), set(window), 0
    while remaining:
        with database.transaction() as session:
            # All it can of the window at once: embedded in length-sorted batches, stored and freed batch by batch.
            mine = claims.claim(session, model=model, ids=sorted(remaining), token=token)
        if not mine:
            with database.transaction(write=False) as session:
                # In this order: a claim is dropped in the transaction that stores its vector.
                held = claims.held_by_others(session, model=model, ids=sorted(remaining), token=token)
                found = cached_vectors(
                    session, model=model, ids=sorted(remaining), revisions=snapshot.revision_of
                )
            snapshot.known.update(found)
            remaining -= found.keys()
            done(len(found))
            # Neither claimable, held nor cached at the revision read: the transcript changed (or went) since.
            mine = sorted(remaining - held)
            if not mine:
                if remaining:
                    time.sleep(WAIT_S)
                    done(0)
                continue
        snapshot.known.update(_embed_and_store(database, embedder, snapshot.items(mine), token=token))
        remaining -= set(mine)
        made += len(mine)
        done(len(mine))
    return made
