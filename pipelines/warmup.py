"""Pay before the first run what a fresh process pays once: numba's UMAP kernels and the embedding model.

Two steps, so a caller can order them around real work (e.g. embedding before clustering, or clustering only
when the cores are idle): `warm_up_clustering` imports UMAP/HDBSCAN and runs the clustering, map and topics on
tiny synthetic input; `warm_up_embedding` runs the embedder once (session start-up, first-call allocations).
`warm_up` does both. UMAP's kernels use numba's on-disk cache (`pipelines.reduce.cache_umap_kernels`, in
NUMBA_CACHE_DIR), so only the first process on a machine compiles them (measured in BENCHMARKS.md): later
ones load the compiled code, and warm-up no longer takes the cores from a first run for long.
"""

from __future__ import annotations

import time

import numpy as np

from pipelines.cluster import cluster_customers
from pipelines.embed import Embedder, l2_normalise
from pipelines.reduce import map_coordinates
from pipelines.topics import find_topics

WARM_UP_CUSTOMERS = 90  # above every "too small for UMAP" threshold, so the real code paths compile


def warm_up_clustering(seed: int = 0) -> float:
    """Cluster, map and find topics on WARM_UP_CUSTOMERS synthetic unit vectors; returns the seconds taken.

    The first call in a process loads (or, with an empty numba cache, compiles and stores) UMAP's kernels."""
    rng = np.random.default_rng(seed)
    centres = l2_normalise(rng.normal(size=(3, 24)))
    vectors = l2_normalise(
        centres[np.arange(WARM_UP_CUSTOMERS) % 3] + 0.3 * rng.normal(size=(WARM_UP_CUSTOMERS, 24))
    )
    clock = time.perf_counter()
    cluster_customers(vectors, min_personas=2, max_personas=3, seed=seed)
    map_coordinates(vectors, seed=seed)
    find_topics(vectors, [f"warm up text {i % 7}" for i in range(len(vectors))], seed=seed)
    return time.perf_counter() - clock


def warm_up_embedding(embedder: Embedder) -> float:
    """Embed one short text, so the model's session and first-call allocations are ready; returns seconds."""
    clock = time.perf_counter()
    embedder.embed(["warm up the embedding model"])
    return time.perf_counter() - clock


def warm_up(embedder: Embedder | None = None, seed: int = 0) -> dict[str, float]:
    """Both steps, clustering first: seconds per step ("clustering", and "embedding" with an embedder)."""
    timings = {"clustering": warm_up_clustering(seed)}
    if embedder is not None:
        timings["embedding"] = warm_up_embedding(embedder)
    return timings
