"""Redaction of free-form JSON (transcript metadata, account attributes): every string and long integer."""

from __future__ import annotations

from typing import Any

from service.ingest.schemas import MAX_JSON_DEPTH

from .budget import RedactionBudget
from .phones import PHONE_MIN_DIGITS
from .text import redact_text


def _add(totals: dict[str, int], counts: dict[str, int]) -> None:
    for kind, n in counts.items():
        totals[kind] = totals.get(kind, 0) + n


def _redact_scalar(value: Any, totals: dict[str, int], budget: RedactionBudget | None) -> Any:
    if isinstance(value, str):
        result = redact_text(value, budget)
        _add(totals, result.counts)
        return result.text
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** (PHONE_MIN_DIGITS - 1):
        # A card or phone number sent as a JSON number (or parsed as one from CSV) is still personal data;
        # numbers of fewer digits than the shortest phone number (counts, years, postcodes) cannot be.
        result = redact_text(str(value), budget)
        if result.counts:
            _add(totals, result.counts)
            return result.text
    return value


def redact_json(value: Any, budget: RedactionBudget | None = None) -> tuple[Any, dict[str, int]]:
    """A copy of a JSON value with every string (object keys too) and integer redacted, plus the counts.

    Keys that become equal after redaction keep the last value. Callers bound the depth (MAX_JSON_DEPTH)."""
    totals: dict[str, int] = {}

    def walk(node: Any, depth: int) -> Any:
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            return {_redact_scalar(str(k), totals, budget): walk(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        return _redact_scalar(node, totals, budget)

    return walk(value, 0), totals
