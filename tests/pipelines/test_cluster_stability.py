"""Stability of personas under resampling, and the choice of k that rests on it."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.cluster import cluster_customers
from pipelines.stability import STABLE_JACCARD, best_jaccard, choose_k, resample_rows, verdict
from pipelines.types import KScore
from tests.pipelines.test_cluster import blobs


def test_best_jaccard_matches_each_persona_to_its_closest_resampled_one() -> None:
    full = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    # Persona 0 comes back whole under another number; persona 1 is split in two halves.
    part = np.array([5, 5, 5, 5, 2, 2, 3, 3])
    np.testing.assert_allclose(best_jaccard(full, part, 2), [1.0, 0.5])


def test_resamples_are_fixed_by_the_seed_and_sized_by_the_share() -> None:
    first = resample_rows(100, 4, 0.5, seed=3)
    again = resample_rows(100, 4, 0.5, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert all(len(rows) == 50 and np.all(np.diff(rows) > 0) for rows in first)
    assert not np.array_equal(first[0], first[1])


def test_k_is_the_largest_whose_every_persona_is_stable() -> None:
    scores = {
        2: KScore(2, 0.95, (0.97, 0.96)),
        3: KScore(3, 0.85, (0.9, 0.88, 0.8)),
        4: KScore(4, 0.70, (0.9, 0.85, 0.8, 0.4)),
    }
    assert choose_k(scores) == 3
    unstable, words = verdict(scores, 3)
    assert not unstable and words.startswith("Stable") and "k=4: weakest persona 0.40" in words
    # No k qualifies: the least unstable is chosen and the run says it is unstable.
    shaky = {2: KScore(2, 0.3, (0.6, 0.5)), 3: KScore(3, 0.2, (0.7, 0.65, 0.62))}
    assert choose_k(shaky) == 3
    unstable, words = verdict(shaky, 3)
    assert unstable and words.startswith("Unstable") and str(STABLE_JACCARD) in words


@pytest.mark.parametrize("groups", [2, 3, 4])
def test_separated_groups_give_their_number_and_full_stability(groups: int) -> None:
    # Well separated blobs: every persona must reappear in every resample, and any extra persona must not.
    vectors, truth = blobs([50, 40, 45, 35][:groups], seed=groups)
    result = cluster_customers(vectors, min_personas=2, max_personas=4, seed=1)
    assert result.k == groups and not result.unstable
    assert min(result.persona_stability) > 0.95 and result.persona_reappears == (1.0,) * groups
    assert result.stability is not None and result.stability > 0.95
    assert [s.k for s in result.k_scores] == [2, 3, 4]
    assert all(s.weakest < STABLE_JACCARD for s in result.k_scores if s.k > groups)


def test_a_structureless_cloud_is_reported_unstable() -> None:
    # One isotropic cloud: any split is arbitrary, so no k's personas reappear across resamples.
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(200, 32))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    result = cluster_customers(vectors, seed=2)
    assert result.unstable and result.verdict.startswith("Unstable")
    assert all(s.weakest < STABLE_JACCARD for s in result.k_scores)


def test_order_of_customers_does_not_change_the_figures() -> None:
    vectors, _ = blobs([40, 30, 30], seed=8)
    owner = np.repeat(np.arange(100), 2)
    contacts = np.repeat(vectors, 2, axis=0) + 0.05 * np.random.default_rng(1).normal(size=(200, 64))
    first = cluster_customers(vectors, contact_vectors=contacts, contact_owner=owner, seed=4)
    again = cluster_customers(vectors, contact_vectors=contacts, contact_owner=owner, seed=4)
    assert first.k_scores == again.k_scores and np.array_equal(first.labels, again.labels)
