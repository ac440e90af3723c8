"""Stable persona ids across runs: Hungarian matching of new centroids to the previous run's on cosine."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

MATCH_THRESHOLD = 0.8
IdFactory = Callable[[int, np.ndarray], str]


@dataclass(frozen=True)
class PreviousPersona:
    """A persona of the previous run: its id and centroid. (A name a person gave it sticks to the id.)"""

    id: str
    centroid: np.ndarray


@dataclass(frozen=True)
class PersonaMatch:
    """The id a new persona gets and whether it continues a previous persona."""

    index: int  # position in the new centroids
    id: str
    matched: bool
    similarity: float | None  # cosine to the Hungarian partner, None when there was no previous persona left


@dataclass(frozen=True)
class MatchResult:
    """One PersonaMatch per new centroid, in input order, and the previous ids no longer present."""

    matches: tuple[PersonaMatch, ...]
    retired_ids: tuple[str, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """The persona id for each new centroid, in input order."""
        return tuple(m.id for m in self.matches)

    @property
    def mapping(self) -> dict[int, str]:
        """New centroid index -> persona id."""
        return {m.index: m.id for m in self.matches}


def centroid_id(index: int, centroid: np.ndarray) -> str:
    """Default new id: "p-" + 10 hex digits of SHA-256 over the unit centroid rounded to 3 decimals.

    Same data gives the same id on every run and machine; the index is not used, so reordering does not
    change ids. Rounding keeps float noise from changing the id.
    """
    unit = np.asarray(centroid, dtype=np.float64) / max(float(np.linalg.norm(centroid)), 1e-12)
    rounded = np.round(unit, 3) + 0.0  # + 0.0 turns -0.0 into 0.0 so both hash alike
    return "p-" + hashlib.sha256(rounded.astype("<f8").tobytes()).hexdigest()[:10]


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def match_personas(
    previous: Sequence[PreviousPersona],
    new_centroids: np.ndarray | Sequence[np.ndarray],
    *,
    threshold: float = MATCH_THRESHOLD,
    id_factory: IdFactory = centroid_id,
) -> MatchResult:
    """Give each new centroid the id of its Hungarian partner when cosine >= threshold, else a new id.

    The assignment maximises the total cosine over one-to-one pairs (scipy linear_sum_assignment); a
    matched persona keeps its id (and with it any name a person gave it). Unpaired or below-threshold
    personas get id_factory(index, centroid); a clash with an existing id gets a "-2", "-3"... suffix.
    Centroids of another width than the previous ones (a new embedding model) match nothing.
    """
    new = [np.asarray(c, dtype=np.float64).ravel() for c in new_centroids]
    if not new:
        return MatchResult((), tuple(p.id for p in previous))
    new_matrix = _unit_rows(np.stack(new))
    partner: dict[int, tuple[int, float]] = {}
    comparable = [p for p in previous if np.asarray(p.centroid).size == new_matrix.shape[1]]
    if comparable:
        similarity = new_matrix @ _unit_rows(np.stack([np.ravel(p.centroid) for p in comparable])).T
        rows, cols = linear_sum_assignment(similarity, maximize=True)
        partner = {int(r): (int(c), float(similarity[r, c])) for r, c in zip(rows, cols, strict=True)}

    taken = {p.id for p in previous}
    matches: list[PersonaMatch | None] = [None] * len(new)
    for index, (col, sim) in partner.items():
        if sim >= threshold:
            matches[index] = PersonaMatch(index, comparable[col].id, True, sim)
    for index in range(len(new)):
        if matches[index] is None:
            base = id_factory(index, new[index])
            new_id, suffix = base, 2
            while new_id in taken:
                new_id, suffix = f"{base}-{suffix}", suffix + 1
            taken.add(new_id)
            similarity_to_partner = partner[index][1] if index in partner else None
            matches[index] = PersonaMatch(index, new_id, False, similarity_to_partner)
    kept = {m.id for m in matches if m is not None and m.matched}
    return MatchResult(
        tuple(m for m in matches if m is not None), tuple(p.id for p in previous if p.id not in kept)
    )
