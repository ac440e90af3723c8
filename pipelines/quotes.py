"""Quotes and examples: the customers' own words that are most typical of a persona, a job or a phrase."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_QUOTE_CHARS = 200
# Two quotes this similar (cosine) say the same thing in other words; showing both wastes a slot.
NEAR_DUPLICATE_COSINE = 0.92
NEAR_DUPLICATE_JACCARD = 0.7


@dataclass(frozen=True)
class Example:
    """One conversation a reader can open (its transcript id) and the customer's words from it."""

    transcript_id: str
    quote: str


def unit(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def trim_quote(text: str, max_chars: int = MAX_QUOTE_CHARS) -> str:
    """Collapse whitespace and cut at a word boundary with an ellipsis when longer than max_chars."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return f"{cut}…"


def token_set(text: str) -> frozenset[str]:
    """Lowercase word set for the wording-overlap test of near-duplicate quotes."""
    return frozenset(re.findall(r"[a-z0-9]+", text.lower()))


def typical_rows(
    texts: Sequence[str],
    vectors: np.ndarray,
    centre: np.ndarray,
    *,
    n: int,
    eligible: Sequence[bool] | None = None,
) -> list[int]:
    """Up to n rows closest to the centre, skipping duplicates and near-duplicates (by meaning or wording).

    Rows that are not eligible (e.g. closer to another persona than to their own) are used only when the
    eligible ones run out.
    """
    if not len(texts) or n <= 0:
        return []
    rows = unit(vectors)
    similarity = rows @ unit(centre)
    allowed = [True] * len(texts) if eligible is None else list(eligible)
    order = sorted(range(len(texts)), key=lambda i: (not allowed[i], -similarity[i], texts[i]))
    chosen: list[int] = []
    tokens = {i: token_set(texts[i]) for i in order[: 20 * n]}
    for index in order[: 20 * n]:
        if not tokens[index]:
            continue
        duplicate = any(
            float(rows[index] @ rows[other]) >= NEAR_DUPLICATE_COSINE
            or len(tokens[index] & tokens[other]) / len(tokens[index] | tokens[other])
            >= NEAR_DUPLICATE_JACCARD
            for other in chosen
        )
        if not duplicate:
            chosen.append(index)
        if len(chosen) == n:
            break
    return chosen
