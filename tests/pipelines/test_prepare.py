"""A backend's files, made once: the ONNX export says what it is doing and how long it took, and
is not repeated. The real export (20 s) is covered by test_embed_backends.py; here it is a stand-in."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pipelines.embed import model_files, prepare_backend
from pipelines.embed.model_files import ensure_onnx_model

NOTE = "exporting all-MiniLM-L6-v2 to ONNX once (about 20 s)..."


@pytest.fixture
def exports(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replaces the 20-second export by one that writes a placeholder file; records each model it exported."""
    done: list[str] = []

    def fake_export(model_path: str, target: Path) -> None:
        done.append(model_path)
        target.write_bytes(b"onnx")

    monkeypatch.setattr(model_files, "_export_onnx", fake_export)
    return done


def test_prepare_exports_the_fp32_model_once_and_reports_both_ends(
    exports: list[str], tmp_path: Path
) -> None:
    told: list[tuple[str, float | None]] = []
    files = prepare_backend(
        "onnx-unpadded", progress=lambda note, s: told.append((note, s)), cache_root=tmp_path
    )
    assert [f.name for f in files] == ["model.onnx"] and files[0].read_bytes() == b"onnx"
    assert files[0].parent.parent == tmp_path
    assert [note for note, _ in told] == [NOTE, NOTE]
    assert told[0][1] is None and isinstance(told[1][1], float) and told[1][1] >= 0
    told.clear()
    assert (
        prepare_backend("onnx-unpadded", progress=lambda note, s: told.append((note, s)), cache_root=tmp_path)
        == files
    )
    assert told == [] and len(exports) == 1


def test_a_first_use_at_run_time_logs_the_same_line(
    exports: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The encoder calls ensure_onnx_model without a progress: the default logs the start and the time."""
    with caplog.at_level(logging.INFO, logger="personas.embed"):
        ensure_onnx_model(model_files.default_model_path(), cache_root=tmp_path)
    lines = [r.getMessage() for r in caplog.records if r.name == "personas.embed"]
    assert lines[0] == NOTE
    assert lines[1].startswith(f"{NOTE} done in ") and lines[1].endswith(" s")


def test_torch_needs_no_file(exports: list[str], tmp_path: Path) -> None:
    assert prepare_backend("torch", cache_root=tmp_path) == [] and exports == []
