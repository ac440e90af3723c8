"""Customer vectors -> min..max personas: a split of the customers refined as a mixture over contact kinds,
with k chosen by how reproducible the personas are when customers are resampled.

Method (measured by bench/bench_personas.py, figures in BENCHMARKS.md). It replaced UMAP + HDBSCAN seeds and
a silhouette choice of k, whose k flipped between 2, 3 and 4 on the demo company with small perturbations
of the vectors; UMAP now only draws the map.
1. Split: seeded k-means (ClusterParams.kmeans_starts starts) on the customer vectors (normalised mean of
   each customer's transcript vectors).
2. Refinement (pipelines.contact_mixture): each customer is placed by the likelihood of all its contacts
   under each persona's distribution over contact kinds; three rounds of soft EM from the split.
3. Choice of k (pipelines.stability): steps 1-2 are refitted on stability_resamples fixed-seed resamples of
   stability_share of the customers; a persona's stability is its mean best Jaccard with a resampled
   persona. The chosen k is the largest whose every persona is stable (>= 0.75); the figures of every k are
   returned, and a run where no k qualifies is marked unstable, in words.
Confidence = the customer's posterior for its persona under the mixture; customers that keep their persona in
fewer than half of the resamples they were drawn into are marked noise and keep only
noise_confidence_factor of it. Quality = silhouette of the final labels on cosine distance between the
customer vectors. Below min_customers_for_umap customers the refinement is skipped (too few contacts to
re-estimate personas) and the reason is recorded.
Scale: above ClusterParams.sample_threshold customers, everything runs on a fixed-seed sample of sample_size
customers (pipelines.cluster_sampled); every other customer then takes one likelihood step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from pipelines.cluster_sampled import cluster_sampled
from pipelines.embed import l2_normalise
from pipelines.partition import QUALITY_METRIC, ClusterResult, fit_all
from pipelines.stability import CRITERION
from pipelines.types import ClusterParams

__all__ = ["ClusterResult", "ClusteringInputError", "cluster_customers", "customer_vectors", "sample_rows"]


class ClusteringInputError(ValueError):
    """The input cannot be clustered as asked (empty, malformed, or an impossible persona range)."""


def customer_vectors(
    transcript_vectors: np.ndarray, transcript_customer_ids: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """Sorted customer ids and, per customer, the L2-normalised mean of its transcript vectors."""
    vectors = np.asarray(transcript_vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != len(transcript_customer_ids):
        raise ClusteringInputError(
            f"need one vector row per transcript: {vectors.shape} vs {len(transcript_customer_ids)} ids"
        )
    ids = sorted(set(transcript_customer_ids))
    index = {c: i for i, c in enumerate(ids)}
    owner = np.fromiter((index[c] for c in transcript_customer_ids), dtype=np.int64, count=len(vectors))
    sums = np.zeros((len(ids), vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, owner, vectors)
    return ids, l2_normalise(sums)


def sample_rows(n: int, params: ClusterParams, seed: int) -> np.ndarray | None:
    """Sorted rows of the fixed-seed clustering sample, or None when all n customers are clustered."""
    if n <= params.sample_threshold or params.sample_size >= n:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=params.sample_size, replace=False))


def single_persona(vectors: np.ndarray, reason: str) -> ClusterResult:
    """Everyone in one persona, with the reason the range min..max could not be met."""
    n = len(vectors)
    return ClusterResult(
        labels=np.zeros(n, dtype=np.int64),
        confidences=np.ones(n),
        centroids=l2_normalise(vectors.mean(axis=0, keepdims=True)),
        k=1,
        criterion=CRITERION,
        scores={},
        quality=None,
        quality_metric=QUALITY_METRIC,
        noise=np.zeros(n, dtype=bool),
        method="none",
        reason=reason,
    )


def _checked(vectors: np.ndarray, min_personas: int, max_personas: int) -> np.ndarray:
    """Unit float32 customer vectors, or ClusteringInputError for input that cannot be clustered."""
    vectors = l2_normalise(np.asarray(vectors, dtype=np.float32))
    if vectors.ndim != 2 or len(vectors) == 0:
        raise ClusteringInputError("no customers to cluster: need at least one customer vector")
    if not np.isfinite(vectors).all():
        raise ClusteringInputError("customer vectors contain NaN or infinite values")
    if min_personas < 1 or max_personas < min_personas:
        raise ClusteringInputError(
            f"need 1 <= min_personas <= max_personas, got {min_personas}..{max_personas}"
        )
    return vectors


def cluster_customers(
    vectors: np.ndarray,
    *,
    min_personas: int = 2,
    max_personas: int = 4,
    seed: int = 42,
    contact_vectors: np.ndarray | None = None,
    contact_owner: np.ndarray | None = None,
    params: ClusterParams | None = None,
) -> ClusterResult:
    """Group customers (rows of L2-normalised vectors) into min..max personas; contacts refine the split."""
    params = params or ClusterParams()
    vectors = _checked(vectors, min_personas, max_personas)
    n = len(vectors)
    distinct = len(np.unique(np.round(vectors, 5), axis=0))
    if distinct < max(2, min_personas):
        return single_persona(
            vectors, f"only {distinct} distinct customer text(s) for {min_personas}+ personas"
        )
    ks = list(range(min_personas, min(max_personas, distinct) + 1))
    if contact_vectors is None or contact_owner is None:
        contact_vectors, contact_owner = vectors, np.arange(n)
    contacts = l2_normalise(np.asarray(contact_vectors, dtype=np.float32))
    owner = np.asarray(contact_owner, dtype=np.int64)
    sample = sample_rows(n, params, seed)
    # Hundreds of small matrix products: one BLAS thread is 30x faster than two on a busy machine, where
    # OpenBLAS threads spin waiting for each other, and no slower on an idle one.
    with threadpool_limits(limits=1, user_api="blas"):
        if sample is not None:
            return cluster_sampled(vectors, contacts, owner, sample, ks, seed, params)
        return fit_all(vectors, contacts, owner, ks, seed, params)
