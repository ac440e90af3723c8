"""Fitting k personas: k-means split of the customer vectors, refined as a contact mixture, and scored by how
well it survives resampling (see pipelines.cluster for the method in words)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np

from pipelines.contact_mixture import (
    contact_neighbours,
    neighbourhood_width,
    neighbours_within,
    refine,
)
from pipelines.embed import l2_normalise
from pipelines.stability import CRITERION, Resampled, choose_k, resample_rows, resampled_stability, verdict
from pipelines.types import ClusterParams, KScore

QUALITY_METRIC = "silhouette (cosine, customer embedding space)"
METHOD = (
    "k-means on customer vectors -> contact-neighbourhood mixture refinement -> k by resampling stability"
)
# The full neighbour table is searched this many times wider than the refinement reads, so that a resample
# (which drops a share of the contacts) still finds enough neighbours among the contacts it keeps.
RESAMPLE_WIDTH_FACTOR = 3


@dataclass(frozen=True)
class ClusterResult:
    """Labels 0..k-1 (largest persona first), confidences, centroids, how k was chosen and how stable it is."""

    labels: np.ndarray
    confidences: np.ndarray
    centroids: np.ndarray
    k: int
    criterion: str
    scores: dict[int, float]  # per k tried: the criterion's number (its weakest persona's stability)
    quality: float | None
    quality_metric: str
    noise: np.ndarray
    method: str
    reason: str | None
    stability: float | None = None  # mean ARI, final partition vs resampled ones
    persona_stability: tuple[float, ...] = ()  # per persona: mean best Jaccard over the resamples
    persona_reappears: tuple[float, ...] = ()  # per persona: share of resamples with Jaccard >= 0.5
    k_scores: tuple[KScore, ...] = ()
    unstable: bool = False
    verdict: str = ""


def spherical_kmeans(
    vectors: np.ndarray, k: int, starts: int, seed: int, iterations: int = 100
) -> list[tuple[float, np.ndarray]]:
    """Seeded k-means on unit vectors by cosine from `starts` k-means++ starts: (loss, labels) of each,
    least loss first. Plain matrix products, so it runs the same on any machine load."""
    rng = np.random.default_rng(seed)
    n = len(vectors)
    found: list[tuple[float, np.ndarray]] = []
    for _ in range(starts):
        centres = vectors[[int(rng.integers(n))]]
        distance = np.maximum(1.0 - vectors @ centres[0], 0.0)
        for _ in range(1, k):
            weights = distance**2
            pick = (
                int(rng.choice(n, p=weights / weights.sum())) if weights.sum() > 0 else int(rng.integers(n))
            )
            centres = np.vstack([centres, vectors[pick]])
            distance = np.minimum(distance, np.maximum(1.0 - vectors @ vectors[pick], 0.0))
        labels = np.full(n, -1, dtype=np.int64)
        for _ in range(iterations):
            similarity = vectors @ centres.T
            new = similarity.argmax(axis=1)
            if np.array_equal(new, labels):
                break
            labels = new
            for j in np.flatnonzero(np.bincount(labels, minlength=k) == 0):
                # An emptied centre restarts at the customer its centre explains worst.
                labels[int(similarity.max(axis=1).argmin())] = j
            centres = l2_normalise(np.eye(k, dtype=vectors.dtype)[labels].T @ vectors)
        found.append((float((1.0 - (vectors @ centres.T)[np.arange(n), labels]).sum()), labels))
    return sorted(found, key=lambda item: item[0])


class Partitioner:
    """Fits k personas on any subset of the customers: k-means split, then the contact refinement. The
    contact neighbour table is searched once; a subset reads the neighbours it keeps."""

    def __init__(
        self, vectors: np.ndarray, contacts: np.ndarray, owner: np.ndarray, params: ClusterParams, seed: int
    ) -> None:
        self.vectors, self.owner, self.params = vectors, owner, params
        self.refines = len(vectors) >= params.min_customers_for_umap and params.refine
        width = min(params.contact_neighbors * RESAMPLE_WIDTH_FACTOR, len(contacts) - 1)
        self.neighbours = contact_neighbours(contacts, owner, max(width, 0), seed) if self.refines else None

    def fit(self, rows: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Labels and posteriors of the customers `rows` (sorted) for k personas."""
        splits = spherical_kmeans(self.vectors[rows], k, self.params.kmeans_starts, seed)
        if self.neighbours is None:
            labels = splits[0][1]
            posterior = np.zeros((len(rows), k))
            posterior[np.arange(len(rows)), labels] = 1.0
            return labels, posterior
        position = np.full(len(self.vectors), -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        kept = np.flatnonzero(position[self.owner] >= 0)
        owner = position[self.owner[kept]]
        neighbours = neighbours_within(self.neighbours, kept, self.params.contact_neighbors)
        width = neighbourhood_width(splits[0][1], owner, k, neighbours.shape[1])
        return refine(
            splits[0][1],
            owner,
            neighbours[:, :width],
            k,
            self.params.refine_smoothing,
            self.params.refine_max_iterations,
        )


def polish(partitioner: Partitioner, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """More EM rounds for the chosen partition of all customers (ClusterParams.final_rounds), starting from
    its labels, so persona j stays persona j."""
    if partitioner.neighbours is None:
        return labels, np.eye(k)[labels]
    params = partitioner.params
    neighbours = partitioner.neighbours[:, : params.contact_neighbors]
    width = neighbourhood_width(labels, partitioner.owner, k, neighbours.shape[1])
    return refine(
        labels, partitioner.owner, neighbours[:, :width], k, params.refine_smoothing, params.final_rounds
    )


def silhouette(
    space: np.ndarray, labels: np.ndarray, metric: str, max_rows: int | None = None, seed: int = 0
) -> float:
    """Mean silhouette, NaN where it is undefined (one cluster, or every point its own cluster); above
    max_rows rows, on a fixed-seed sample of max_rows of them."""
    from sklearn.metrics import silhouette_score

    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(labels):
        return math.nan
    if max_rows is not None and len(labels) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(len(labels), size=max_rows, replace=False))
        space, labels = space[rows], labels[rows]
        if len(np.unique(labels)) < 2:
            return math.nan
    return float(silhouette_score(space, labels, metric=metric))


def order_by_size(labels: np.ndarray, k: int) -> np.ndarray:
    """New number of each persona: largest first (ties: smallest first member), so equal inputs number alike."""
    keys = [(-int((labels == j).sum()), int(np.argmax(labels == j))) for j in range(k)]
    order = sorted(range(k), key=lambda j: keys[j])
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return rank


def _fit_labels(partitioner: Partitioner, k: int, rows: np.ndarray, seed: int) -> np.ndarray:
    """Labels only, the form resampling wants."""
    return partitioner.fit(rows, k, seed)[0]


def fit_all(
    vectors: np.ndarray,
    contacts: np.ndarray,
    owner: np.ndarray,
    ks: list[int],
    seed: int,
    params: ClusterParams,
) -> ClusterResult:
    """Fit every k on all customers, score each by resampling, keep the chosen one."""
    n = len(vectors)
    partitioner = Partitioner(vectors, contacts, owner, params, seed)
    resamples = resample_rows(n, params.stability_resamples, params.stability_share, seed)
    fitted: dict[int, tuple[np.ndarray, np.ndarray, Resampled]] = {}
    for k in ks:
        labels, posterior = partitioner.fit(np.arange(n), k, seed)
        rank = order_by_size(labels, k)
        labels, posterior = rank[labels], posterior[:, np.argsort(rank)]
        checked = resampled_stability(labels, k, partial(_fit_labels, partitioner, k), resamples, seed)
        fitted[k] = (labels, posterior, checked)
    k_scores = {
        k: KScore(k, round(c.structure, 4), tuple(round(float(j), 4) for j in c.persona_jaccard))
        for k, (_, _, c) in fitted.items()
    }
    chosen = choose_k(k_scores)
    unstable, words = verdict(k_scores, chosen)
    labels, posterior = polish(partitioner, fitted[chosen][0], chosen)
    rank = order_by_size(labels, chosen)
    labels, posterior, order = rank[labels], posterior[:, np.argsort(rank)], np.argsort(rank)
    checked = fitted[chosen][2]
    k_scores[chosen] = KScore(
        chosen, k_scores[chosen].stability, tuple(k_scores[chosen].persona_stability[j] for j in order)
    )
    noise = checked.customer_agreement < 0.5
    confidence = posterior[np.arange(n), labels] * np.where(noise, params.noise_confidence_factor, 1.0)
    quality = silhouette(vectors, labels, "cosine", params.quality_sample, seed)
    reasons = (
        [] if partitioner.refines else ["refinement skipped: too few customers for contact neighbourhoods"]
    )
    return ClusterResult(
        labels=labels,
        confidences=np.clip(confidence, 0.0, 1.0),
        centroids=l2_normalise(np.stack([vectors[labels == j].mean(axis=0) for j in range(chosen)])),
        k=chosen,
        criterion=CRITERION,
        scores={k: s.weakest for k, s in k_scores.items()},
        quality=None if math.isnan(quality) else quality,
        quality_metric=QUALITY_METRIC,
        noise=noise,
        method=METHOD,
        reason="; ".join(reasons) or None,
        stability=round(checked.structure, 4),
        persona_stability=k_scores[chosen].persona_stability,
        persona_reappears=tuple(round(float(checked.persona_reappears[j]), 4) for j in order),
        k_scores=tuple(k_scores[k] for k in sorted(k_scores)),
        unstable=unstable,
        verdict=words,
    )
