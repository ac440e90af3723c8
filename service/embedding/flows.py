"""The side effect of storing transcripts: their embedding, handed to the executor after the commit."""

from __future__ import annotations

from fastapi import BackgroundTasks, Request


def embed_after_response(request: Request, background: BackgroundTasks, ids: list[int]) -> None:
    """Give newly stored or changed transcripts to the executor's background embedding once the response is
    sent (so after the request's session committed them)."""
    if ids:
        background.add_task(request.app.state.executor.transcripts_stored, ids)
