"""Clustering for large inputs: fit (and choose k, and measure stability) on a fixed-seed sample of customers,
then place every other customer by one likelihood step of the contact mixture."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from pipelines.contact_mixture import assign_rest
from pipelines.embed import l2_normalise
from pipelines.partition import ClusterResult, fit_all, order_by_size, silhouette
from pipelines.types import ClusterParams


def cluster_sampled(
    vectors: np.ndarray,
    contacts: np.ndarray,
    owner: np.ndarray,
    sample: np.ndarray,
    ks: list[int],
    seed: int,
    params: ClusterParams,
) -> ClusterResult:
    """Fit on the sample customers (and their contacts), then assign every other customer."""
    n = len(vectors)
    in_sample = np.zeros(n, dtype=bool)
    in_sample[sample] = True
    sample_row = np.full(n, -1, dtype=np.int64)
    sample_row[sample] = np.arange(len(sample))
    sample_contact = in_sample[owner]
    fitted = fit_all(
        vectors[sample],
        contacts[sample_contact],
        sample_row[owner[sample_contact]],
        ks,
        seed,
        replace(params, sample_threshold=len(sample)),
    )
    k = fitted.k
    labels = np.empty(n, dtype=np.int64)
    confidence = np.empty(n)
    labels[sample], confidence[sample] = fitted.labels, fitted.confidences
    if k > 1:
        rest_labels, rest_posterior = assign_rest(
            contacts, owner, in_sample, labels, k, params.contact_neighbors, params.refine_smoothing
        )
        labels[~in_sample] = rest_labels
        confidence[~in_sample] = rest_posterior[np.arange(len(rest_labels)), rest_labels]
    else:
        labels[~in_sample], confidence[~in_sample] = 0, 1.0
    # Renumber largest first over everyone, as the unsampled path does; stability figures follow.
    rank = order_by_size(labels, k)
    labels = rank[labels]
    order = np.argsort(rank)
    noise = np.zeros(n, dtype=bool)
    noise[sample] = fitted.noise
    centroids = l2_normalise(np.stack([vectors[labels == j].mean(axis=0) for j in range(k)]))
    quality = silhouette(vectors, labels, "cosine", params.quality_sample, seed) if k > 1 else math.nan
    note = (
        f"fitted on a sample of {len(sample)} of {n} customers (seed {seed}); the rest assigned by the "
        "contact-likelihood step"
    )
    return replace(
        fitted,
        labels=labels,
        confidences=np.clip(confidence, 0.0, 1.0),
        centroids=centroids,
        quality=None if math.isnan(quality) else quality,
        quality_metric=fitted.quality_metric + f" on at most {params.quality_sample} customers",
        noise=noise,
        reason="; ".join(r for r in (fitted.reason, note) if r),
        persona_stability=tuple(fitted.persona_stability[j] for j in order),
        persona_reappears=tuple(fitted.persona_reappears[j] for j in order),
    )
