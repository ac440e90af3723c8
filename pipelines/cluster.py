"""Customer vectors -> min..max personas: UMAP + HDBSCAN seeds, refined as a mixture over contact neighbourhoods.

Method (measured by bench/bench_pipeline.py):
1. Seeds: seeded cosine UMAP of the customer vectors, HDBSCAN (min_cluster_size = 2% of customers, >= 5).
   For each k in min..max the k largest dense clusters are the seeds; when density finds fewer than k,
   k-means (k, seeded) in the same space is. Customers outside the seeds (noise, small clusters) start
   at the seed centroid nearest in cosine.
2. Refinement: a persona is a distribution over the kinds of contacts its customers make, so each
   customer is scored by the likelihood of all its contacts: p(contact | persona) is the persona's
   Laplace-smoothed share of the contact's nearest neighbouring contacts (other customers' only) divided
   by the persona's contact count (a k-NN density ratio). Classification EM until no label changes.
   The neighbourhood is 15 contacts (UMAP's width), capped at half the smallest persona's contacts.
3. Criterion for k: the highest mean silhouette (Euclidean, in the clustering space) of the refined
   labels; ties go to the smaller k.
Confidence = the customer's posterior for its persona under that mixture; customers density called
noise keep only noise_confidence_factor of it. Quality = silhouette of the final labels on cosine
distance between the original customer vectors. Below min_customers_for_umap customers, UMAP and the
re-estimation are skipped (seeds from the unit vectors directly), and the reason is recorded.
Scale: above ClusterParams.sample_threshold customers, steps 1-3 run on a fixed-seed sample of sample_size
customers; every other customer then takes one likelihood step of the refinement (its contacts' nearest
contacts among the sample's, with the sample's refined labels), and the quality silhouette is taken on a
fixed-seed sample of quality_sample customers. Customers outside the sample are never marked noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from pipelines.embed import l2_normalise
from pipelines.reduce import UmapReducer, nearest_by_cosine
from pipelines.types import ClusterParams

CRITERION = "silhouette (Euclidean, clustering space) of the refined labels; ties -> smaller k"
QUALITY_METRIC = "silhouette (cosine, customer embedding space)"
# Exact contact neighbours (blocked matrix products) up to this many contacts: the clustering sample's
# ~25,000 contacts take seconds, where pynndescent's index first compiles for half a minute per process.
EXACT_NEIGHBOURS_LIMIT = 40_000


class ClusteringInputError(ValueError):
    """The input cannot be clustered as asked (empty, malformed, or an impossible persona range)."""


@dataclass(frozen=True)
class ClusterResult:
    """Labels 0..k-1 (largest persona first), confidences, normalised centroids and how k was chosen."""

    labels: np.ndarray
    confidences: np.ndarray
    centroids: np.ndarray
    k: int
    criterion: str
    scores: dict[int, float]
    quality: float | None
    quality_metric: str
    noise: np.ndarray
    density_clusters: int
    reduction: str
    reason: str | None


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


def _contact_neighbours(contacts: np.ndarray, owner: np.ndarray, n_neighbors: int, seed: int) -> np.ndarray:
    """For each contact, its n nearest contacts (cosine) of other customers; -1 pads when there are fewer."""
    n = len(contacts)
    out = np.full((n, n_neighbors), -1, dtype=np.int64)
    if n_neighbors == 0:
        return out
    if n <= EXACT_NEIGHBOURS_LIMIT:
        for start in range(0, n, 512):  # blocks keep the similarity matrix small
            sims = contacts[start : start + 512] @ contacts.T
            # A customer's own contacts must not vote, or every customer would confirm its current persona.
            sims[owner[start : start + 512, None] == owner[None, :]] = -np.inf
            top = np.argpartition(-sims, n_neighbors - 1, axis=1)[:, :n_neighbors]
            # argpartition leaves the top unordered; order it so a narrower slice keeps the nearest.
            top = np.take_along_axis(top, np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1), axis=1)
            valid = np.take_along_axis(sims, top, axis=1) > -np.inf
            out[start : start + 512] = np.where(valid, top, -1)
        return out
    from pynndescent import NNDescent  # approximate neighbours beyond the exact limit

    # Ask for more than n so that dropping a customer's own contacts still leaves about n others.
    extra = n_neighbors + min(int(np.bincount(owner).max()), 4 * n_neighbors)
    graph, _ = NNDescent(
        contacts, metric="cosine", n_neighbors=min(n - 1, extra), random_state=seed
    ).neighbor_graph
    for i in range(n):
        others = [j for j in graph[i] if owner[j] != owner[i] and j >= 0][:n_neighbors]
        out[i, : len(others)] = others
    return out


def sample_rows(n: int, params: ClusterParams, seed: int) -> np.ndarray | None:
    """Sorted rows of the fixed-seed clustering sample, or None when all n customers are clustered."""
    if n <= params.sample_threshold or params.sample_size >= n:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=params.sample_size, replace=False))


def _assign_rest(
    contacts: np.ndarray,
    owner: np.ndarray,
    in_sample: np.ndarray,
    labels: np.ndarray,
    k: int,
    params: ClusterParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and posteriors of the customers outside the sample: the refinement's likelihood step, with
    each of their contacts voting by its nearest contacts among the sample's (labelled) contacts.
    labels holds the sample customers' labels (rows outside the sample are ignored)."""
    sample_contact = in_sample[owner]
    reference = contacts[sample_contact]
    reference_labels = labels[owner[sample_contact]]
    persona_contacts = np.bincount(reference_labels, minlength=k).astype(np.float64)
    # The same width rule as the refinement: at most half the smallest persona's contacts.
    width = int(max(1, min(params.contact_neighbors, int(persona_contacts.min()) // 2, len(reference))))
    rest_contact = np.flatnonzero(~sample_contact)
    neighbours, _ = nearest_by_cosine(contacts[rest_contact], reference, width)
    votes = reference_labels[neighbours]
    counts = np.stack([(votes == j).sum(axis=1) for j in range(k)], axis=1).astype(np.float64)
    alpha = params.refine_smoothing
    per_contact = np.log(counts + alpha) - np.log(persona_contacts + alpha * k)
    rest = np.flatnonzero(~in_sample)
    row = np.full(len(in_sample), -1, dtype=np.int64)
    row[rest] = np.arange(len(rest))
    loglik = np.zeros((len(rest), k))
    np.add.at(loglik, row[owner[rest_contact]], per_contact)
    prior = np.bincount(labels[in_sample], minlength=k) / int(in_sample.sum())
    loglik += np.log(np.maximum(prior, 1e-12))
    posterior = np.exp(loglik - loglik.max(axis=1, keepdims=True))
    return loglik.argmax(axis=1), posterior / posterior.sum(axis=1, keepdims=True)


def _log_likelihoods(
    labels: np.ndarray, owner: np.ndarray, neighbours: np.ndarray, k: int, alpha: float
) -> np.ndarray:
    """Customer x persona log-likelihood of its contacts plus the log prior of the persona's size."""
    contact_labels = np.where(neighbours >= 0, labels[owner][neighbours], -1)
    counts = np.stack([(contact_labels == j).sum(axis=1) for j in range(k)], axis=1).astype(np.float64)
    persona_contacts = np.bincount(labels[owner], minlength=k).astype(np.float64)
    per_contact = np.log(counts + alpha) - np.log(persona_contacts + alpha * k)
    loglik = np.zeros((len(labels), k))
    np.add.at(loglik, owner, per_contact)
    prior = np.bincount(labels, minlength=k) / len(labels)
    return loglik + np.log(np.maximum(prior, 1e-12))


def refine(
    labels: np.ndarray, owner: np.ndarray, neighbours: np.ndarray, k: int, alpha: float, max_iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    """Classification EM on the contact-neighbourhood mixture; returns labels and posteriors."""
    loglik = _log_likelihoods(labels, owner, neighbours, k, alpha)
    for _ in range(max_iterations):
        new = loglik.argmax(axis=1)
        # Stop before a persona empties: k is the criterion's decision, not the refinement's.
        if np.array_equal(new, labels) or len(np.unique(new)) < k:
            break
        labels = new
        loglik = _log_likelihoods(labels, owner, neighbours, k, alpha)
    posterior = np.exp(loglik - loglik.max(axis=1, keepdims=True))
    return labels, posterior / posterior.sum(axis=1, keepdims=True)


def _density_labels(space: np.ndarray, min_cluster_size: int) -> np.ndarray:
    """HDBSCAN labels on the clustering space (-1 = noise)."""
    import hdbscan

    if len(space) < 2 * min_cluster_size:
        return np.full(len(space), -1, dtype=np.int64)
    return np.asarray(hdbscan.HDBSCAN(min_cluster_size=min_cluster_size).fit_predict(space), dtype=np.int64)


def _seed_labels(
    vectors: np.ndarray, space: np.ndarray, density: np.ndarray, k: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Initial labels for k personas and the mask of customers that are outside the seed clusters."""
    ids, counts = np.unique(density[density >= 0], return_counts=True)
    if len(ids) == 0:
        # Density found no group at all: "noise" would then single out nobody, so no one is marked.
        return _kmeans(space, k, seed), np.zeros(len(vectors), dtype=bool)
    if len(ids) >= k:
        order = sorted(range(len(ids)), key=lambda i: (-counts[i], ids[i]))
        labels = np.full(len(vectors), -1, dtype=np.int64)
        for rank, i in enumerate(order[:k]):
            labels[density == ids[i]] = rank
        outside = labels < 0
        centroids = l2_normalise(np.stack([vectors[labels == j].mean(axis=0) for j in range(k)]))
        labels[outside] = (vectors[outside] @ centroids.T).argmax(axis=1)
        return labels, outside
    return _kmeans(space, k, seed), density < 0


def _kmeans(space: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Seeded k-means labels: the split used when density finds fewer groups than k."""
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(space).astype(np.int64)


def _silhouette(
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


def _order_by_size(labels: np.ndarray, posterior: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber personas largest first (ties: smallest first member) so equal inputs give equal numbering."""
    keys = [(-int((labels == j).sum()), int(np.argmax(labels == j))) for j in range(k)]
    order = sorted(range(k), key=lambda j: keys[j])
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return rank[labels], posterior[:, order]


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
        density_clusters=0,
        reduction="none",
        reason=reason,
    )


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
    vectors = l2_normalise(np.asarray(vectors, dtype=np.float32))
    n = len(vectors)
    if vectors.ndim != 2 or n == 0:
        raise ClusteringInputError("no customers to cluster: need at least one customer vector")
    if not np.isfinite(vectors).all():
        raise ClusteringInputError("customer vectors contain NaN or infinite values")
    if min_personas < 1 or max_personas < min_personas:
        raise ClusteringInputError(
            f"need 1 <= min_personas <= max_personas, got {min_personas}..{max_personas}"
        )
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
    if sample is not None:
        return _cluster_sampled(vectors, contacts, owner, sample, min_personas, max_personas, seed, params)

    reducer = UmapReducer(
        n_components=params.umap_n_components,
        n_neighbors=params.umap_n_neighbors,
        min_dist=params.umap_min_dist,
        random_state=seed,
        min_samples=params.min_customers_for_umap,
    )
    space = reducer.fit_transform(vectors)
    reasons = [reducer.reason] if reducer.reason else []
    size = params.min_cluster_size or max(5, math.ceil(0.02 * n))
    density = _density_labels(space, min(size, max(2, n // 2)))
    # Tiny inputs keep their seed labels (too few contacts to re-estimate personas), but still get the
    # neighbourhood posterior as confidence.
    iterations = params.refine_max_iterations if params.refine and not reducer.skipped else 0
    if params.refine and reducer.skipped:
        reasons.append("refinement skipped: too few customers for contact neighbourhoods")
    neighbours = _contact_neighbours(contacts, owner, min(params.contact_neighbors, len(contacts) - 1), seed)

    candidates: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    scores: dict[int, float] = {}
    for k in ks:
        labels, outside = _seed_labels(vectors, space, density, k, seed)
        # A neighbourhood wider than half the smallest persona would outvote that persona everywhere.
        width = max(1, min(neighbours.shape[1], int(np.bincount(labels[owner], minlength=k).min()) // 2))
        labels, posterior = refine(
            labels, owner, neighbours[:, :width], k, params.refine_smoothing, iterations
        )
        candidates[k] = (labels, posterior, outside)
        scores[k] = _silhouette(space, labels, "euclidean")
    finite = {k: s for k, s in scores.items() if not math.isnan(s)}
    chosen = max(finite, key=lambda k: (finite[k], -k)) if finite else ks[0]

    labels, posterior, outside = candidates[chosen]
    labels, posterior = _order_by_size(labels, posterior, chosen)
    confidence = posterior[np.arange(n), labels] * np.where(outside, params.noise_confidence_factor, 1.0)
    centroids = l2_normalise(np.stack([vectors[labels == j].mean(axis=0) for j in range(chosen)]))
    quality = _silhouette(vectors, labels, "cosine", params.quality_sample, seed)
    return ClusterResult(
        labels=labels,
        confidences=np.clip(confidence, 0.0, 1.0),
        centroids=centroids,
        k=chosen,
        criterion=CRITERION,
        scores=scores,
        quality=None if math.isnan(quality) else quality,
        quality_metric=QUALITY_METRIC,
        noise=outside,
        density_clusters=int(len(np.unique(density[density >= 0]))),
        reduction=reducer.method,
        reason="; ".join(reasons) or None,
    )


def _cluster_sampled(
    vectors: np.ndarray,
    contacts: np.ndarray,
    owner: np.ndarray,
    sample: np.ndarray,
    min_personas: int,
    max_personas: int,
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
    fitted = cluster_customers(
        vectors[sample],
        min_personas=min_personas,
        max_personas=max_personas,
        seed=seed,
        contact_vectors=contacts[sample_contact],
        contact_owner=sample_row[owner[sample_contact]],
        params=replace(params, sample_threshold=len(sample)),
    )
    k = fitted.k
    labels = np.empty(n, dtype=np.int64)
    confidence = np.empty(n)
    labels[sample], confidence[sample] = fitted.labels, fitted.confidences
    if k > 1:
        rest_labels, rest_posterior = _assign_rest(contacts, owner, in_sample, labels, k, params)
        labels[~in_sample] = rest_labels
        confidence[~in_sample] = rest_posterior[np.arange(len(rest_labels)), rest_labels]
    else:
        labels[~in_sample], confidence[~in_sample] = 0, 1.0
    # Renumber largest first over everyone (ties: smallest first member), as the unsampled path does.
    keys = [(-int((labels == j).sum()), int(np.argmax(labels == j))) for j in range(k)]
    order = sorted(range(k), key=lambda j: keys[j])
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    labels = rank[labels]
    noise = np.zeros(n, dtype=bool)
    noise[sample] = fitted.noise
    centroids = l2_normalise(np.stack([vectors[labels == j].mean(axis=0) for j in range(k)]))
    quality = _silhouette(vectors, labels, "cosine", params.quality_sample, seed) if k > 1 else math.nan
    note = (
        f"fitted on a sample of {len(sample)} of {n} customers (seed {seed}); the rest assigned by the "
        "contact-likelihood step"
    )
    return ClusterResult(
        labels=labels,
        confidences=np.clip(confidence, 0.0, 1.0),
        centroids=centroids,
        k=k,
        criterion=fitted.criterion,
        scores=fitted.scores,
        quality=None if math.isnan(quality) else quality,
        quality_metric=fitted.quality_metric + f" on at most {params.quality_sample} customers",
        noise=noise,
        density_clusters=fitted.density_clusters,
        reduction=fitted.reduction,
        reason="; ".join(r for r in (fitted.reason, note) if r),
    )
