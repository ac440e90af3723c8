"""What a transcript says for persona discovery: the customer's own words, and nothing from scripts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pipelines.chat_text import clean_turns

CUSTOMER_SPEAKER = "customer"
# Part of every cache key of transcript vectors: a change to what customer_text returns must re-embed.
TEXT_RECIPE = "customer-turns-v2-chat-cleaned"


def customer_turns(turns: Iterable[Mapping[str, Any]]) -> list[str]:
    """The customer's non-empty turns, stripped, in order: agent, bot and system lines are scripts."""
    parts = []
    for turn in turns:
        if turn.get("speaker") != CUSTOMER_SPEAKER:
            continue
        text = str(turn.get("text") or "").strip()
        if text:
            parts.append(text)
    return parts


def customer_text(turns: Iterable[Mapping[str, Any]]) -> str:
    """The customer's turns as the embedding reads them (pipelines.chat_text): links, emoji, quotes,
    signatures and courtesy-only turns removed. When cleaning leaves nothing, the raw turns are kept, so a
    customer who said something is never dropped for saying only "thanks"."""
    raw = customer_turns(turns)
    return "\n".join(clean_turns(raw) or raw)
