"""Payload timestamps as ISO 8601 UTC text, from unix seconds, ISO 8601 or RFC 2822."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from .fields import Path, join
from .protocol import PayloadError


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def opt_time(parent: dict[str, Any], key: str, path: Path) -> str | None:
    """A moment as ISO 8601 (UTC, ``Z``). Accepts unix seconds, ISO 8601, or RFC 2822 text."""
    value = parent.get(key)
    where = join(path, key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PayloadError(where, "must be a timestamp")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0 <= value < 32503680000:  # before year 3000
            raise PayloadError(where, "unix timestamp out of range")
        return _iso(datetime.fromtimestamp(float(value), tz=UTC))
    if not isinstance(value, str) or len(value) > 64:
        raise PayloadError(where, "must be a timestamp")
    text = value.strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
        return _iso(datetime.fromtimestamp(float(text), tz=UTC))
    try:
        return _iso(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return _iso(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    raise PayloadError(where, "must be an ISO 8601 timestamp or unix seconds")


def sort_key_time(at: str | None) -> float:
    return datetime.fromisoformat(at).timestamp() if at else 0.0
