"""Turns of a mapped transcript, shaped like TurnIn (plus the vendor's turn id), and the cap on how many one
transcript keeps."""

from __future__ import annotations

from typing import Any

from service.ingest.schemas import MAX_TURNS

#: Where an adapter keeps the vendor's id of a turn until ``split_turn_keys`` moves it into the Merge.
TURN_KEY = "key"


def turn(speaker: str, text: str, at: str | None, key: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"speaker": speaker, "text": text}
    if at:
        out["at"] = at
    if key:
        out[TURN_KEY] = key
    return out


def split_turn_keys(transcript: dict[str, Any]) -> tuple[str | None, ...]:
    """Take the vendor's turn ids out of a mapped transcript (TurnIn has no such field), in turn order."""
    return tuple(t.pop(TURN_KEY, None) for t in transcript["turns"])


def cap_turns(turns: list[dict[str, Any]], metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """TranscriptIn accepts at most MAX_TURNS turns: a longer conversation keeps its first ones."""
    if len(turns) > MAX_TURNS:
        metadata["turns_truncated"] = len(turns) - MAX_TURNS
        return turns[:MAX_TURNS]
    return turns
