"""Turns of a mapped transcript, shaped like TurnIn, and the cap on how many one transcript keeps."""

from __future__ import annotations

from typing import Any

from service.ingest.schemas import MAX_TURNS


def turn(speaker: str, text: str, at: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"speaker": speaker, "text": text}
    if at:
        out["at"] = at
    return out


def cap_turns(turns: list[dict[str, Any]], metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """TranscriptIn accepts at most MAX_TURNS turns: a longer conversation keeps its first ones."""
    if len(turns) > MAX_TURNS:
        metadata["turns_truncated"] = len(turns) - MAX_TURNS
        return turns[:MAX_TURNS]
    return turns
