"""What a transcript says for persona discovery: the customer's own words, and nothing from scripts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CUSTOMER_SPEAKER = "customer"


def customer_text(turns: Iterable[Mapping[str, Any]]) -> str:
    """Join the customer's turns only: agent, bot and system lines are scripts and carry no signal."""
    parts = []
    for turn in turns:
        if turn.get("speaker") != CUSTOMER_SPEAKER:
            continue
        text = str(turn.get("text") or "").strip()
        if text:
            parts.append(text)
    return "\n".join(parts)
