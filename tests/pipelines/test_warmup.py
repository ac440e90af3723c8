"""Warm-up: one tiny pass through clustering, the map, topics and the embedder compiles what a run needs, and
numba's on-disk cache keeps UMAP's kernels for the next process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipelines.reduce import UMAP_KERNELS
from pipelines.warmup import warm_up, warm_up_clustering, warm_up_embedding

ROOT = Path(__file__).resolve().parents[2]


class CountingEmbedder:
    """Stands in for the model (this test is about what warm_up calls, not about vectors): counts texts."""

    model_name = "counting"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


def test_warm_up_embeds_once_and_times_each_step() -> None:
    counting = CountingEmbedder()
    timings = warm_up(counting)
    assert set(timings) == {"clustering", "embedding"}
    assert counting.texts == ["warm up the embedding model"]
    assert set(warm_up(None)) == {"clustering"}


def test_warm_up_steps_can_run_apart() -> None:
    """The executor may warm the embedder and the clustering at different moments: each step alone does its
    own part only."""
    counting = CountingEmbedder()
    assert warm_up_embedding(counting) >= 0.0 and counting.texts == ["warm up the embedding model"]
    assert warm_up_clustering() >= 0.0 and counting.texts == ["warm up the embedding model"]


# A fresh interpreter: which UMAP kernels it compiled (numba cache misses) or loaded from disk (hits), and a hash
# of the map it drew, so two processes can be compared.
FRESH_PROCESS = """
import hashlib, json
from umap.layouts import _nb_optimize_layout_euclidean_single_epoch as epoch
assert not epoch.signatures, "compiled before warm-up"
from pipelines.reduce import UMAP_KERNELS, map_coordinates
from pipelines.warmup import warm_up_clustering, WARM_UP_CUSTOMERS
import numpy as np
warm_up_clustering()
from importlib import import_module
kernels = [getattr(import_module(m), n) for m, n in UMAP_KERNELS]
vectors = np.random.default_rng(3).normal(size=(WARM_UP_CUSTOMERS, 8))
coords, _ = map_coordinates(vectors, seed=1)
print(json.dumps({
    "compiled": sum(len(k.signatures) for k in kernels),
    "hits": sum(sum(k.stats.cache_hits.values()) for k in kernels),
    "misses": sum(sum(k.stats.cache_misses.values()) for k in kernels),
    "map": hashlib.sha256(coords.tobytes()).hexdigest(),
}))
"""


def _fresh_process(cache_dir: Path) -> dict[str, object]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_a_new_process_loads_the_umap_kernels_an_earlier_one_compiled(tmp_path: Path) -> None:
    """Warm-up compiles UMAP's kernels in a fresh process with an empty cache and stores them in
    NUMBA_CACHE_DIR; the next fresh process loads every one of them instead of compiling, and draws the same
    map bit for bit. (Slow: an empty cache also makes pynndescent compile its own cached kernels on import.)"""
    first = _fresh_process(tmp_path)
    assert first["compiled"] == len(UMAP_KERNELS) and first["hits"] == 0
    assert first["misses"] == len(UMAP_KERNELS)
    second = _fresh_process(tmp_path)
    assert second["hits"] == len(UMAP_KERNELS) and second["misses"] == 0
    assert second["map"] == first["map"]
