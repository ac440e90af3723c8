"""Dimension reduction of customer vectors: seeded cosine UMAP for clustering, and 2-D coordinates for the map."""

from __future__ import annotations

import numpy as np

MIN_SAMPLES_FOR_UMAP = 30


class UmapReducer:
    """Seeded cosine UMAP to a few dimensions; inputs too small for a neighbour graph pass through unchanged."""

    def __init__(
        self,
        n_components: int = 5,
        n_neighbors: int = 15,
        min_dist: float = 0.0,
        random_state: int = 42,
        min_samples: int = MIN_SAMPLES_FOR_UMAP,
    ) -> None:
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.random_state = random_state
        self.min_samples = min_samples
        self.skipped = False
        self.reason: str | None = None
        self._last: object | None = None  # the last fitted umap.UMAP, for transform

    @property
    def method(self) -> str:
        """What the last fit_transform did, in words."""
        if self.skipped:
            return "none (unit vectors used as they are)"
        return (
            f"UMAP(cosine, n_neighbors={self.n_neighbors}, n_components={self.n_components}, "
            f"min_dist={self.min_dist}, random_state={self.random_state})"
        )

    def fit_transform(self, vectors: np.ndarray, fit_rows: np.ndarray | None = None) -> np.ndarray:
        """Reduce the rows of vectors; returns them unchanged (float64) when there are too few to reduce.

        With fit_rows, UMAP is fitted on those rows only and the other rows are placed by its transform
        (bounded time and memory for large inputs)."""
        vectors = np.asarray(vectors, dtype=np.float64)
        n = len(vectors)
        if fit_rows is not None and len(fit_rows) < n:
            return self._fit_sample_transform(vectors, np.asarray(fit_rows, dtype=np.int64))
        if n < self.min_samples or n <= self.n_components + 1:
            self.skipped = True
            self.reason = f"UMAP skipped: {n} customers is below the minimum of {self.min_samples}"
            return vectors
        import umap  # lazily: numba compiles on first import, which only real inputs should pay for

        self.skipped = False
        self.reason = None
        reducer = umap.UMAP(
            n_neighbors=min(self.n_neighbors, n - 1),
            n_components=self.n_components,
            min_dist=self.min_dist,
            metric="cosine",
            random_state=self.random_state,
            # A fixed random_state forces one thread anyway; saying so avoids UMAP's warning.
            n_jobs=1,
        )
        self._last = reducer
        return np.asarray(reducer.fit_transform(vectors), dtype=np.float64)

    def _fit_sample_transform(self, vectors: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
        """Fit on vectors[fit_rows], transform the others (in blocks, so the output is order-stable)."""
        import umap

        fitted = self.fit_transform(vectors[fit_rows])
        out = np.empty((len(vectors), fitted.shape[1]))
        out[fit_rows] = fitted
        if self.skipped:  # too few rows to fit: every row passes through unchanged
            return vectors.copy()
        reducer = self._last
        assert isinstance(reducer, umap.UMAP)
        rest = np.setdiff1d(np.arange(len(vectors)), fit_rows)
        for start in range(0, len(rest), 5000):
            rows = rest[start : start + 5000]
            out[rows] = np.asarray(reducer.transform(vectors[rows]), dtype=np.float64)
        return out


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
    (the clustering sample of a large input), UMAP is fitted on those rows and the rest transformed."""
    reducer = UmapReducer(n_components=2, n_neighbors=n_neighbors, min_dist=0.1, random_state=seed)
    coords = reducer.fit_transform(vectors, fit_rows)
    if reducer.skipped:
        return pca_2d(vectors), "PCA (too few customers for UMAP)"
    if fit_rows is not None and len(fit_rows) < len(vectors):
        return coords, f"{reducer.method} fitted on {len(fit_rows)} customers, the rest transformed"
    return coords, reducer.method
