"""`personas prepare`: what a fresh process would otherwise make on first use, made once per machine."""

from __future__ import annotations

import os
import sys
import time
import warnings
from typing import Annotated

import typer

KERNEL_SECONDS = 20  # pynndescent's and UMAP's kernels on two busy cores with an empty numba cache


def progress_line(note: str, seconds: float | None) -> None:
    """One line on stderr per slow step: the note when it starts, "done in N s" on the same line at the end."""
    sys.stderr.write(note if seconds is None else f" done in {seconds:.0f} s\n")
    sys.stderr.flush()


def prepare(
    kernels: Annotated[
        bool,
        typer.Option(
            "--kernels/--no-kernels",
            help="Also compile the clustering kernels into numba's cache (PERSONAS_NUMBA_CACHE).",
        ),
    ] = True,
) -> None:
    """Export the embedding model for the configured backend (PERSONAS_EMBEDDING_BACKEND: ONNX, quantized for
    some, once) and fill numba's cache with the clustering
    kernels, so the first server, worker or run does neither. `make install` and the Docker image run it."""
    from transformers.utils import logging as transformers_logging

    from pipelines.embed import prepare_backend
    from service.config import get_settings

    # One line per step: the export's tracer warnings and weight-loading bar would break it.
    transformers_logging.disable_progress_bar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = prepare_backend(get_settings().embedding_backend, progress=progress_line)
    for path in files:
        sys.stderr.write(f"embedding model ready: {path}\n")
    if kernels:
        from pipelines.warmup import warm_up_clustering

        clock = time.perf_counter()
        progress_line(
            f"clustering kernels into numba's cache {os.environ.get('NUMBA_CACHE_DIR')} "
            f"(compiled once, about {KERNEL_SECONDS} s)...",
            None,
        )
        warm_up_clustering()
        progress_line("", time.perf_counter() - clock)
