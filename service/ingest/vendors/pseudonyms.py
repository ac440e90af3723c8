"""Customer ids from vendor payloads: an email is never stored, only a stable pseudonym of it."""

from __future__ import annotations

import hashlib


def pseudonym(kind: str, value: str) -> str:
    """A stable pseudonymous id for a personal identifier (an email): never store the value itself.

    Unsalted SHA-256 keeps the id stable across deliveries and secret rotations so that one
    person's tickets group together; it is pseudonymisation, not anonymisation.
    """
    digest = hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"{kind}-sha256-{digest}"


def customer_key(value: str, prefix: str) -> str:
    """A vendor id used as customer_id; an email used as an id is replaced by its pseudonym."""
    return pseudonym(f"{prefix}-email", value) if "@" in value else value
