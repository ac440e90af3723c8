"""`personas prepare`: one progress line on stderr for the ONNX export, nothing to do the second time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.embed import model_files
from service.cli import app
from service.config import get_settings

NOTE = "exporting all-MiniLM-L6-v2 to ONNX once (about 20 s)..."


@pytest.fixture(autouse=True)
def fp32_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The fp32 backend on every CPU (`auto` quantizes on some, a real minute): these tests are about the lines."""
    monkeypatch.setenv("PERSONAS_EMBEDDING_BACKEND", "onnx-unpadded")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_prepare_exports_once_with_a_progress_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERSONAS_MODEL_CACHE", str(tmp_path))
    monkeypatch.setattr(model_files, "_export_onnx", lambda _model, target: target.write_bytes(b"onnx"))
    runner = CliRunner()
    first = runner.invoke(app, ["prepare", "--no-kernels"])
    assert first.exit_code == 0, first.output
    line = next(x for x in first.stderr.splitlines() if x.startswith("exporting"))
    assert line.startswith(f"{NOTE} done in ") and line.endswith(" s")
    ready = [p for p in tmp_path.rglob("model.onnx")]
    assert len(ready) == 1 and f"embedding model ready: {ready[0]}" in first.stderr
    second = runner.invoke(app, ["prepare", "--no-kernels"])
    assert second.exit_code == 0 and "exporting" not in second.stderr
    assert f"embedding model ready: {ready[0]}" in second.stderr


def test_prepare_fills_numbas_cache_where_the_service_points_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The kernel step runs the clustering warm-up (its cache behaviour: tests/pipelines/test_warmup.py) and
    names the directory numba writes to."""
    from pipelines import warmup

    calls: list[int] = []
    monkeypatch.setenv("PERSONAS_MODEL_CACHE", str(tmp_path))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    monkeypatch.setattr(model_files, "_export_onnx", lambda _model, target: target.write_bytes(b"onnx"))
    monkeypatch.setattr(warmup, "warm_up_clustering", lambda: calls.append(1) or 0.0)
    result = CliRunner().invoke(app, ["prepare"])
    assert result.exit_code == 0, result.output
    assert calls == [1]
    line = next(x for x in result.stderr.splitlines() if x.startswith("clustering kernels"))
    assert line.startswith(f"clustering kernels into numba's cache {tmp_path / 'numba'} (compiled once")
    assert " done in " in line
