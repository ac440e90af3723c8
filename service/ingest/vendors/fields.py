"""Typed access to payload fields; ``path`` is the dotted location that a PayloadError names (``ticket.id``)."""

from __future__ import annotations

import re
from typing import Any

from .protocol import PayloadError

#: Longest id accepted from a vendor payload.
MAX_ID_LENGTH = 128

Path = str


def join(path: Path, key: str | int) -> Path:
    return f"{path}.{key}" if path else str(key)


def obj(value: Any, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(path or "body", "must be a JSON object")
    return value


def req_obj(parent: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    where = join(path, key)
    if parent.get(key) is None:
        raise PayloadError(where, "is required")
    return obj(parent[key], where)


def opt_obj(parent: dict[str, Any], key: str, path: Path) -> dict[str, Any] | None:
    value = parent.get(key)
    return None if value is None else obj(value, join(path, key))


def opt_list(parent: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(join(path, key), "must be a list")
    return value


def opt_str(parent: dict[str, Any], key: str, path: Path) -> str | None:
    """A string (numbers are accepted and rendered: placeholders often produce them)."""
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise PayloadError(join(path, key), "must be a string")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if not isinstance(value, str):
        raise PayloadError(join(path, key), "must be a string")
    return value


def opt_id(parent: dict[str, Any], key: str, path: Path) -> str | None:
    """An identifier: a non-negative integer or a non-empty string without control characters."""
    value = parent.get(key)
    where = join(path, key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise PayloadError(where, "must be an id (integer or string)")
    if isinstance(value, int):
        if value < 0:
            raise PayloadError(where, "must not be negative")
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
    else:
        raise PayloadError(where, "must be an id (integer or string)")
    if len(text) > MAX_ID_LENGTH:
        raise PayloadError(where, f"longer than {MAX_ID_LENGTH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise PayloadError(where, "contains control characters")
    return text


def req_id(parent: dict[str, Any], key: str, path: Path) -> str:
    value = opt_id(parent, key, path)
    if value is None:
        raise PayloadError(join(path, key), "is required")
    return value


def opt_bool(parent: dict[str, Any], key: str, path: Path, default: bool) -> bool:
    """A boolean; the strings "true"/"false" are accepted (template placeholders render text)."""
    value = parent.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PayloadError(join(path, key), "must be a boolean")


def tag_list(parent: dict[str, Any], key: str, path: Path, sep: str = r"[,\s]+") -> list[str]:
    """Tags as a list of strings, or one string split by ``sep`` (placeholder output)."""
    value = parent.get(key)
    where = join(path, key)
    if value is None:
        return []
    if isinstance(value, str):
        items = [t.strip() for t in re.split(sep, value) if t.strip()]
    elif isinstance(value, list):
        items = []
        for i, t in enumerate(value):
            if isinstance(t, dict):  # e.g. Intercom {"type": "tag", "name": ...}
                t = t.get("name")
            if not isinstance(t, str):
                raise PayloadError(join(where, i), "must be a string")
            if t.strip():
                items.append(t.strip())
    else:
        raise PayloadError(where, "must be a list of strings or a string")
    seen: dict[str, None] = {}
    for t in items:
        seen.setdefault(t[:100], None)
    return list(seen)[:100]
