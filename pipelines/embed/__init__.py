"""Sentence embeddings of what customers say: the Embedder protocol and its sentence-transformers implementation.

- `protocol`: the Embedder protocol, unit vectors, length-sorted batches for callers;
- `sentence`: SentenceTransformerEmbedder and its inference BACKENDS;
- `chunking`: long texts cut to the model window and pooled back;
- `onnx_encoder`: the ONNX Runtime stand-in for SentenceTransformer (padded or equal-length batches);
- `model_files`: the packaged model and its cached ONNX exports (fp32, int8 per CPU family, static int8);
- `static_int8`: static int8 quantization, its calibration text from `pipelines.synthetic`.
"""

from pipelines.embed.model_files import (
    cpu_quantization_target,
    default_model_path,
    ensure_onnx_model,
    onnx_cache_dir,
)
from pipelines.embed.protocol import (
    EMBED_BATCH,
    Embedder,
    embed_in_batches,
    l2_normalise,
    length_sorted_batches,
)
from pipelines.embed.sentence import (
    BACKENDS,
    SentenceTransformerEmbedder,
    Speedups,
    prepare_backend,
    resolve_backend,
)

__all__ = [
    "BACKENDS",
    "EMBED_BATCH",
    "Embedder",
    "SentenceTransformerEmbedder",
    "Speedups",
    "cpu_quantization_target",
    "default_model_path",
    "embed_in_batches",
    "ensure_onnx_model",
    "l2_normalise",
    "length_sorted_batches",
    "onnx_cache_dir",
    "prepare_backend",
    "resolve_backend",
]
