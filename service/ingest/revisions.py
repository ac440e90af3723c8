"""When a delivery changes a stored transcript: content hashes, turn identity, merging and ordering rules.

Plain functions on redacted transcript rows (the dicts ``ingest.service`` stores); no database here.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from service.ingest.schemas import MAX_TURNS

#: What a transcript's content is: a change to any of these is an update, the same again a duplicate.
CONTENT_FIELDS = ("customer_id", "channel", "started_at", "duration_seconds", "turns", "metadata")


def _normal_text(text: str) -> str:
    """NFC with runs of whitespace collapsed: a re-sent ticket that only re-wraps lines is not a change."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _moment(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat() if value.tzinfo else value.replace(tzinfo=UTC).isoformat()


def content_hash(row: dict[str, Any]) -> str:
    """SHA-256 of the redacted, normalised content (CONTENT_FIELDS) of a transcript row."""
    duration = row.get("duration_seconds")
    content = {
        "customer_id": row["customer_id"],
        "channel": row["channel"],
        "started_at": _moment(row.get("started_at")),
        "duration_seconds": None if duration is None else float(duration),
        "turns": [
            {"speaker": t["speaker"], "text": _normal_text(t["text"]), "at": _moment(t.get("at"))}
            for t in row["turns"]
        ],
        "metadata": row.get("metadata") or {},
    }
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def turn_fingerprint(turn: dict[str, Any]) -> str:
    """A turn's identity when the vendor gives it no id: who said what (its time is left out, because one
    comment can arrive with a time from an export and without one from a webhook)."""
    said = f"{turn['speaker']}\x1f{_normal_text(turn['text'])}"
    return "said:" + hashlib.sha256(said.encode("utf-8")).hexdigest()[:24]


def source_time(updated_at: str | None, turns: Sequence[dict[str, Any]]) -> datetime | None:
    """How recent a delivered version is: the vendor's updated-at, else its latest turn time, else unknown."""
    if updated_at:
        return datetime.fromisoformat(updated_at).astimezone(UTC)
    times = [datetime.fromisoformat(t["at"]).astimezone(UTC) for t in turns if t.get("at")]
    return max(times, default=None)


def is_older(
    incoming: datetime | None,
    stored: datetime | None,
    new_turns: Sequence[dict[str, Any]],
    stored_turns: Sequence[dict[str, Any]],
) -> bool:
    """True when the delivery predates the stored version (never roll back): by time when both are known and
    differ; else when its turns are the first turns of the stored version and fewer (an earlier snapshot)."""
    if incoming is not None and stored is not None and incoming != stored:
        return incoming < stored
    if len(new_turns) >= len(stored_turns):
        return False
    prefix = [turn_fingerprint(t) for t in stored_turns[: len(new_turns)]]
    return prefix == [turn_fingerprint(t) for t in new_turns]


def appended_turns(
    stored: Sequence[dict[str, Any]],
    stored_keys: Sequence[str | None] | None,
    new: Sequence[dict[str, Any]],
    new_keys: Sequence[str | None] | None,
) -> tuple[list[dict[str, Any]], list[str | None]]:
    """The stored turns plus the delivered ones not stored yet (by vendor key, else by who said what),
    in time order when every turn has a time; with the key of each turn."""
    keys: list[str | None] = (
        list(stored_keys) if stored_keys and len(stored_keys) == len(stored) else [None] * len(stored)
    )
    seen = {k for k in keys if k} | {turn_fingerprint(t) for t in stored}
    turns = list(stored)
    for turn, key in zip(new, new_keys or [None] * len(new), strict=True):
        fingerprint = turn_fingerprint(turn)
        if (key and key in seen) or fingerprint in seen:
            continue
        turns.append(turn)
        keys.append(key)
        seen.update(k for k in (key, fingerprint) if k)
    if all(t.get("at") for t in turns):
        order = sorted(range(len(turns)), key=lambda i: (datetime.fromisoformat(turns[i]["at"]), i))
        turns, keys = [turns[i] for i in order], [keys[i] for i in order]
    return turns[:MAX_TURNS], keys[:MAX_TURNS]
