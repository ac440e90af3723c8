"""Workers warm up once per process before their first run, and a failing warm-up never stops them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.db import Database
from service.runs import worker


@dataclass
class Recorder:
    embedders: list[Any] = field(default_factory=list)
    called: threading.Event = field(default_factory=threading.Event)

    def __call__(self, embedder: Any) -> dict[str, float]:
        self.embedders.append(embedder)
        self.called.set()
        return {"clustering": 0.0}


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Replaces the real warm-up (covered by tests/pipelines/test_warmup.py; this file is about the wiring)."""
    fake = Recorder()
    monkeypatch.setattr(worker, "warm_up", fake)
    monkeypatch.setattr(worker, "_warmed_up", False)
    monkeypatch.setattr(worker, "shared_embedder", lambda model, backend: f"embedder {backend}")
    return fake


def test_inline_worker_warms_up_once_per_process(
    settings: Settings, db: Database, recorder: Recorder
) -> None:
    warm = settings.model_copy(update={"warm_up": True, "embedding_backend": "onnx-int8"})
    with TestClient(create_app(warm, db)):
        assert recorder.called.wait(10), "the inline worker did not warm up"
    with TestClient(create_app(warm, db)):
        pass
    assert recorder.embedders == ["embedder onnx-int8"]
    assert worker.warm_up_once(warm) is False  # already done in this process


def test_warm_up_can_be_turned_off(settings: Settings, recorder: Recorder) -> None:
    assert worker.warm_up_once(settings) is False
    assert recorder.embedders == []


def test_failed_warm_up_is_logged_not_raised(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(embedder: Any) -> dict[str, float]:
        raise RuntimeError("model files missing")

    monkeypatch.setattr(worker, "warm_up", broken)
    monkeypatch.setattr(worker, "_warmed_up", False)
    monkeypatch.setattr(worker, "shared_embedder", lambda model, backend: None)
    assert worker.warm_up_once(settings.model_copy(update={"warm_up": True})) is False
    assert "warm-up failed" in caplog.text
