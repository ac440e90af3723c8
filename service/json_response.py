"""Every JSON answer is valid JSON: encoded with allow_nan=False, so NaN and Infinity never reach a client.

Inputs are bounded so that no stored or computed number can be non-finite (revenue <= 1e12, durations <= 7
days, finite cost rates). Should one get through anyway, the answer is still sent, valid, with that number as
null, and an error is logged naming where it was (never the value or the rest of the answer)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse

log = logging.getLogger("personas.json")


def _finite(value: Any, path: str, found: list[str]) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        found.append(path or "$")
        return None
    if isinstance(value, dict):
        return {k: _finite(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def dumps_finite(payload: Any, *, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact UTF-8 JSON without NaN or Infinity (a non-finite number becomes null and is logged)."""
    options: dict[str, Any] = {"separators": (",", ":"), "ensure_ascii": False, "default": default}
    try:
        return json.dumps(payload, allow_nan=False, **options).encode()
    except ValueError:
        found: list[str] = []
        cleaned = _finite(payload, "", found)
        log.error("non-finite number in an answer, sent as null", extra={"fields": found[:20]})
        return json.dumps(cleaned, allow_nan=False, **options).encode()


class FiniteJSONResponse(JSONResponse):
    """The app's default response class: JSONResponse that never writes NaN or Infinity."""

    def render(self, content: Any) -> bytes:
        return dumps_finite(content)
