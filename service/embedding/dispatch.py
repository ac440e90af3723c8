"""Queueing transcripts on Celery's `embed` queue, by task name (the API and CLI do not import the worker)."""

from __future__ import annotations

import logging

from service.celery_client import celery_client
from service.embedding.service import CHUNK

log = logging.getLogger("personas.embedding")
EMBED_QUEUE = "embed"
EMBED_CHUNK_TASK = "personas.embed_chunk"  # service/embedding/tasks.py


def dispatch_chunks(ids: list[int], *, broker_url: str) -> int:
    """Queue `ids` on the `embed` queue in chunks; returns the chunks queued. A broker that is down is logged,
    not raised: the transcripts are stored, and the sweep (or the next run) embeds them."""
    chunks = [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
    client = celery_client(broker_url)
    try:
        for chunk in chunks:
            client.send_task(EMBED_CHUNK_TASK, args=[chunk], queue=EMBED_QUEUE)
    except Exception:
        log.warning("could not queue transcripts for embedding; the sweep will", exc_info=True)
        return 0
    return len(chunks)
