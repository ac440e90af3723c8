"""The rules that decide whether a delivery changes a stored transcript (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime

from service.ingest.revisions import appended_turns, content_hash, is_older, source_time


def row(*texts: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "customer_id": "c-1",
        "channel": "chat",
        "started_at": "2026-10-01T09:30:00Z",
        "duration_seconds": 240,
        "turns": [{"speaker": "customer", "text": t} for t in texts],
        "metadata": {"csat": 1.0},
    }
    return base | fields


def test_content_hash_ignores_spacing_and_time_notation_but_not_content() -> None:
    same = content_hash(row("Where is my order?"))
    assert content_hash(row(" Where is  my\norder? ")) == same
    assert (
        content_hash(row("Where is my order?", started_at=datetime(2026, 10, 1, 9, 30, tzinfo=UTC))) == same
    )
    assert content_hash(row("Where is my order?", duration_seconds=240.0)) == same
    assert content_hash(row("Where is my order now?")) != same
    assert content_hash(row("Where is my order?", metadata={"csat": 0.0})) != same
    assert content_hash(row("Where is my order?", customer_id="c-2")) != same


def test_appended_turns_adds_unseen_keys_in_time_order() -> None:
    stored = [
        {"speaker": "customer", "text": "Hi", "at": "2026-01-01T10:00:00Z"},
        {"speaker": "agent", "text": "Hello", "at": "2026-01-01T10:05:00Z"},
    ]
    new = [
        {"speaker": "customer", "text": "Later", "at": "2026-01-01T10:09:00Z"},
        {"speaker": "agent", "text": "Hello", "at": "2026-01-01T10:05:00Z"},  # stored (same key)
        {"speaker": "bot", "text": "Between", "at": "2026-01-01T10:07:00Z"},
    ]
    turns, keys = appended_turns(stored, ["source", "part-1"], new, ["part-3", "part-1", "part-2"])
    assert [t["text"] for t in turns] == ["Hi", "Hello", "Between", "Later"]
    assert keys == ["source", "part-1", "part-2", "part-3"]


def test_appended_turns_without_keys_or_times_match_on_who_said_what() -> None:
    stored = [{"speaker": "customer", "text": "Parcel is late"}]
    new = [{"speaker": "customer", "text": "Parcel  is late"}, {"speaker": "agent", "text": "Checking"}]
    turns, keys = appended_turns(stored, None, new, None)
    assert [t["text"] for t in turns] == ["Parcel is late", "Checking"] and keys == [None, None]


def test_older_by_time_else_by_being_the_stored_turns_beginning() -> None:
    early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    one, two = row("a")["turns"], row("a", "b")["turns"]
    assert is_older(early, late, two, one) and not is_older(late, early, one, two)
    assert is_older(None, late, one, two) and not is_older(None, None, two, one)
    assert not is_older(None, None, row("x")["turns"], two)
    assert source_time(
        None, [{"at": "2026-01-01T10:00:00Z"}, {"at": "2026-01-01T09:00:00+02:00"}]
    ) == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert source_time("2026-02-01T00:00:00Z", []) == datetime(2026, 2, 1, tzinfo=UTC)
