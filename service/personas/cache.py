"""The encoded `GET /v1/personas` answer per (run, labels version), so a polling dashboard costs one small query."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from service.json_response import dumps_finite

MAX_ENTRIES = 16


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(payload: Any) -> tuple[bytes, str]:
    """Compact JSON (never NaN or Infinity) and its strong ETag (a hash of exactly those bytes)."""
    body = dumps_finite(payload, default=_default)
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class EncodedCache:
    """A small thread-safe LRU of encoded answers; the key carries everything that can change the answer."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[tuple[Any, ...], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: tuple[Any, ...]) -> tuple[bytes, str] | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: tuple[Any, ...], value: tuple[bytes, str]) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
