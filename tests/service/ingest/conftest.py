"""Ingest test fixtures."""

from __future__ import annotations

from typing import Any

import pytest
from phonenumbers import phonenumbermatcher

from service.ingest.redaction import cards, phones


@pytest.fixture
def phone_parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every candidate libphonenumber's matcher parses, recorded: the unit of its work (up to ~0.2 ms each).

    The memoised verdicts and windows of earlier tests are forgotten first, so every parse is done (and seen)."""
    forget_redaction_memos()
    calls: list[str] = []
    real = phonenumbermatcher.parse

    def recording(number: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(number)
        return real(number, *args, **kwargs)

    monkeypatch.setattr(phonenumbermatcher, "parse", recording)
    return calls


def forget_redaction_memos() -> None:
    """Empty the phone matcher's and the card check's memos, so the next redaction does every check as a
    first one would."""
    phones._verified.cache_clear()
    phones._window_matches.cache_clear()
    cards._card_number_ok.cache_clear()
    cards._chain_card_length.cache_clear()
