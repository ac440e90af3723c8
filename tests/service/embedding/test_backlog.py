"""The inline worker's walk through the backlog: chunk after chunk from where it got to, past a chunk that
fails, and no look at the whole table while idle until woken or RECHECK_S later.

The embedder is a counting fake (tests/service/embedding/test_claims.py): these tests are about which
transcripts get embedded when, not about vectors."""

from __future__ import annotations

import numpy as np
import pytest

from service.db import Database
from service.embedding import background
from service.embedding.background import RECHECK_S, Backlog
from tests.service.embedding.test_claims import CountingEmbedder, _store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "INLINE_CHUNK", 2)


def test_the_backlog_is_embedded_chunk_by_chunk_then_rests_until_woken(db: Database) -> None:
    _store(db, 5)
    embedder, clock = CountingEmbedder(), Clock()
    backlog = Backlog(db, lambda: embedder, clock=clock)
    assert [backlog.step() for _ in range(4)] == [True, True, True, False]
    assert len(embedder.texts) == 5
    _store(db, 7)  # two more arrive
    assert backlog.step() is False  # not woken, not due: no look at the table
    backlog.wake()
    assert backlog.step() is True and len(embedder.texts) == 7
    assert backlog.step() is False
    _store(db, 8)
    clock.now += RECHECK_S  # stored by another process (no wake-up): found on the next periodic look
    assert backlog.step() is True and len(embedder.texts) == 8


def test_a_chunk_that_fails_does_not_block_the_ones_after_it(db: Database) -> None:
    _store(db, 6, text="{i}")

    class Poisoned(CountingEmbedder):
        def embed(self, texts: list[str]) -> np.ndarray:
            if "0" in texts:
                raise ValueError("this text breaks the model")
            return super().embed(texts)

    embedder = Poisoned()
    backlog = Backlog(db, lambda: embedder, clock=Clock())
    while backlog.step():
        pass
    assert sorted(embedder.texts) == ["2", "3", "4", "5"]  # the chunk with "0" (and "1") is left for later
