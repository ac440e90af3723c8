"""`GET /v1/status`: the backlog at a glance (read scope)."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import ReadKey, ReadSession, SettingsDep
from service.embedding.cache import cache_key
from service.runs.worker import settings_embedder
from service.status import service
from service.status.schemas import Status

router = APIRouter(prefix="/v1/status", tags=["status"])


@router.get("", response_model=Status)
def get_status(session: ReadSession, settings: SettingsDep, _: ReadKey) -> Status:
    """Stored transcripts and customers, the embedding backlog, active runs, and customers with no account
    per source (a wrong PERSONAS_<SOURCE>_CUSTOMER_ID shows here at once)."""
    model = cache_key(settings_embedder(settings))
    return service.status(session, embedding_model=model)
