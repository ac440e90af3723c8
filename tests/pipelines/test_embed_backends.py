"""ONNX Runtime backends of the embedder: offline export into the cache, agreement with torch, chunking, names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from pydantic import ValidationError

from pipelines.embed import (
    BACKENDS,
    Embedder,
    SentenceTransformerEmbedder,
    cpu_quantization_target,
    default_model_path,
    ensure_onnx_model,
    onnx_cache_dir,
)
from pipelines.embed.sentence import AUTO_BACKEND
from service.config import DEFAULT_EMBEDDING_BACKEND, Settings

SENTENCES = [
    "my card is lost",
    "what is the exchange rate for euros",
    "I was charged twice for the same coffee",
    "how do I top up by bank transfer",
    "",
]
# Measured on Banking77 (bench/bench_embedding.py): fp32 onnx agrees to ~1.0000, int8 to >= 0.985 (mean 0.996).
# Static int8 on planted_dev: min 0.9845, mean 0.9948 (BENCHMARKS.md "Embedding backends"); its worst case here
# is the empty text ([CLS] [SEP] alone, far outside the calibration text; 0.960 with the first recipe).
MIN_COSINE = {"onnx": 0.99, "onnx-unpadded": 0.99, "onnx-int8": 0.97, "onnx-int8-static": 0.95}
# The backends whose vectors must not depend on the batch: the default on every CPU family is one of them.
BATCH_INDEPENDENT = ("onnx-unpadded", "onnx-int8-static")


@pytest.fixture(scope="module", params=["onnx", "onnx-unpadded", "onnx-int8", "onnx-int8-static"])
def onnx_embedder(request: pytest.FixtureRequest) -> SentenceTransformerEmbedder:
    """An ONNX embedder on the default model cache (PERSONAS_MODEL_CACHE or ~/.cache): the first run exports."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = SentenceTransformerEmbedder(backend=request.param)
    model.embed(["load"])
    return model


def test_settings_choose_among_the_pipelines_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERSONAS_EMBEDDING_BACKEND", raising=False)
    assert DEFAULT_EMBEDDING_BACKEND in BACKENDS
    assert Settings(webhook_secrets={}).embedding_backend == DEFAULT_EMBEDDING_BACKEND
    for backend in BACKENDS:
        monkeypatch.setenv("PERSONAS_EMBEDDING_BACKEND", backend)
        assert Settings(webhook_secrets={}).embedding_backend == backend


def test_onnx_vectors_agree_with_torch(
    onnx_embedder: SentenceTransformerEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    assert isinstance(onnx_embedder, Embedder)
    vectors = onnx_embedder.embed(SENTENCES)
    reference = embedder.embed(SENTENCES)
    assert vectors.shape == reference.shape == (len(SENTENCES), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = (vectors * reference).sum(axis=1)
    assert cosine.min() >= MIN_COSINE[onnx_embedder.backend], cosine
    assert onnx_embedder.embed([]).shape == (0, 384)
    np.testing.assert_array_equal(onnx_embedder.embed(SENTENCES[:2]), onnx_embedder.embed(SENTENCES[:2]))


@pytest.mark.parametrize("backend", BATCH_INDEPENDENT)
def test_default_backend_vectors_do_not_depend_on_the_batch(backend: str) -> None:
    """The default recipes give a text bitwise the same vector alone, among other (much longer) texts, in
    reverse order and in smaller batches: cached vectors and personas never depend on how data was batched."""
    assert SentenceTransformerEmbedder(backend=DEFAULT_EMBEDDING_BACKEND).backend in BATCH_INDEPENDENT
    assert set(AUTO_BACKEND.values()) <= set(BATCH_INDEPENDENT)
    default = SentenceTransformerEmbedder(backend=backend)
    # Several texts of one token length (batched together), others shorter and longer, an empty one.
    texts = [f"my card number {i} is lost" for i in range(5)] + [*SENTENCES, "card not arrived yet"]
    window_filler = "Separately, I want to ask about the interest rate of my mortgage and overpaying it. "
    longer = [window_filler * 6, window_filler * 40]  # one chunk near the window, one of several chunks
    assert len(default.chunks(longer[1])) >= 3
    alone = np.stack([default.embed([text])[0] for text in texts])
    mixed = default.embed([longer[1], *texts[:4], longer[0], *texts[4:]])
    np.testing.assert_array_equal(np.delete(mixed, [0, 5], axis=0), alone)
    np.testing.assert_array_equal(default.embed(texts[::-1])[::-1], alone)
    default.batch_size = 2  # same-length texts now split over several calls of the model
    np.testing.assert_array_equal(default.embed(texts + longer)[: len(texts)], alone)
    assert np.isfinite(alone).all() and len({row.tobytes() for row in alone}) == len(texts)


def test_model_name_carries_the_backend(onnx_embedder: SentenceTransformerEmbedder) -> None:
    cpu = cpu_quantization_target()
    expected = {
        "onnx": "all-MiniLM-L6-v2+onnx",
        "onnx-unpadded": "all-MiniLM-L6-v2+onnx-unpadded",
        "onnx-int8": f"all-MiniLM-L6-v2+onnx-int8-{cpu}",
        "onnx-int8-static": f"all-MiniLM-L6-v2+onnx-int8-static-{cpu}",
    }
    assert onnx_embedder.model_name == expected[onnx_embedder.backend]
    assert SentenceTransformerEmbedder().model_name == "all-MiniLM-L6-v2"
    custom = SentenceTransformerEmbedder(default_model_path(), backend="onnx-int8")
    assert custom.model_name == f"{default_model_path()}+onnx-int8-{cpu}"


def test_long_text_is_chunked_like_torch(
    onnx_embedder: SentenceTransformerEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    head = "My card was declined at the supermarket and I do not know why. " * 25
    tail = "Separately, I want to ask about the interest rate of my mortgage and overpaying it. " * 25
    long_text = head + tail
    assert onnx_embedder.chunks(long_text) == embedder.chunks(long_text)
    assert len(onnx_embedder.chunks(long_text)) >= 3
    vector = onnx_embedder.embed([long_text])[0]
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert float(vector @ embedder.embed([long_text])[0]) >= MIN_COSINE[onnx_embedder.backend]
    truncated = onnx_embedder.model.encode([long_text])[0]
    mortgage = onnx_embedder.embed(["interest rate of my mortgage and overpaying it"])[0]
    assert float(vector @ mortgage) > float(truncated @ mortgage)


def test_cache_folder_is_named_by_model_and_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONAS_MODEL_CACHE", str(tmp_path))
    folder = onnx_cache_dir(default_model_path())
    assert folder.parent == tmp_path
    name, digest = folder.name.rsplit("-", 1)
    assert name == "all-MiniLM-L6-v2" and len(digest) == 16
    assert cpu_quantization_target() in ("avx512_vnni", "avx512", "avx2", "arm64")


@pytest.mark.slow
def test_export_is_cached_once_and_atomic(tmp_path: Path) -> None:
    """A fresh cache: the first call exports (fp32, then int8), later calls reuse the files untouched."""
    quantized = ensure_onnx_model(default_model_path(), recipe="int8", cache_root=tmp_path)
    fp32 = quantized.parent / "model.onnx"
    assert quantized.is_file() and fp32.is_file()
    assert quantized.name == f"model_qint8_ffn-down-fp32_{cpu_quantization_target()}.onnx"
    # Only MatMul weights are int8 (the word-embedding table stays fp32), and of those not the 6 FFN
    # down-projections: the model has 36 weight MatMuls, 30 quantized (MatMulInteger), 6 left as they were.
    assert quantized.stat().st_size < 0.85 * fp32.stat().st_size
    graph = onnx.load(str(quantized)).graph
    kept = [n.name for n in graph.node if n.op_type == "MatMul" and "/output/dense/" in n.name]
    assert len([n for n in kept if "/attention/" not in n]) == 6
    assert sum(n.op_type == "MatMulInteger" for n in graph.node) == 30
    stamps = (fp32.stat().st_mtime_ns, quantized.stat().st_mtime_ns)
    assert ensure_onnx_model(default_model_path(), recipe="int8", cache_root=tmp_path) == quantized
    assert ensure_onnx_model(default_model_path(), cache_root=tmp_path) == fp32
    assert (fp32.stat().st_mtime_ns, quantized.stat().st_mtime_ns) == stamps
    assert not [p for p in quantized.parent.iterdir() if p.name.endswith(".tmp")]


def test_unknown_backend_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown embedding backend"):
        SentenceTransformerEmbedder(backend="tensorrt")
    monkeypatch.setenv("PERSONAS_EMBEDDING_BACKEND", "tensorrt")
    with pytest.raises(ValidationError, match="PERSONAS_EMBEDDING_BACKEND"):
        Settings(webhook_secrets={})
    monkeypatch.setenv("PERSONAS_EMBEDDING_BACKEND", " ONNX-Unpadded")
    assert Settings(webhook_secrets={}).embedding_backend == "onnx-unpadded"
    monkeypatch.setenv("PERSONAS_EMBEDDING_BACKEND", "torch")
    assert Settings(webhook_secrets={}).embedding_backend == "torch"


def test_unpadded_batches_hold_texts_of_one_token_length() -> None:
    """What makes onnx-unpadded batch-independent: the model never sees padding, and batches stay bounded."""
    embedder = SentenceTransformerEmbedder(backend="onnx-unpadded", batch_size=3)
    encoder = embedder.model
    feeds: list[dict[str, np.ndarray]] = []
    session = encoder.session

    class RecordingSession:
        """The real session, recording what it is fed."""

        def run(self, outputs: Any, feed: dict[str, np.ndarray]) -> Any:
            feeds.append(feed)
            return session.run(outputs, feed)

    encoder.session = RecordingSession()
    try:
        texts = [f"my card number {i} is lost" for i in range(7)] + SENTENCES + ["top up " * 300]
        vectors = embedder.embed(texts)
    finally:
        encoder.session = session
    assert vectors.shape == (len(texts), 384)
    assert len(feeds) > 3 and all(f["attention_mask"].all() for f in feeds)
    assert all(1 <= len(f["input_ids"]) <= 3 for f in feeds)
    assert sum(len(f["input_ids"]) for f in feeds) == len(texts) + len(embedder.chunks(texts[-1])) - 1


@pytest.mark.slow
def test_static_int8_export_is_cached_and_keeps_the_ffn_down_projections(tmp_path: Path) -> None:
    """The static file: 30 weight products quantised with fixed (initializer) scales, the 6 FFN
    down-projections and the attention products left fp32; made once."""
    static = ensure_onnx_model(default_model_path(), recipe="int8-static", cache_root=tmp_path)
    assert static.name.startswith("model_qint8_static-") and static.is_file()
    graph = onnx.load(str(static)).graph
    constants = {i.name for i in graph.initializer}
    quantize = [n for n in graph.node if n.op_type == "QuantizeLinear"]
    # Every activation scale is a constant: nothing is computed from the batch (no DynamicQuantizeLinear).
    assert quantize and all(n.input[1] in constants for n in quantize)
    assert not [n for n in graph.node if n.op_type == "DynamicQuantizeLinear"]
    matmuls = [n for n in graph.node if n.op_type == "MatMul"]
    fed_int8 = {n.output[0] for n in graph.node if n.op_type == "DequantizeLinear"}
    assert sum(n.input[1] in fed_int8 for n in matmuls) == 30
    ffn_down = [n for n in matmuls if "/output/dense/" in n.name and "/attention/" not in n.name]
    assert len(ffn_down) == 6 and all(n.input[1] in constants for n in ffn_down)
    stamp = static.stat().st_mtime_ns
    assert ensure_onnx_model(default_model_path(), recipe="int8-static", cache_root=tmp_path) == static
    assert static.stat().st_mtime_ns == stamp
