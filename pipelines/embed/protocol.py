"""The Embedder protocol, unit vectors, and how callers feed an embedder: length-sorted batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

EMBED_BATCH = 256  # texts per embed() call: small enough for steady progress and bounded memory


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of shape (n, dim)."""

    model_name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text."""
        ...


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Scale rows to unit length; all-zero rows stay zero instead of becoming NaN."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def length_sorted_batches(texts: Sequence[str], size: int) -> Iterator[list[int]]:
    """Indices of texts in batches of `size`, shortest texts first: batches of similar length waste less padding
    (ties keep input order, so the batches are the same for the same texts)."""
    order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
    for start in range(0, len(order), size):
        yield order[start : start + size]


def embed_in_batches(
    texts: Sequence[str], embedder: Embedder, batch_size: int = EMBED_BATCH
) -> Iterator[tuple[list[int], np.ndarray]]:
    """Embed texts in length-sorted batches; yields (indices into texts, their vectors) batch by batch, so a
    caller can report progress or store each batch as it comes."""
    for batch in length_sorted_batches(texts, batch_size):
        yield batch, np.asarray(embedder.embed([texts[i] for i in batch]), dtype=np.float32)
