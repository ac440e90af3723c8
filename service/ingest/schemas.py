"""Transcript payloads: what support tools send and what the API answers."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Channel = Literal["chat", "call", "email", "other"]
Speaker = Literal["customer", "agent", "bot", "system"]
MAX_BATCH = 1000
MAX_TURNS = 2000
EARLIEST, LATEST = 1970, 2100


def utc_timestamp(value: datetime | None) -> datetime | None:
    """Aware UTC within 1970..2100 (a time without zone is UTC); other years are almost surely a bug upstream."""
    if value is None:
        return None
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"must be between {EARLIEST} and {LATEST}") from None
    if not EARLIEST <= value.year < LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: Speaker
    text: str = Field(description="What was said; personal data is redacted before storage.")
    at: datetime | None = Field(default=None, description="When the turn was said (ISO 8601).")

    _at_utc = field_validator("at")(utc_timestamp)


class TranscriptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(
        min_length=1, max_length=300, description="The support tool's id; idempotency key."
    )
    customer_id: str = Field(
        min_length=1, max_length=200, description="The account this customer belongs to."
    )
    channel: Channel = "other"
    started_at: datetime | None = Field(default=None, description="ISO 8601; a time without zone is UTC.")
    duration_seconds: float | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    turns: list[TurnIn] = Field(min_length=1, max_length=MAX_TURNS)
    metadata: dict[str, Any] = Field(default_factory=dict, description="e.g. escalated, csat, tags.")

    _started_at_utc = field_validator("started_at")(utc_timestamp)

    @field_validator("duration_seconds")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("external_id", "customer_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class TranscriptBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transcripts: list[TranscriptIn] = Field(min_length=1, max_length=MAX_BATCH)


class IngestResult(BaseModel):
    accepted: int = Field(description="Transcripts stored by this request.")
    duplicates: int = Field(description="Transcripts already stored (same source and external_id), skipped.")


class TurnRead(BaseModel):
    speaker: str
    text: str
    at: str | None = None


class TranscriptRead(BaseModel):
    id: int
    source: str
    external_id: str
    customer_id: str
    channel: str
    started_at: datetime | None
    duration_seconds: float | None
    turns: list[TurnRead]


class TranscriptPage(BaseModel):
    items: list[TranscriptRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
