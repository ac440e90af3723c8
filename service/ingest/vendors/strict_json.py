"""Strict JSON loading of webhook bodies: UTF-8 only, no NaN/Infinity, nesting bounded before parsing."""

from __future__ import annotations

import json
import re
from typing import Any

from service.ingest.schemas import MAX_JSON_DEPTH

from .protocol import PayloadError

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _too_deep(text: str, limit: int) -> bool:
    depth = 0
    for ch in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if ch in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def load_json(body: bytes) -> Any:
    """Decode UTF-8 JSON strictly: no NaN/Infinity, bounded nesting. Any failure is a PayloadError."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise PayloadError("body", "must be bytes")
    try:
        text = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadError("body", f"not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise PayloadError("body", "is empty")
    # Checked on the text, before parsing: the parser itself recurses once per level.
    if _too_deep(text, MAX_JSON_DEPTH):
        raise PayloadError("body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PayloadError(
            "body", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise PayloadError("body", f"not valid JSON: {exc}") from None
