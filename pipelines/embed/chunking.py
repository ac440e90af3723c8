"""Long texts cut into pieces that fit the model window, and the pieces' vectors pooled back into one per text."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.embed.protocol import l2_normalise


def offset_tokenizer(tokenizer_file: Path) -> Any:
    """A private `tokenizers.Tokenizer` that reports every token's character offsets (no truncation, no
    padding); None when the model has no tokenizer.json.

    ~10x less overhead per text than the transformers wrapper, and never the wrapper's backend, whose
    truncation settings change with every encode call."""
    if not tokenizer_file.is_file():
        return None
    from tokenizers import Tokenizer

    counter = Tokenizer.from_file(str(tokenizer_file))
    counter.no_truncation()
    counter.no_padding()
    return counter


def nfd_length(text: str) -> int:
    """Code points of the text in Unicode NFD (ASCII is its own NFD)."""
    return len(text) if text.isascii() else len(unicodedata.normalize("NFD", text))


def token_bound(tokenizer_file: Path) -> Callable[[str], int] | None:
    """A function that bounds from above the tokens a text yields (no special tokens), so a text under the
    window needs no token-count pass; None when the tokenizer is not one for which the bound is proven.

    The proof, for a WordPiece model behind BERT's normaliser and pre-tokenizer: the normaliser only drops
    code points (control characters, combining accents after NFD), maps them one to one (whitespace, case;
    the one case mapping that grows, U+0130, gives its NFD length of 2) or adds spaces (around CJK
    ideographs); the pre-tokenizer only splits; WordPiece spends at least one code point of a word per token
    and gives an unknown or over-long word one [UNK]. So tokens <= code points of the NFD text (NFD, which
    the normaliser applies when it strips accents, can grow a text: Hangul syllables become 2-3 jamo)."""
    if not tokenizer_file.is_file():
        return None
    spec = json.loads(tokenizer_file.read_text(encoding="utf-8"))
    proven = (
        (spec.get("normalizer") or {}).get("type", "BertNormalizer") == "BertNormalizer"
        and (spec.get("pre_tokenizer") or {}).get("type") == "BertPreTokenizer"
        and (spec.get("model") or {}).get("type") == "WordPiece"
    )
    return nfd_length if proven else None


def split_into_windows(text: str, offsets: list[tuple[int, int]], window: int) -> list[tuple[str, int]]:
    """Consecutive pieces of `text` of at most `window` tokens, with their token counts; a text that fits is
    returned whole. Slicing the original text by character offsets keeps casing and spacing as the model
    expects."""
    if len(offsets) <= window:
        return [(text, max(1, len(offsets)))]
    spans = [offsets[start : start + window] for start in range(0, len(offsets), window)]
    return [(text[span[0][0] : span[-1][1]], len(span)) for span in spans]


@dataclass
class Pieces:
    """The pieces of a list of texts, in order: each piece's text, the index of its text and its weight."""

    texts: list[str] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, chunked: list[list[tuple[str, int]]]) -> Pieces:
        """Flatten per-text (piece, token count) lists; a piece weighs its token count, so a short tail chunk
        counts less than a full window."""
        pieces = cls()
        for owner, text_chunks in enumerate(chunked):
            for piece, n_tokens in text_chunks:
                pieces.texts.append(piece)
                pieces.owners.append(owner)
                pieces.weights.append(float(n_tokens))
        return pieces

    def pool(self, vectors: np.ndarray, n_texts: int) -> np.ndarray:
        """One unit vector per text: the token-weighted mean of its pieces' vectors, renormalised.

        A text's result never depends on the other texts: a one-piece text keeps its vector whether or not a
        long text is in the same call, and a long text's pieces are added in their own order (np.add.at is
        unbuffered and sequential)."""
        owners = np.asarray(self.owners, dtype=np.int64)
        counts = np.bincount(owners, minlength=n_texts)
        out = np.zeros((n_texts, vectors.shape[1]), dtype=np.float32)
        whole = counts[owners] == 1
        out[owners[whole]] = vectors[whole]
        if not whole.all():
            pooled = np.zeros_like(out, dtype=np.float64)
            np.add.at(pooled, owners, vectors * np.asarray(self.weights)[:, None])
            chunked = np.flatnonzero(counts > 1)
            out[chunked] = pooled[chunked]
        return l2_normalise(out)
