"""Where numba keeps what it compiles, set for every process of the service before numba is first imported.

`service/__init__.py` calls `use_numba_cache()`: every entry point (the `personas` command, the app factory,
the Celery tasks module, tests) imports something under `service` first, and numba is imported only lazily
(by UMAP and pynndescent, when a run or warm-up needs them), so the variable is always in place in time.
numba reads NUMBA_CACHE_DIR when a cached function is defined or compiled; a directory it cannot write is
skipped by numba itself (it falls back to its own locations), so a read-only home never breaks a run.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

NUMBA_CACHE_VARIABLE = "PERSONAS_NUMBA_CACHE"


def numba_cache_dir(environ: MutableMapping[str, str]) -> Path:
    """PERSONAS_NUMBA_CACHE, else NUMBA_CACHE_DIR as given, else `~/.cache/personas/numba`."""
    chosen = environ.get(NUMBA_CACHE_VARIABLE) or environ.get("NUMBA_CACHE_DIR")
    return Path(chosen) if chosen else Path.home() / ".cache" / "personas" / "numba"


def use_numba_cache(environ: MutableMapping[str, str] = os.environ) -> Path:
    """Point numba's on-disk cache (NUMBA_CACHE_DIR) at numba_cache_dir, so a new process loads the kernels
    an earlier one compiled (UMAP's take seconds to compile, pynndescent's tens of seconds on two cores)."""
    folder = numba_cache_dir(environ)
    environ["NUMBA_CACHE_DIR"] = str(folder)
    return folder
