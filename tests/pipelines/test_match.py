"""Stable persona ids: Hungarian matching on cosine, the 0.8 threshold and changing counts."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.match import PreviousPersona, centroid_id, match_personas

DIM = 64


def centroids(n: int, seed: int = 0) -> np.ndarray:
    """n random unit vectors; in 64 dimensions they are nearly orthogonal (|cosine| well below 0.8)."""
    vectors = np.random.default_rng(seed).normal(size=(n, DIM))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def nudge(vector: np.ndarray, amount: float = 0.1, seed: int = 1) -> np.ndarray:
    """The same persona in the next run: the centroid moved a little (cosine stays above 0.95)."""
    moved = vector + amount * np.random.default_rng(seed).normal(size=vector.shape) / np.sqrt(DIM)
    return moved / np.linalg.norm(moved)


def previous_run(vectors: np.ndarray) -> list[PreviousPersona]:
    first = match_personas([], vectors)
    return [PreviousPersona(i, v) for i, v in zip(first.ids, vectors, strict=True)]


def test_first_run_gets_new_deterministic_ids():
    vectors = centroids(3)
    first, again = match_personas([], vectors), match_personas([], vectors)
    assert first.ids == again.ids and len(set(first.ids)) == 3
    assert all(not m.matched and m.similarity is None for m in first.matches)
    assert first.ids[0] == centroid_id(0, vectors[0]) and first.ids[0].startswith("p-")


def test_personas_keep_their_ids_across_runs_in_any_order():
    vectors = centroids(3)
    previous = previous_run(vectors)
    # Next run: the same personas, moved slightly and returned in another order.
    new = np.stack([nudge(vectors[2], seed=5), nudge(vectors[0], seed=6), nudge(vectors[1], seed=7)])
    result = match_personas(previous, new)
    assert result.ids == (previous[2].id, previous[0].id, previous[1].id)
    assert all(m.matched and m.similarity is not None and m.similarity >= 0.95 for m in result.matches)
    assert result.retired_ids == ()
    assert result.mapping == {0: previous[2].id, 1: previous[0].id, 2: previous[1].id}


def test_below_threshold_gets_a_new_id_and_reports_the_similarity():
    vectors = centroids(2)
    previous = previous_run(vectors)
    # Persona 1 changed a lot: cosine 0.6 to its old self, under the 0.8 bar.
    other = centroids(1, seed=9)[0]
    other -= (other @ vectors[1]) * vectors[1]
    other /= np.linalg.norm(other)
    drifted = 0.6 * vectors[1] + 0.8 * other
    result = match_personas(previous, np.stack([nudge(vectors[0]), drifted]))
    assert result.ids[0] == previous[0].id
    assert result.ids[1] not in {p.id for p in previous}
    assert result.matches[1].matched is False and result.matches[1].similarity == pytest.approx(0.6)
    assert result.retired_ids == (previous[1].id,)


def test_threshold_is_inclusive():
    vectors = centroids(1)
    other = centroids(1, seed=3)[0]
    other -= (other @ vectors[0]) * vectors[0]
    other /= np.linalg.norm(other)
    at_bar = 0.8 * vectors[0] + 0.6 * other
    result = match_personas(previous_run(vectors), at_bar[None, :], threshold=0.8 - 1e-9)
    assert result.matches[0].matched


def test_three_to_four_personas_adds_one_new_id():
    vectors = centroids(4)
    previous = previous_run(vectors[:3])
    result = match_personas(previous, np.stack([nudge(v, seed=i) for i, v in enumerate(vectors)]))
    assert result.ids[:3] == tuple(p.id for p in previous)
    assert result.matches[3].matched is False and result.ids[3] not in result.ids[:3]
    assert result.matches[3].similarity is None  # no previous persona was left for it


def test_four_to_two_personas_retires_two_ids():
    vectors = centroids(4)
    previous = previous_run(vectors)
    result = match_personas(previous, np.stack([nudge(vectors[3]), nudge(vectors[1])]))
    assert result.ids == (previous[3].id, previous[1].id)
    assert set(result.retired_ids) == {previous[0].id, previous[2].id}


def test_hungarian_prefers_the_best_total_over_greedy():
    # New 0 is closest to old A, but giving A to new 1 (its only good match) maximises the total.
    a, b, c = centroids(3, seed=4)
    old = [PreviousPersona("A", a), PreviousPersona("B", b)]
    new0 = (0.9 * a + 0.85 * b) / np.linalg.norm(0.9 * a + 0.85 * b)
    new1 = nudge(a, 0.05)
    result = match_personas(old, np.stack([new0, new1]), threshold=0.5)
    assert result.ids == ("B", "A")


def test_id_factory_and_clash_suffix():
    vectors = centroids(2)
    result = match_personas([], vectors, id_factory=lambda index, centroid: "persona")
    assert result.ids == ("persona", "persona-2")


def test_other_embedding_width_matches_nothing():
    previous = previous_run(centroids(2))
    result = match_personas(previous, np.ones((2, DIM // 2)))
    assert not any(m.matched for m in result.matches)
    assert set(result.retired_ids) == {p.id for p in previous}
