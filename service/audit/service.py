"""Write and read the audit log. Never commits: the caller's transaction holds the action and its record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.audit.schemas import AuditAction, AuditEventRead, AuditPage
from service.pagination import decode_int_cursor, encode_cursor

CLI_ACTOR = "cli"


def record(
    session: Session,
    action: AuditAction,
    *,
    key_id: int | None = None,
    actor: str | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit row in the caller's transaction. `actor` defaults to `key:<id>` or the CLI."""
    event = AuditEvent(
        at=datetime.now(UTC),
        key_id=key_id,
        actor=actor or (f"key:{key_id}" if key_id is not None else CLI_ACTOR),
        action=action.value,
        target=target,
        details=details or {},
    )
    session.add(event)
    return event


def list_events(session: Session, *, action: str | None, limit: int, cursor: str | None) -> AuditPage:
    """Newest first, keyset-paged on id."""
    before = decode_int_cursor(cursor)
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = list(session.scalars(query))
    page, more = rows[:limit], len(rows) > limit
    return AuditPage(
        items=[AuditEventRead.model_validate(row) for row in page],
        next_cursor=encode_cursor(page[-1].id) if more and page else None,
    )
