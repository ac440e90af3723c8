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

    @property
    def method(self) -> str:
        """What the last fit_transform did, in words."""
        if self.skipped:
            return "none (unit vectors used as they are)"
        return (
            f"UMAP(cosine, n_neighbors={self.n_neighbors}, n_components={self.n_components}, "
            f"min_dist={self.min_dist}, random_state={self.random_state})"
        )

    def fit_transform(self, vectors: np.ndarray) -> np.ndarray:
        """Reduce the rows of vectors; returns them unchanged (float64) when there are too few to reduce."""
        vectors = np.asarray(vectors, dtype=np.float64)
        n = len(vectors)
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
        return np.asarray(reducer.fit_transform(vectors), dtype=np.float64)


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


def map_coordinates(vectors: np.ndarray, seed: int = 42, n_neighbors: int = 15) -> tuple[np.ndarray, str]:
    """2-D coordinates for the persona map: UMAP when there are enough customers, else PCA."""
    reducer = UmapReducer(n_components=2, n_neighbors=n_neighbors, min_dist=0.1, random_state=seed)
    coords = reducer.fit_transform(vectors)
    if reducer.skipped:
        return pca_2d(vectors), "PCA (too few customers for UMAP)"
    return coords, reducer.method
