"""numba's cache directory: chosen by PERSONAS_NUMBA_CACHE, NUMBA_CACHE_DIR or the default, and in place before
numba is imported by any process that goes through the service package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.numba_cache import numba_cache_dir, use_numba_cache

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"PERSONAS_NUMBA_CACHE": "/a", "NUMBA_CACHE_DIR": "/b"}, "/a"),
        ({"NUMBA_CACHE_DIR": "/b"}, "/b"),
        ({"PERSONAS_NUMBA_CACHE": "", "NUMBA_CACHE_DIR": "/b"}, "/b"),
        ({}, str(Path.home() / ".cache" / "personas" / "numba")),
    ],
)
def test_the_cache_directory_is_ours_then_numbas_then_the_default(
    environ: dict[str, str], expected: str
) -> None:
    assert numba_cache_dir(environ) == Path(expected)
    assert use_numba_cache(environ) == Path(expected)
    assert environ["NUMBA_CACHE_DIR"] == expected


@pytest.mark.parametrize("entry", ["service.cli", "service.app", "service.runs.tasks"])
def test_every_entry_point_sets_it_before_numba_reads_it(entry: str, tmp_path: Path) -> None:
    """A fresh process that imports an entry point (the CLI, the app factory, the Celery tasks) and then numba
    sees the directory in numba's own configuration, where its cache locator looks."""
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PERSONAS_NUMBA_CACHE")}
    env["HOME"] = str(tmp_path)
    script = f"import {entry}\nimport numba\nprint(numba.config.CACHE_DIR)"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(tmp_path / ".cache" / "personas" / "numba")
