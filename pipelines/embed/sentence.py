"""SentenceTransformerEmbedder: all-MiniLM-L6-v2 on one of several inference backends, with chunking of long
texts."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.embed.chunking import Pieces, offset_tokenizer, split_into_windows, token_bound
from pipelines.embed.model_files import (
    DEFAULT_MODEL_NAME,
    Progress,
    cpu_quantization_target,
    default_model_path,
    ensure_onnx_model,
    log_progress,
)
from pipelines.embed.onnx_encoder import OnnxSentenceEncoder

# Inference backends (bench/bench_embedding.py measures them side by side):
# - torch: sentence-transformers as is, the reference;
# - onnx: ONNX Runtime fp32, batches padded to their longest text;
# - onnx-unpadded: ONNX Runtime fp32, batches of texts of one token length, so a text's vector is bitwise the
#   same alone, in any batch and in any order (see pipelines/embed/onnx_encoder.py for why);
# - onnx-int8: ONNX Runtime, dynamic int8 quantization for this CPU family; its activation scales are
#   computed per batch, so a text's vector moves a little with the rest of its batch;
# - onnx-int8-static: ONNX Runtime, static int8 (activation scales fixed by calibration on synthetic text,
#   pipelines/embed/static_int8.py) in equal-length batches: bitwise batch-independent like onnx-unpadded; what
#   `auto` picks on AVX-512 VNNI (see AUTO_BACKEND).
# - auto: resolved when the embedder is made, from the CPU's features, to one of the above (see `resolve_backend`).
BACKENDS = ("auto", "torch", "onnx", "onnx-unpadded", "onnx-int8", "onnx-int8-static")
# The ONNX file (model_files.RECIPES) and batching of each ONNX backend.
_ONNX = {
    "onnx": ("fp32", False),
    "onnx-unpadded": ("fp32", True),
    "onnx-int8": ("int8", False),
    "onnx-int8-static": ("int8-static", True),
}

# What `auto` stands for per CPU family (model_files.cpu_quantization_target): only batch-independent backends,
# and only those within the quality bars on real conversations too. onnx-int8-static ran 1.47-1.61x onnx-unpadded
# on AVX-512 VNNI and passed the planted_dev and Banking77 bars (ARI 0.824 vs torch 0.831, V 0.816 vs 0.814), but
# through the service on the real Twitter conversations it gave ARI 0.816 against fp32's 0.840 (2026-11-30,
# eval_personas.py): so fp32 in equal-length batches everywhere for now, static int8 as an opt-in
# (BENCHMARKS.md "Embedding backends"). AVX2 and AVX-512 without VNNI lack an unsaturated u8 x s8 dot product, and
# arm64 was not measured.
AUTO_BACKEND = {
    "avx512_vnni": "onnx-unpadded",
    "avx512": "onnx-unpadded",
    "avx2": "onnx-unpadded",
    "arm64": "onnx-unpadded",
}


def resolve_backend(backend: str) -> str:
    """The concrete backend `backend` stands for on this CPU: `auto` is the fastest batch-independent one
    measured for its features (BENCHMARKS.md "Embedding backends"), any other name is itself."""
    if backend != "auto":
        return backend
    return AUTO_BACKEND.get(cpu_quantization_target(), "onnx-unpadded")


def prepare_backend(
    backend: str, progress: Progress = log_progress, cache_root: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Make the files `backend` runs on this CPU (for `auto`, what it resolves to), once per machine
    (`personas prepare`, `make install`, the Docker build); returns their paths (none for torch)."""
    concrete = resolve_backend(backend)
    if concrete not in _ONNX:
        return []
    recipe, _ = _ONNX[concrete]
    return [ensure_onnx_model(default_model_path(), recipe=recipe, cache_root=cache_root, progress=progress)]


@dataclass(frozen=True)
class Speedups:
    """Work embed() saves without changing any vector of a batch-independent backend (the vectors of the
    others already depend on their batch, and dedup changes the batch); each can be turned off to measure it:
    `pinned_threads` (ONNX Runtime threads = usable cores, see onnx_encoder.session_options),
    `skip_short_count` (no token-count pass for a text provably inside the window, chunking.token_bound),
    `deduplicate` (identical texts in one call embedded once)."""

    pinned_threads: bool = True
    skip_short_count: bool = True
    deduplicate: bool = True


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model), loaded lazily and offline, with chunking of long
    texts.

    `backend` (one of BACKENDS) picks the inference engine. The ONNX files are exported once from the local
    model into a cache folder (see `onnx_cache_dir`). Chunking and normalisation are shared.
    """

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str] | None = None,
        batch_size: int = 32,
        backend: str = "torch",
        cache_dir: str | os.PathLike[str] | None = None,
        speedups: Speedups = Speedups(),
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        self._path = str(model_name_or_path) if model_name_or_path is not None else str(default_model_path())
        # Resolved now, so the name below (the cache key) always names the recipe that made the vectors.
        backend = resolve_backend(backend)
        self.backend = backend
        self.speedups = speedups
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        # The name recorded in results and caches: the packaged default is reported by its public name, and a
        # non-torch backend (the recipe) is part of it so cached vectors of different recipes never mix.
        base = DEFAULT_MODEL_NAME if model_name_or_path is None else self._path
        self.model_name = base if backend == "torch" else f"{base}+{backend}"
        if backend.startswith("onnx-int8"):
            # int8 weights or kernels differ by CPU family (signed or unsigned, VNNI or not), and so do vectors.
            self.model_name += f"-{cpu_quantization_target()}"
        self.batch_size = batch_size
        self._model: Any = None
        self._counter: Any = None
        self._bound = token_bound(Path(self._path) / "tokenizer.json") if speedups.skip_short_count else None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The underlying SentenceTransformer (or its ONNX stand-in), loaded on first use without the network."""
        with self._lock:
            if self._model is None:
                # Offline on purpose: a missing local model must fail loudly, never trigger a hub download.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                if self.backend == "torch":
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(self._path, device="cpu")
                else:
                    recipe, unpadded = _ONNX[self.backend]
                    self._model = OnnxSentenceEncoder.load(
                        self._path,
                        recipe=recipe,
                        unpadded=unpadded,
                        cache_dir=self._cache_dir,
                        pinned_threads=self.speedups.pinned_threads,
                    )
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

    def _token_offsets(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """Character offsets of each text's tokens (no special tokens, no truncation)."""
        if not texts:
            return []
        if self._counter is None:
            self._counter = offset_tokenizer(Path(self._path) / "tokenizer.json")
        if self._counter is not None:
            return [e.offsets for e in self._counter.encode_batch(texts, add_special_tokens=False)]
        encodings = self.model.tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
        return list(encodings["offset_mapping"])

    def _chunk_texts(self, texts: list[str]) -> list[list[tuple[str, int]]]:
        """Chunks of each text with their token counts; a text that fits is returned whole, and one provably
        short enough to fit is not tokenized here at all (its one piece's weight is never used)."""
        window = self._window()
        bound = self._bound
        whole = [bound is not None and bound(text) <= window for text in texts]
        offsets = iter(self._token_offsets([t for t, fits in zip(texts, whole, strict=True) if not fits]))
        return [
            [(text, 1)] if fits else split_into_windows(text, next(offsets), window)
            for text, fits in zip(texts, whole, strict=True)
        ]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; a text longer than the window is the token-weighted mean of its chunks, renormalised.
        Identical texts are embedded once (Speedups.deduplicate) and their vector copied."""
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.speedups.deduplicate:
            distinct = list(dict.fromkeys(texts))
            if len(distinct) < len(texts):
                row = {text: index for index, text in enumerate(distinct)}
                return self._embed_distinct(distinct)[[row[text] for text in texts]]
        return self._embed_distinct(texts)

    def _embed_distinct(self, texts: list[str]) -> np.ndarray:
        """Vectors of texts (a non-empty list), chunked and pooled."""
        pieces = Pieces.of(self._chunk_texts(texts))
        vectors = self.model.encode(
            pieces.texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ).astype(np.float32)
        return pieces.pool(vectors, len(texts))
