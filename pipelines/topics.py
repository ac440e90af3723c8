"""Transcript-level topics: UMAP + HDBSCAN on embeddings, noise reassigned, c-TF-IDF keywords per topic.

Method (measured on Banking77 by bench/bench_topics.py): UMAP (cosine, 15 neighbours or n/4 for small
inputs, 5 dimensions, min_dist 0, fixed seed) -> HDBSCAN (min_cluster_size = min_topic_size, min_samples
<= 5, excess-of-mass) -> every point HDBSCAN calls noise takes the distance-weighted majority topic of its
15 nearest clustered neighbours in the UMAP space. Fewer than SMALL_INPUT texts skip UMAP (too few for a
neighbour graph) and cluster the unit vectors directly. Topics are numbered by size, largest first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.keywords import class_tfidf, label_from_keywords
from pipelines.reduce import seeded_umap

SMALL_INPUT = 15
N_NEIGHBORS = 15
N_COMPONENTS = 5
# UMAP picks 200 epochs above 10,000 texts (Banking77, where the V-measure bar is measured) and 500 below;
# topics of one persona (a few hundred texts) need no more than the large input gets.
TOPIC_EPOCHS = 200


@dataclass(frozen=True)
class Topic:
    """One topic: its id (0 = largest), short label, c-TF-IDF keywords, size and share of the texts."""

    id: int
    label: str
    keywords: tuple[str, ...]
    size: int
    share: float


@dataclass(frozen=True)
class TopicResult:
    """A topic id for every text (never -1) and the topics, largest first."""

    labels: tuple[int, ...]
    topics: tuple[Topic, ...]
    noise_reassigned: int  # texts density called noise, then given their neighbours' topic
    method: str


def default_min_topic_size(n_texts: int) -> int:
    """Smallest topic worth naming: 0.3 * sqrt(n), at least 3 (30 for Banking77's 10k texts, 5 for 250)."""
    return max(3, round(0.3 * math.sqrt(max(n_texts, 0))))


def n_neighbors(n_texts: int) -> int:
    """UMAP neighbourhood: 15 for real inputs, n/4 (at least 5) for small ones so topics are not blurred."""
    return min(N_NEIGHBORS, max(5, n_texts // 4), n_texts - 1)


def _reduce(vectors: np.ndarray, seed: int) -> np.ndarray:
    """UMAP to a few dense dimensions where HDBSCAN's density estimate works; small inputs pass through."""
    if len(vectors) < SMALL_INPUT:
        return vectors
    return seeded_umap(
        vectors,
        n_neighbors=n_neighbors(len(vectors)),
        n_components=N_COMPONENTS,
        min_dist=0.0,
        seed=seed,
        n_epochs=TOPIC_EPOCHS,
    )


def _density_clusters(space: np.ndarray, min_topic_size: int) -> np.ndarray:
    """HDBSCAN labels (-1 = noise); min_samples stays small so fewer points are left as noise."""
    import hdbscan

    min_samples = max(1, min(5, min_topic_size))
    clusterer = hdbscan.HDBSCAN(
        min_cluster_size=max(2, min_topic_size),
        min_samples=min_samples,
        cluster_selection_method="eom",
        metric="euclidean",
    )
    return np.asarray(clusterer.fit_predict(space), dtype=np.int64)


def _reassign_noise(space: np.ndarray, labels: np.ndarray, k: int = N_NEIGHBORS) -> np.ndarray:
    """Give every noise point the distance-weighted majority topic of its k nearest clustered points."""
    noise = labels < 0
    if not noise.any():
        return labels
    if noise.all():
        return np.zeros_like(labels)  # density found no structure: one topic holds everything
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=min(k, int((~noise).sum())), weights="distance")
    knn.fit(space[~noise], labels[~noise])
    result = labels.copy()
    result[noise] = knn.predict(space[noise])
    return result


def _renumber_by_size(labels: np.ndarray) -> np.ndarray:
    """Topic ids 0..k-1 by size (largest first), ties by first appearance, so output is order-stable."""
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
    mapping = {int(ids[i]): rank for rank, i in enumerate(order)}
    return np.asarray([mapping[int(x)] for x in labels], dtype=np.int64)


def describe_topics(labels: Sequence[int], texts: Sequence[str], *, n_keywords: int = 8) -> tuple[Topic, ...]:
    """Topics for labels 0..k-1: c-TF-IDF keywords (each topic against the others), label, size, share."""
    n_topics = max(labels) + 1 if len(labels) else 0
    groups: list[list[str]] = [[] for _ in range(n_topics)]
    for label, text in zip(labels, texts, strict=True):
        groups[label].append(text)
    keywords = class_tfidf(groups, top_n=n_keywords)
    total = len(labels)
    return tuple(
        Topic(
            id=topic,
            label=label_from_keywords([k.term for k in keywords[topic]]),
            keywords=tuple(k.term for k in keywords[topic]),
            size=len(groups[topic]),
            share=len(groups[topic]) / total,
        )
        for topic in range(n_topics)
    )


def find_topics(
    vectors: np.ndarray,
    texts: Sequence[str],
    *,
    min_topic_size: int | None = None,
    seed: int = 42,
    n_keywords: int = 8,
) -> TopicResult:
    """Topics of texts from their L2-normalised embeddings; min_topic_size defaults to 0.3 * sqrt(n)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) != len(texts):
        raise ValueError(f"{len(vectors)} vectors for {len(texts)} texts")
    n = len(texts)
    size = default_min_topic_size(n) if min_topic_size is None else min_topic_size
    umap_part = f"UMAP(cosine, {n_neighbors(n)} neighbours, 5d) + " if n >= SMALL_INPUT else ""
    method = f"{umap_part}HDBSCAN(min_cluster_size={size}) + kNN noise"
    if n == 0:
        return TopicResult((), (), 0, method)
    if n < max(2 * size, 3):
        labels = np.zeros(n, dtype=np.int64)  # too few texts for two topics of the minimum size
        reassigned, method = 0, "one topic (too few texts to split)"
    else:
        space = _reduce(vectors, seed)
        density = _density_clusters(space, size)
        reassigned = int((density < 0).sum())
        labels = _renumber_by_size(_reassign_noise(space, density))
    topics = describe_topics(labels.tolist(), texts, n_keywords=n_keywords)
    return TopicResult(tuple(int(x) for x in labels), topics, reassigned, method)
