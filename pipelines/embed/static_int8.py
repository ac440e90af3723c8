"""Static int8 quantization: weights and activation scales fixed once, from calibration on synthetic customer
text, so a text's vector never depends on the rest of its batch (dynamic int8 computes each activation scale
from the whole batch).

Run in equal-length batches (backend `onnx-int8-static`) it is bitwise batch-independent like onnx-unpadded:
every quantised product rounds each activation with the same fixed scale, accumulates in exact integers, and
rescales each output element on its own; every other op is the fp32 graph's. The calibration text comes from
`pipelines.synthetic` (the product cannot read evaluation data at run time), generated with a fixed seed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CALIBRATION_TEXTS = 300
CALIBRATION_CUSTOMERS = 120  # ~600 transcripts, of which the first CALIBRATION_TEXTS
CALIBRATION_SEED = 3
# Part of the file name: a change to the calibration or to which products are quantised gets a new file.
STATIC_RECIPE = f"static-ffn-down-fp32-out-fp32-syn{CALIBRATION_TEXTS}s{CALIBRATION_SEED}"


def calibration_texts(n: int = CALIBRATION_TEXTS) -> list[str]:
    """Customer texts of a synthetic company (fixed seed): the text the activation ranges are measured on."""
    from pipelines.synthetic import generate_company
    from pipelines.text import customer_text

    company = generate_company(n_customers=CALIBRATION_CUSTOMERS, seed=CALIBRATION_SEED)
    return [customer_text(t["turns"]) for t in company.transcripts][:n]


def calibration_feeds(model_path: Path, input_names: list[str]) -> Iterator[dict[str, Any]]:
    """One model input per calibration text, tokenized as the encoder does (special tokens, truncated to the
    model's window, no padding)."""
    import numpy as np
    from tokenizers import Tokenizer

    config_file = model_path / "sentence_bert_config.json"
    config = json.loads(config_file.read_text()) if config_file.is_file() else {}
    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=int(config.get("max_seq_length") or 512))
    tokenizer.no_padding()
    lower = bool(config.get("do_lower_case", False))
    for text in calibration_texts():
        encoding = tokenizer.encode(text.strip().lower() if lower else text.strip())
        arrays = {
            "input_ids": encoding.ids,
            "attention_mask": encoding.attention_mask,
            "token_type_ids": encoding.type_ids,
        }
        yield {name: np.asarray([arrays[name]], dtype=np.int64) for name in input_names}


def quantize_static_onnx(source: Path, target: Path, model_path: Path, keep_fp32: list[str]) -> None:
    """Static QDQ int8 of every weight product except `keep_fp32` (the FFN down-projections, whose GELU input
    one 8-bit scale cannot hold): per-channel signed weights, unsigned activations with MinMax ranges (u8 x s8
    is the VNNI kernel); only their inputs are quantised, their outputs stay fp32. Attention products
    (activation x activation) stay fp32."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    graph = onnx.load(str(source)).graph
    weights = {i.name for i in graph.initializer}
    nodes = [
        n.name
        for n in graph.node
        if n.op_type == "MatMul" and n.input[1] in weights and n.name not in set(keep_fp32)
    ]
    feeds = calibration_feeds(model_path, [i.name for i in graph.input])

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def get_next(self) -> dict[str, Any] | None:
            return next(feeds, None)

    quantize_static(
        str(source),
        str(target),
        Reader(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
        nodes_to_quantize=nodes,
        calibrate_method=CalibrationMethod.MinMax,
        # Products' outputs stay fp32 (no second rounding to 8 bits before the bias, residual and LayerNorm):
        # planted_dev ARI 0.824 against 0.818 with them quantised, at the same speed (BENCHMARKS.md).
        extra_options={
            "WeightSymmetric": True,
            "ActivationSymmetric": False,
            "OpTypesToExcludeOutputQuantization": ["MatMul"],
        },
    )
