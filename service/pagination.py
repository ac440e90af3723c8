"""Opaque keyset cursors shared by every paginated listing."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from service.domain_errors import invalid_field

T = TypeVar("T")


def encode_cursor(value: int | str) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The position a cursor stands for; a malformed cursor is a 422 on `cursor`."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_field("cursor", "is not a cursor this API issued") from None


def decode_int_cursor(cursor: str | None) -> int | None:
    raw = decode_cursor(cursor)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise invalid_field("cursor", "is not a cursor this API issued")
    return int(raw)


class NewestFirst(Protocol):
    created_at: datetime
    id: str


def newest_first_cursor(rows: Sequence[NewestFirst], limit: int) -> str | None:
    """The cursor after a page of `limit` rows fetched as limit + 1 (None when there is no next page)."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(f"{last.created_at.isoformat()}|{last.id}")


def newest_first_page(
    query: Select[T],
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[str],
    cursor: str | None,
) -> Select[T]:
    """`query` newest first (created_at, then id), after the row a `newest_first_cursor` names."""
    query = query.order_by(created_at.desc(), row_id.desc())
    before = decode_cursor(cursor)
    if before is None:
        return query
    stamp, _, last_id = before.partition("|")
    try:
        created = datetime.fromisoformat(stamp)
    except ValueError:
        raise invalid_field("cursor", "is not a cursor this API issued") from None
    return query.where((created_at < created) | ((created_at == created) & (row_id < last_id)))
