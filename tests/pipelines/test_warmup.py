"""Warm-up: one tiny pass through clustering, the map, topics and the embedder compiles what a run needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from pipelines.warmup import warm_up

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


def test_warm_up_compiles_the_umap_kernels_in_a_fresh_process() -> None:
    """UMAP's layout kernel is its slowest to compile and is not cached on disk: a fresh interpreter has no
    compiled version of it until warm_up runs (checked in a subprocess so other tests cannot pre-compile)."""
    script = (
        "from umap.layouts import _nb_optimize_layout_euclidean_single_epoch as epoch\n"
        "assert not epoch.signatures, 'compiled before warm-up'\n"
        "from pipelines.warmup import warm_up\n"
        "warm_up(None)\n"
        "assert epoch.signatures, 'not compiled by warm-up'\n"
        "print('compiled', len(epoch.signatures))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("compiled")
