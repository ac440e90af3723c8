"""Transcript payloads: what support tools send and what the API answers."""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

Channel = Literal["chat", "call", "email", "other"]
Speaker = Literal["customer", "agent", "bot", "system"]
MAX_BATCH = 1000
#: Turns one transcript may hold; webhook adapters keep a longer conversation's first MAX_TURNS turns.
MAX_TURNS = 2000
#: Deepest JSON nesting accepted: transcript metadata, and webhook bodies before they are parsed.
MAX_JSON_DEPTH = 32
EARLIEST, LATEST = 1970, 2100


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of a JSON value (a scalar is 0), counted without recursion and only up to `limit` + 1."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            stack.extend((child, depth) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


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


def well_formed(value: str) -> str:
    """Valid Unicode: a JSON escape like \\ud800 yields an unpaired surrogate, which can be neither stored in
    PostgreSQL nor encoded in an answer; accepted once, it would make every later listing of it fail."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an unpaired UTF-16 surrogate (invalid Unicode)") from None
    return value


def _strings_well_formed(value: Any) -> None:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            well_formed(node)
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def identifier(value: str) -> str:
    """An id that is not blank and holds no control characters (PostgreSQL cannot even store NUL in text),
    no `/` (ids are path segments: `/v1/accounts/{customer_id}` could never be read back) and no invisible
    format characters (right-to-left overrides, zero-width spaces and joiners: an id that looks like another)."""
    if not value.strip():
        raise ValueError("must not be blank")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters")
    if "/" in value:
        raise ValueError("must not contain '/'")
    if any(unicodedata.category(c) == "Cf" for c in value):
        raise ValueError("must not contain invisible formatting characters (bidi overrides, zero-width)")
    return well_formed(value)


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: Speaker
    text: str = Field(description="What was said; personal data is redacted before storage.")
    at: datetime | None = Field(default=None, description="When the turn was said (ISO 8601).")

    _at_utc = field_validator("at")(utc_timestamp)
    _text_well_formed = field_validator("text")(well_formed)


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
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description=f"e.g. escalated, csat, tags; at most {MAX_JSON_DEPTH} levels deep; personal data is redacted.",
    )

    _started_at_utc = field_validator("started_at")(utc_timestamp)

    @field_validator("duration_seconds")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("external_id", "customer_id")
    @classmethod
    def _identifier(cls, value: str) -> str:
        return identifier(value)

    @field_validator("metadata")
    @classmethod
    def _shallow(cls, value: dict[str, Any]) -> dict[str, Any]:
        if json_depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"must not be nested deeper than {MAX_JSON_DEPTH} levels")
        _strings_well_formed(value)
        return value


class TranscriptBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transcripts: list[TranscriptIn] = Field(min_length=1, max_length=MAX_BATCH)


class IngestResult(BaseModel):
    accepted: int = Field(description="Transcripts stored by this request.")
    duplicates: int = Field(
        description="Transcripts already stored with this content (same source and external_id), or older "
        "versions of stored ones (by the vendor's updated-at or the latest turn time): skipped."
    )
    updated: int = Field(
        default=0,
        description="Stored transcripts whose content changed (a ticket that grew): replaced, or extended "
        "with the new turns for vendors that send a few turns at a time.",
    )
    _changed_ids: list[int] = PrivateAttr(default_factory=list)

    @property
    def changed_ids(self) -> list[int]:
        """Ids of the transcripts this request stored or changed (never sent to clients): they need vectors."""
        return self._changed_ids


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
