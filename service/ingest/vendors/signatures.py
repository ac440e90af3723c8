"""Shared steps of signature checks: reading headers, the configured secret, signed-timestamp freshness."""

from __future__ import annotations

import math
from collections.abc import Mapping

from .protocol import SignatureError

#: Accepted clock difference between a signed timestamp and ``now``, both ways.
TOLERANCE_SECONDS = 300


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers arrive lower-cased; normalise again so a caller's slip cannot bypass a check."""
    try:
        return {str(k).lower(): str(v) for k, v in headers.items()}
    except Exception as exc:  # a broken mapping is never a reason for a 500
        raise SignatureError("headers could not be read") from exc


def require_header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None or not value.strip():
        raise SignatureError(f"missing header {name}")
    return value.strip()


def require_secret(secret: str) -> bytes:
    if not isinstance(secret, str) or not secret:
        raise SignatureError("no webhook secret is configured for this source")
    return secret.encode("utf-8")


def check_fresh(timestamp: float, now: float, header: str) -> None:
    """Refuse signed timestamps more than TOLERANCE_SECONDS away from ``now`` (replay protection)."""
    if not math.isfinite(timestamp):
        raise SignatureError(f"malformed timestamp in {header}")
    if timestamp < now - TOLERANCE_SECONDS:
        raise SignatureError(f"stale timestamp in {header}: older than {TOLERANCE_SECONDS} seconds")
    if timestamp > now + TOLERANCE_SECONDS:
        raise SignatureError(f"timestamp in {header} is more than {TOLERANCE_SECONDS} seconds in the future")
