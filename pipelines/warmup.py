"""Compile what a run needs before the first run needs it: numba's UMAP kernels and the embedding model."""

from __future__ import annotations

import time

import numpy as np

from pipelines.cluster import cluster_customers
from pipelines.embed import Embedder, l2_normalise
from pipelines.reduce import map_coordinates
from pipelines.topics import find_topics

WARM_UP_CUSTOMERS = 90  # above every "too small for UMAP" threshold, so the real code paths compile


def warm_up(embedder: Embedder | None = None, seed: int = 0) -> dict[str, float]:
    """Run clustering, the map, topics and one embedding on tiny synthetic input; returns seconds per step.

    UMAP's numba kernels are compiled per process and not cached on disk, which costs several seconds on
    the first run of a fresh worker; paying it here, at start-up, keeps it out of every run's time.
    """
    timings: dict[str, float] = {}
    rng = np.random.default_rng(seed)
    centres = l2_normalise(rng.normal(size=(3, 24)))
    vectors = l2_normalise(
        centres[np.arange(WARM_UP_CUSTOMERS) % 3] + 0.3 * rng.normal(size=(WARM_UP_CUSTOMERS, 24))
    )
    clock = time.perf_counter()
    cluster_customers(vectors, min_personas=2, max_personas=3, seed=seed)
    map_coordinates(vectors, seed=seed)
    find_topics(vectors, [f"warm up text {i % 7}" for i in range(len(vectors))], seed=seed)
    timings["clustering"] = time.perf_counter() - clock
    if embedder is not None:
        clock = time.perf_counter()
        embedder.embed(["warm up the embedding model"])
        timings["embedding"] = time.perf_counter() - clock
    return timings
