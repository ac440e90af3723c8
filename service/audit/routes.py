"""GET /v1/audit: administrative actions, newest first (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.audit import service
from service.audit.schemas import AuditAction, AuditPage
from service.deps import AdminKey, ReadSession

router = APIRouter(tags=["audit"])


@router.get("/v1/audit", response_model=AuditPage)
def list_audit(
    session: ReadSession,
    _: AdminKey,
    action: AuditAction | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    """Who (key id) did what, when: keys created or revoked, personas renamed, runs started or cancelled, erasures."""
    return service.list_events(session, action=action.value if action else None, limit=limit, cursor=cursor)
