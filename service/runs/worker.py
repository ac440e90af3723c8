"""What every process that runs discovery holds once: the embedding model, loaded and warmed up."""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache

from pipelines.embed import Embedder, SentenceTransformerEmbedder
from pipelines.warmup import warm_up
from service.config import DEFAULT_EMBEDDING_BACKEND, Settings

log = logging.getLogger("personas.executor")
_warm_up_lock = threading.Lock()
_warmed_up = False


@lru_cache(maxsize=2)
def shared_embedder(model: str | None, backend: str = DEFAULT_EMBEDDING_BACKEND) -> Embedder:
    """One embedder per process, model and backend: loading it costs seconds, embedding reuses it."""
    return SentenceTransformerEmbedder(model, backend=backend)


def settings_embedder(settings: Settings) -> Embedder:
    """The process's embedder for these settings."""
    return shared_embedder(settings.embedding_model, settings.embedding_backend)


def warm_up_once(settings: Settings) -> bool:
    """Load the embedder and compile the clustering kernels, once per process, unless PERSONAS_WARM_UP=false.

    Returns whether this call did the work. A failure is logged, never raised: the first run then pays.
    """
    global _warmed_up
    if not settings.warm_up:
        return False
    with _warm_up_lock:
        if _warmed_up:
            return False
        _warmed_up = True
        clock = time.perf_counter()
        try:
            steps = warm_up(settings_embedder(settings))
        except Exception:
            log.warning("warm-up failed; the first run will load and compile instead", exc_info=True)
            return False
        log.info(
            "worker warmed up",
            extra={
                "seconds": round(time.perf_counter() - clock, 2),
                **{k: round(v, 2) for k, v in steps.items()},
            },
        )
        return True
