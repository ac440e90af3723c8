"""Dimension reduction of customer vectors: seeded cosine UMAP for clustering, and 2-D coordinates for the map."""

from __future__ import annotations

import threading
import warnings
from functools import cache
from importlib import import_module

import numpy as np

MIN_SAMPLES_FOR_UMAP = 30
# Up to this many rows UMAP gets exact cosine neighbours from us (blocked matrix products, O(n * block)
# memory). Below 4,096 rows UMAP would compute all pairwise distances itself, calling its numba cosine once
# per pair (seconds for 2,000 rows); above, it would build an approximate NNDescent index whose numba kernels
# take a minute to compile in every fresh process. The clustering sample (ClusterParams.sample_size) stays
# below this limit.
EXACT_KNN_LIMIT = 6000
MAP_EPOCHS = 200
# UMAP warns that a fit from given neighbours cannot transform new rows; we never ask it to. Set once for the
# process, because catch_warnings() around each fit is not thread-safe (warm-up and runs may fit at once).
warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)


# The numba kernels of umap-learn that a seeded cosine fit on precomputed neighbours compiles (seconds per fresh
# process) and that umap-learn does not mark cache=True; the kernels they call (`clip`) are compiled into theirs
# and stored with them. Not the `_parallel` twin of the layout epoch: it wraps the same Python function, and
# numba's cache key (module, name, line, signature) would let one twin load the other's machine code; a seeded
# fit only ever uses the serial one.
UMAP_KERNELS = (
    ("umap.umap_", "smooth_knn_dist"),
    ("umap.umap_", "compute_membership_strengths"),
    ("umap.layouts", "_nb_optimize_layout_euclidean_single_epoch"),
)
_UMAP_CACHE_LOCK = threading.Lock()  # warm-up and a run may fit at once: the first one turns the cache on


@cache
def cache_umap_kernels() -> tuple[str, ...]:
    """Turn on numba's on-disk cache (NUMBA_CACHE_DIR, else numba's own location) for UMAP_KERNELS, once per
    process and before they first compile, so a new process loads what an earlier one compiled. Returns the
    kernels it applied to; one that a umap-learn release renamed or stopped jitting is left as it is."""
    done = []
    for module, name in UMAP_KERNELS:
        kernel = getattr(import_module(module), name, None)
        # numba's own `cache=True` does exactly this call on the dispatcher it creates.
        if callable(getattr(kernel, "enable_caching", None)):
            kernel.enable_caching()  # type: ignore[union-attr]
            done.append(f"{module}.{name}")
    return tuple(done)


def exact_cosine_neighbours(vectors: np.ndarray, k: int, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k nearest rows by cosine distance, itself first, as UMAP's `precomputed_knn` wants them:
    (indices int64, distances float32), both (n, k), nearest first."""
    vectors = np.asarray(vectors, dtype=np.float32)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    n = len(unit)
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        part = np.clip(1.0 - unit[start : start + block] @ unit.T, 0.0, 2.0)
        rows = np.arange(start, min(start + block, n))
        part[rows - start, rows] = -1.0  # each row is its own nearest neighbour, as in UMAP's own search
        top = np.argpartition(part, k - 1, axis=1)[:, :k]
        order = np.argsort(np.take_along_axis(part, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        indices[rows] = top
        distances[rows] = np.maximum(np.take_along_axis(part, top, axis=1), 0.0)
    return indices, distances


def seeded_umap(
    vectors: np.ndarray,
    *,
    n_neighbors: int,
    n_components: int,
    min_dist: float,
    seed: int,
    n_epochs: int | None = None,
) -> np.ndarray:
    """Seeded cosine UMAP embedding of the rows, on exact neighbours up to EXACT_KNN_LIMIT rows (UMAP's
    approximate search above). `n_epochs` None is UMAP's own choice (500 below 10,000 rows, 200 above)."""
    import umap  # lazily: numba compiles on first import, which only real inputs should pay for

    with _UMAP_CACHE_LOCK:
        cache_umap_kernels()
    vectors = np.asarray(vectors, dtype=np.float64)
    width = min(n_neighbors, len(vectors) - 1)
    known = exact_cosine_neighbours(vectors, width) if len(vectors) <= EXACT_KNN_LIMIT else (None, None, None)
    reducer = umap.UMAP(
        n_neighbors=width,
        n_components=n_components,
        min_dist=min_dist,
        metric="cosine",
        random_state=seed,
        n_epochs=n_epochs,
        precomputed_knn=known,
        # A fixed random_state forces one thread anyway; saying so avoids UMAP's warning.
        n_jobs=1,
    )
    return np.asarray(reducer.fit_transform(vectors), dtype=np.float64)


class UmapReducer:
    """Seeded cosine UMAP to a few dimensions; inputs too small for a neighbour graph pass through unchanged."""

    def __init__(
        self,
        n_components: int = 5,
        n_neighbors: int = 15,
        min_dist: float = 0.0,
        random_state: int = 42,
        min_samples: int = MIN_SAMPLES_FOR_UMAP,
        n_epochs: int | None = None,
    ) -> None:
        self.n_components = n_components
        self.n_epochs = n_epochs
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.random_state = random_state
        self.min_samples = min_samples
        self.skipped = False
        self.reason: str | None = None

    @property
    def method(self) -> str:
        """What the last fit_transform did, in words."""
        if self.skipped:
            return "none (unit vectors used as they are)"
        epochs = "" if self.n_epochs is None else f", n_epochs={self.n_epochs}"
        return (
            f"UMAP(cosine, n_neighbors={self.n_neighbors}, n_components={self.n_components}, "
            f"min_dist={self.min_dist}, random_state={self.random_state}{epochs})"
        )

    def fit_transform(self, vectors: np.ndarray, fit_rows: np.ndarray | None = None) -> np.ndarray:
        """Reduce the rows of vectors; returns them unchanged (float64) when there are too few to reduce.

        With fit_rows, UMAP is fitted on those rows only and every other row is placed among its nearest
        fitted rows (bounded time and memory for large inputs; see `place_by_neighbours`)."""
        vectors = np.asarray(vectors, dtype=np.float64)
        n = len(vectors)
        if fit_rows is not None and len(fit_rows) < n:
            return self._fit_sample_place(vectors, np.asarray(fit_rows, dtype=np.int64))
        if n < self.min_samples or n <= self.n_components + 1:
            self.skipped = True
            self.reason = f"UMAP skipped: {n} customers is below the minimum of {self.min_samples}"
            return vectors
        self.skipped = False
        self.reason = None
        return seeded_umap(
            vectors,
            n_neighbors=self.n_neighbors,
            n_components=self.n_components,
            min_dist=self.min_dist,
            seed=self.random_state,
            n_epochs=self.n_epochs,
        )

    def _fit_sample_place(self, vectors: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
        """Fit on vectors[fit_rows]; place every other row by `place_by_neighbours`."""
        fitted = self.fit_transform(vectors[fit_rows])
        if self.skipped:  # too few rows to fit: every row passes through unchanged
            return vectors.copy()
        out = np.empty((len(vectors), fitted.shape[1]))
        out[fit_rows] = fitted
        rest = np.setdiff1d(np.arange(len(vectors)), fit_rows)
        out[rest] = place_by_neighbours(vectors[rest], vectors[fit_rows], fitted, self.n_neighbors)
        return out


def nearest_by_cosine(
    queries: np.ndarray, reference: np.ndarray, k: int, block: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, its k most similar reference rows (in no particular order) and their dot products,
    exact, in blocks of query rows to bound memory. Rows are used as given: pass unit vectors for cosine."""
    indices = np.empty((len(queries), k), dtype=np.int64)
    similarities = np.empty((len(queries), k), dtype=np.result_type(queries, reference))
    for start in range(0, len(queries), block):
        sims = queries[start : start + block] @ reference.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        indices[start : start + block] = top
        similarities[start : start + block] = np.take_along_axis(sims, top, axis=1)
    return indices, similarities


def place_by_neighbours(
    queries: np.ndarray,
    reference: np.ndarray,
    reference_coords: np.ndarray,
    n_neighbors: int,
    block: int = 2048,
) -> np.ndarray:
    """Coordinates for new rows: the cosine-similarity-weighted mean position of their n nearest reference rows.

    This is where UMAP's own transform starts each new point before it optimises; it needs no neighbour index
    (whose compilation costs a minute per process) and is exact, deterministic and fast in blocks."""

    def unit(rows: np.ndarray) -> np.ndarray:
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

    width = max(1, min(n_neighbors, len(reference)))
    nearest, sims = nearest_by_cosine(unit(queries), unit(reference), width, block)
    weights = np.maximum(sims, 1e-6)
    return (weights[:, :, None] * reference_coords[nearest]).sum(axis=1) / weights.sum(axis=1, keepdims=True)


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """First two principal components (SVD, sign fixed so the output is deterministic); pads tiny inputs."""
    vectors = np.asarray(vectors, dtype=np.float64)
    out = np.zeros((len(vectors), 2))
    if len(vectors) < 2:
        return out
    centred = vectors - vectors.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    width = min(2, len(s))
    # SVD signs are arbitrary: make each component's largest loading positive so reruns agree.
    signs = np.sign(vt[np.arange(width), np.abs(vt[:width]).argmax(axis=1)])
    signs[signs == 0] = 1.0
    out[:, :width] = u[:, :width] * s[:width] * signs
    return out


def map_coordinates(
    vectors: np.ndarray, seed: int = 42, n_neighbors: int = 15, fit_rows: np.ndarray | None = None
) -> tuple[np.ndarray, str]:
    """2-D coordinates for the persona map: UMAP when there are enough customers, else PCA. With fit_rows
    (the clustering sample of a large input), UMAP is fitted on those rows and the rest placed among their
    nearest fitted rows (`place_by_neighbours`)."""
    # 200 epochs, UMAP's own choice above 10,000 rows: a picture needs no more, and it costs 60% less.
    reducer = UmapReducer(
        n_components=2, n_neighbors=n_neighbors, min_dist=0.1, random_state=seed, n_epochs=MAP_EPOCHS
    )
    coords = reducer.fit_transform(vectors, fit_rows)
    if reducer.skipped:
        return pca_2d(vectors), "PCA (too few customers for UMAP)"
    if fit_rows is not None and len(fit_rows) < len(vectors):
        return coords, (
            f"{reducer.method} fitted on {len(fit_rows)} customers; each other customer placed at the "
            f"similarity-weighted mean of its {n_neighbors} nearest fitted customers"
        )
    return coords, reducer.method
