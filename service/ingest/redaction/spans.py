"""Spans of detected personal data in a text, and their replacement by a placeholder."""

from __future__ import annotations

#: [start, end) offsets of one detected item.
Span = tuple[int, int]


def replace_spans(text: str, spans: list[Span], placeholder: str) -> str:
    """``text`` with each span (in order, not overlapping) replaced by ``placeholder``."""
    parts = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(placeholder)
        last = end
    parts.append(text[last:])
    return "".join(parts)
