"""The ONNX encoder tokenizes with tokenizer.json alone: the same ids, truncation and padding id as the
transformers tokenizer, without importing transformers (and torch, seconds of every new process)."""

from __future__ import annotations

import subprocess
import sys

from pipelines.embed import default_model_path
from pipelines.embed.onnx_encoder import OnnxSentenceEncoder

TEXTS = ["Where is my parcel?", "Ünïcödé façade — 東京 😀", "word " * 400]


def test_fast_ids_truncation_and_padding_id_match_the_transformers_tokenizer() -> None:
    encoder = OnnxSentenceEncoder.load(str(default_model_path()), unpadded=True)
    fast = encoder._encodings(TEXTS)
    assert encoder.fast_tokenizer is not None and len(fast[2][0]) == encoder.max_seq_length == 256
    reference = encoder.tokenizer(TEXTS, truncation="longest_first", max_length=encoder.max_seq_length)
    assert [ids for ids, _ in fast] == reference["input_ids"]
    assert encoder.pad_id == encoder.tokenizer.pad_token_id


def test_embedding_with_the_onnx_backend_never_imports_torch() -> None:
    code = (
        "import sys\n"
        "from pipelines.embed import SentenceTransformerEmbedder\n"
        "SentenceTransformerEmbedder(backend='onnx-unpadded').embed(['hello there', 'word ' * 400])\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]
