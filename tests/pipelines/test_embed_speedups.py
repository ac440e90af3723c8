"""What embed() saves without changing a vector: the short-text skip of the token-count pass (its bound against
the real tokenizer), deduplication, pinned threads; and `auto`, which always resolves to a concrete backend."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from pipelines.embed import (
    BACKENDS,
    SentenceTransformerEmbedder,
    Speedups,
    default_model_path,
    resolve_backend,
)
from pipelines.embed.chunking import offset_tokenizer, token_bound
from service.config import DEFAULT_EMBEDDING_BACKEND, Settings

# Text that makes the NFD-length bound tight or stresses the normaliser: Hangul (NFD grows each syllable to 2-3
# jamo), CJK ideographs (spaced apart), emoji and ZWJ sequences, combining marks (stripped), U+0130 (the one
# lowercase mapping that grows), control and format characters, a word longer than WordPiece's 100-character
# limit ([UNK]), punctuation and digits (a token per character), NFKC-only ligatures, RTL scripts.
ADVERSARIAL = [
    "한국어 텍스트를 토큰으로 나눕니다",
    "한" * 40,
    "我的银行卡丢了怎么办" * 3,
    "👩‍👩‍👧‍👦🏳️‍🌈🇬🇧👍🏽" * 4,
    "e\u0301a\u0300o\u0302" * 20,
    "İSTANBUL İİİ ıi",
    "tab\tnew\nline\x00nul\x07bell\u200bzero\u200dwidth\ufeffbom",
    "x" * 150,
    "supercalifragilisticexpialidocious" * 4,
    "!?.,;:" * 20 + "1234567890" * 5,
    "ﬁﬂ ﷺ ㎒ ½ Ⅻ",
    "مرحبا بالعالم שלום עולם",
    "ñandú café naïve façade Ærø Straße",
    "",
    "   ",
]


@pytest.fixture(scope="module")
def model_tokenizer_file() -> Path:
    return default_model_path() / "tokenizer.json"


def adversarial_corpus() -> list[str]:
    """ADVERSARIAL, plus fixed pseudo-random strings over the planes above (the same strings every run)."""
    rng = np.random.default_rng(14)
    pools = [
        (0xAC00, 0xD7A3),
        (0x4E00, 0x9FFF),
        (0x1F300, 0x1FAFF),
        (0x0300, 0x036F),
        (0x20, 0x7E),
        (0xC0, 0x24F),
    ]
    generated = []
    for _ in range(200):
        low, high = pools[int(rng.integers(len(pools)))]
        other_low, other_high = pools[int(rng.integers(len(pools)))]
        points = [*rng.integers(low, high + 1, 30), *rng.integers(other_low, other_high + 1, 30)]
        generated.append("".join(chr(int(p)) for p in rng.permutation(points)))
    return ADVERSARIAL + generated


def test_token_bound_is_never_below_the_real_token_count(model_tokenizer_file: Path) -> None:
    bound = token_bound(model_tokenizer_file)
    counter = offset_tokenizer(model_tokenizer_file)
    assert bound is not None and counter is not None
    corpus = adversarial_corpus()
    counts = [len(e.ids) for e in counter.encode_batch(corpus, add_special_tokens=False)]
    short = [(text, n) for text, n in zip(corpus, counts, strict=True) if bound(text) < n]
    assert not short, short
    # The bound is tight where every code point is a token (punctuation), and it is an NFD length: a Hangul
    # syllable counts 2-3, though it is one code point before NFD.
    punctuation = "!?.,;:" * 20
    assert bound(punctuation) == len(counter.encode(punctuation, add_special_tokens=False).ids) == 120
    assert bound("하") == 2 and bound("한") == 3 and len("한") == 1
    # Some text yields more tokens than it has code points before NFD: a bound on len(text) would be wrong.
    assert any(n > len(text) for text, n in zip(corpus, counts, strict=True))


def test_token_bound_is_refused_for_an_unproven_tokenizer(tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "tokenizer.json").write_text('{"normalizer": {"type": "NFKC"}, "model": {"type": "WordPiece"}}')
    assert token_bound(folder / "tokenizer.json") is None
    assert token_bound(folder / "missing.json") is None


def mixed_texts() -> list[str]:
    """Short texts, adversarial ones, duplicates, and long texts of one and several model windows."""
    filler = "Separately, I want to ask about the interest rate of my mortgage and overpaying it. "
    return [
        "my card is lost",
        *ADVERSARIAL,
        filler * 6,
        "한국어 " * 100,
        "my card is lost",
        filler * 40,
        "",
        filler * 6,
        "what is the exchange rate for euros",
    ]


@pytest.fixture(scope="module")
def default_embedder() -> SentenceTransformerEmbedder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return SentenceTransformerEmbedder(backend=DEFAULT_EMBEDDING_BACKEND)


@pytest.mark.parametrize(
    "without",
    [Speedups(skip_short_count=False), Speedups(deduplicate=False), Speedups(pinned_threads=False)],
    ids=["skip", "dedup", "threads"],
)
def test_speedups_leave_every_vector_bitwise_unchanged(
    default_embedder: SentenceTransformerEmbedder, without: Speedups
) -> None:
    plain = SentenceTransformerEmbedder(backend=DEFAULT_EMBEDDING_BACKEND, speedups=without)
    texts = mixed_texts()
    assert len(default_embedder.chunks(texts[-4])) >= 3  # the multi-window text is chunked and pooled
    fast = default_embedder.embed(texts)
    np.testing.assert_array_equal(fast, plain.embed(texts))
    assert [default_embedder.chunks(t) for t in texts] == [plain.chunks(t) for t in texts]
    assert fast.shape == (len(texts), 384) and np.isfinite(fast).all()


def test_duplicates_get_the_vector_of_their_first_copy(default_embedder: SentenceTransformerEmbedder) -> None:
    texts = ["card lost", "card lost", "fee?", "card lost", "fee?"]
    vectors = default_embedder.embed(texts)
    np.testing.assert_array_equal(vectors[[1, 3]], vectors[[0, 0]])
    np.testing.assert_array_equal(vectors[4], vectors[2])
    np.testing.assert_array_equal(vectors[:1], default_embedder.embed(["card lost"]))


def test_auto_resolves_to_a_concrete_backend_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    concrete = resolve_backend("auto")
    assert concrete in BACKENDS and concrete != "auto"
    assert all(resolve_backend(b) == b for b in BACKENDS if b != "auto")
    monkeypatch.delenv("PERSONAS_EMBEDDING_BACKEND", raising=False)
    assert Settings(webhook_secrets={}).embedding_backend == DEFAULT_EMBEDDING_BACKEND == "auto"
    embedder = SentenceTransformerEmbedder(backend="auto")
    assert embedder.backend == concrete
    assert embedder.model_name == SentenceTransformerEmbedder(backend=concrete).model_name
    assert "auto" not in embedder.model_name
