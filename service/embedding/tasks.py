"""Celery's `embed` queue: chunks of transcript ids, embedded by any number of `personas worker` processes."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from service.config import get_settings
from service.embedding import claims
from service.embedding.cache import cache_key
from service.embedding.dispatch import EMBED_CHUNK_TASK, EMBED_QUEUE, dispatch_chunks
from service.embedding.service import embed_chunk
from service.runs.tasks import EMBED_SWEEP_TASK, celery_app, worker_database
from service.runs.worker import settings_embedder

log = logging.getLogger("personas.embedding")
# A sweep queues at most this many transcripts; the next sweep (a minute later) queues more.
SWEEP_LIMIT = 20_000


@celery_app.task(
    name=EMBED_CHUNK_TASK,
    bind=True,
    acks_late=True,  # a worker that dies mid-chunk leaves the message for another
    reject_on_worker_lost=True,
    max_retries=5,
)
def embed_chunk_task(self: Task, transcript_ids: list[int]) -> int:  # type: ignore[type-arg]
    """Embed a chunk; idempotent (what is embedded or claimed by another worker is skipped). The claims carry
    the task id, which a retry keeps: a retried chunk takes its own claims back at once."""
    try:
        return embed_chunk(
            worker_database(),
            settings_embedder(get_settings()),
            transcript_ids,
            token=f"celery-{self.request.id}",
        )
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(60, 2 ** (self.request.retries + 1))) from exc


def _waiting_chunks() -> int:
    """Messages waiting on the `embed` queue (0 if the broker cannot say)."""
    try:
        with celery_app.connection_for_read() as connection:
            declared: Any = connection.default_channel.queue_declare(queue=EMBED_QUEUE, passive=True)
            return int(declared.message_count)
    except Exception:
        return 0


@celery_app.task(name=EMBED_SWEEP_TASK)
def embed_sweep() -> int:
    """Queue the backlog nobody is embedding: transcripts stored by `personas ingest` or `import`, or whose
    message was lost. Skipped while chunks still wait, so a long backlog is not queued twice."""
    if _waiting_chunks():
        return 0
    settings = get_settings()
    if not settings.embed_in_background:
        return 0
    with worker_database().transaction(write=False) as session:
        ids = claims.unclaimed_backlog(
            session, model=cache_key(settings_embedder(settings)), limit=SWEEP_LIMIT
        )
    return dispatch_chunks(ids, broker_url=settings.broker_url)
