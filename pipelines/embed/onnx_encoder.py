"""Sentence vectors on ONNX Runtime: tokenizer -> transformer -> mean pooling -> L2, in padded or equal-length
batches.

Equal-length batches (`unpadded=True`) make a text's vector bitwise independent of the batch it is in. Each
batch holds texts of one token length, so nothing is padded and every sequence-wide operation (attention
scores, softmax, pooling) sees exactly the same shapes and values for a text alone as in any batch; only the
number of rows of the token-wise matrix products changes. Those products run on ONNX Runtime's MLAS kernels,
which compute each output row on its own, in an order fixed by the pre-packed weight panels (never split
along the inner dimension by batch size or thread count); the attention products of one sequence have an
inner dimension of one head (32) or one sequence (<= 256), a single panel. Padded batches instead change the
sequence length a text is computed at, and with it the lengths of its softmax and attention reductions.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.embed.model_files import ensure_onnx_model
from pipelines.embed.protocol import l2_normalise

Encoding = tuple[list[int], list[int]]  # token ids and token type ids of one text, without padding


class OnnxSentenceEncoder:
    """The slice of SentenceTransformer that SentenceTransformerEmbedder uses (`tokenizer`, `max_seq_length`,
    `encode`, `get_embedding_dimension`), on ONNX Runtime.

    `fast_tokenizer`, when given, is a `tokenizers.Tokenizer` that truncates to max_seq_length and does not
    pad: the same ids as the transformers tokenizer, with far less overhead per text."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        max_seq_length: int,
        do_lower_case: bool = False,
        fast_tokenizer: Any = None,
        *,
        unpadded: bool = False,
        load_tokenizer: Callable[[], Any] | None = None,
        pad_id: int | None = None,
    ) -> None:
        self.session = session
        self._tokenizer, self._load_tokenizer = tokenizer, load_tokenizer
        self._pad_id = pad_id
        self.max_seq_length = max_seq_length
        self.do_lower_case = do_lower_case
        self.fast_tokenizer = fast_tokenizer
        self.unpadded = unpadded
        self._inputs = [i.name for i in session.get_inputs()]
        self._dimension: int | None = None

    @classmethod
    def load(
        cls,
        model_path: str,
        *,
        recipe: str = "fp32",
        unpadded: bool = False,
        cache_dir: str | os.PathLike[str] | None = None,
        pinned_threads: bool = True,
    ) -> OnnxSentenceEncoder:
        """The encoder of a local sentence-transformers folder, exporting its ONNX file first if needed."""
        import onnxruntime as ort

        path = Path(model_path)
        pooling = path / "1_Pooling" / "config.json"
        if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", True):
            raise ValueError(f"the ONNX backend supports mean pooling only; {pooling} asks for another")
        onnx_file = ensure_onnx_model(path, recipe=recipe, cache_root=cache_dir)
        options = session_options(pinned_threads)
        session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        config = _json(path / "sentence_bert_config.json")
        tokenizer_config = _json(path / "tokenizer_config.json")

        def load_tokenizer() -> Any:
            from transformers import AutoTokenizer

            return AutoTokenizer.from_pretrained(str(path))

        limit = config.get("max_seq_length") or tokenizer_config.get("model_max_length")
        max_len = int(min(limit, 512)) if limit else int(min(load_tokenizer().model_max_length, 512))
        fast = _truncating_tokenizer(path / "tokenizer.json", max_len)
        pad = tokenizer_config.get("pad_token", "[PAD]")
        pad_id = (
            fast.token_to_id(pad["content"] if isinstance(pad, dict) else pad) if fast is not None else None
        )
        return cls(
            session,
            None,
            max_len,
            bool(config.get("do_lower_case", False)),
            fast_tokenizer=fast,
            unpadded=unpadded,
            load_tokenizer=load_tokenizer,
            pad_id=pad_id,
        )

    @property
    def tokenizer(self) -> Any:
        """The transformers tokenizer, loaded on first use: importing transformers imports torch (about 3 s of
        a new process's start), and with tokenizer.json the fast tokenizer does all the work without it."""
        if self._tokenizer is None and self._load_tokenizer is not None:
            self._tokenizer = self._load_tokenizer()
        return self._tokenizer

    @property
    def pad_id(self) -> int:
        return self._pad_id if self._pad_id is not None else int(self.tokenizer.pad_token_id or 0)

    def get_embedding_dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.encode(["dimension probe"]).shape[1])
        return self._dimension

    def _encodings(self, texts: list[str]) -> list[Encoding]:
        """Token ids and type ids of each text, truncated to max_seq_length, not padded."""
        if self.fast_tokenizer is not None:
            return [(e.ids, e.type_ids) for e in self.fast_tokenizer.encode_batch(texts)]
        batch = self.tokenizer(texts, truncation="longest_first", max_length=self.max_seq_length)
        types = batch.get("token_type_ids") or [[0] * len(ids) for ids in batch["input_ids"]]
        return list(zip(batch["input_ids"], types, strict=True))

    def _batches(self, texts: list[str], encodings: list[Encoding], size: int) -> Iterator[list[int]]:
        """Indices of each batch: texts of one token length (unpadded), else longest texts first."""
        if self.unpadded:
            by_length: dict[int, list[int]] = defaultdict(list)
            for index, (ids, _) in enumerate(encodings):
                by_length[len(ids)].append(index)
            for length in sorted(by_length):
                group = by_length[length]
                yield from (group[start : start + size] for start in range(0, len(group), size))
            return
        order = [int(i) for i in np.argsort([-len(t) for t in texts], kind="stable")]
        yield from (order[start : start + size] for start in range(0, len(order), size))

    def _inputs_of(self, encodings: list[Encoding]) -> dict[str, np.ndarray]:
        """int64 input arrays of one batch, right-padded to its longest text (an encoder with absolute positions
        and an attention mask reads right padding correctly whatever side its tokenizer pads on)."""
        width = max(len(ids) for ids, _ in encodings)
        pad_id = self.pad_id
        ids = np.full((len(encodings), width), pad_id, dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, (token_ids, type_ids) in enumerate(encodings):
            ids[row, : len(token_ids)] = token_ids
            types[row, : len(type_ids)] = type_ids
            mask[row, : len(token_ids)] = 1
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}

    def encode(self, sentences: Sequence[str], batch_size: int = 32, **_: Any) -> np.ndarray:
        """Unit vectors, one row per sentence."""
        texts = [str(s).strip() for s in sentences]
        if self.do_lower_case:
            texts = [t.lower() for t in texts]
        encodings = self._encodings(texts)
        out: np.ndarray | None = None
        for index in self._batches(texts, encodings, batch_size):
            feed = self._inputs_of([encodings[i] for i in index])
            hidden = self.session.run(None, {name: feed[name] for name in self._inputs})[0]
            pooled = mean_pool(hidden, feed["attention_mask"])
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[index] = pooled
        if out is None:
            return np.zeros((0, 0), dtype=np.float32)
        return l2_normalise(out)


def session_options(pinned_threads: bool = True) -> Any:
    """ONNX Runtime session options: every graph optimisation, and (`pinned_threads`) one intra-op thread per
    core this process may run on, no inter-op pool, sequential execution.

    ORT's own default sizes its pool by the machine's physical cores, not the process's CPU affinity (a
    container or taskset), and the model is one chain of ops, so an inter-op pool only adds idle spinning
    threads that compete for the same cores (BENCHMARKS.md "Embedding backends").
    Threads split only rows or columns of each product (never its inner dimension), so vectors are bitwise
    the same for any thread count."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if pinned_threads:
        usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
        options.intra_op_num_threads = max(1, len(usable))
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


def mean_pool(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Mean of each row's unmasked token vectors; row by row, so a row's arithmetic never depends on the
    other rows of its batch."""
    weights = attention_mask.astype(np.float32)[:, :, None]
    return np.stack(
        [
            (tokens * w).sum(axis=0) / np.maximum(w.sum(), 1e-9)
            for tokens, w in zip(hidden, weights, strict=True)
        ]
    ).astype(np.float32)


def _json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text())) if path.is_file() else {}


def _truncating_tokenizer(tokenizer_file: Path, max_length: int) -> Any:
    """A `tokenizers.Tokenizer` from tokenizer.json that truncates like the transformers tokenizer and does not
    pad; None without one."""
    if not tokenizer_file.is_file():
        return None
    from tokenizers import Tokenizer

    fast = Tokenizer.from_file(str(tokenizer_file))
    fast.enable_truncation(max_length=max_length, strategy="longest_first")
    fast.no_padding()
    return fast
