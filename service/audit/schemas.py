"""The audit log as the API shows it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditAction(StrEnum):
    """Every action the log records; one place, so a reader of the log knows the whole vocabulary."""

    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    PERSONA_RENAMED = "persona.renamed"
    RUN_STARTED = "run.started"
    RUN_CANCELLED = "run.cancelled"
    CUSTOMER_ERASED = "customer.erased"


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    key_id: int | None
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None
