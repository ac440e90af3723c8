"""notebooks/persona_discovery.ipynb: stored clean, and runs top to bottom on the synthetic company."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).parents[2]
NOTEBOOK = ROOT / "notebooks" / "persona_discovery.ipynb"
CELL_TIMEOUT_S = 600
ARI_LINE = re.compile(r"^ARI\b.*:\s*(-?\d+(?:\.\d+)?)\s*$", re.MULTILINE)
K_LINE = re.compile(r"chosen number of personas k = (\d+)")
# Appended to the executed copy (never to the file): the walkthrough's own result, so the test can check what
# the notebook printed against a computation of its own.
CHECK_CELL = (
    "import json\n"
    'print("CHECK " + json.dumps({"truth": company.truth, '
    '"labels": {c: int(k) for c, k in result.labels.items()}}))'
)
CHECK_LINE = re.compile(r"^CHECK (\{.*\})$", re.MULTILINE)
# Names KernelManager.format_kernel_cmd swaps for sys.executable when a kernelspec's argv starts with one.
PYTHON_ALIASES = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}


def _runs_this_python(argv: list[str]) -> bool:
    """Whether a kernelspec's command starts this interpreter (the venv's, not merely the same binary)."""
    if not argv:
        return False
    if argv[0] in PYTHON_ALIASES:
        return True
    launcher, here = Path(argv[0]), Path(sys.executable)
    # the same directory, unresolved: a base interpreter that the venv's python links to has no venv packages
    return launcher.is_file() and launcher.absolute().parent == here.absolute().parent


def kernel_manager(scratch: Path) -> KernelManager:
    """The registered `python3` kernel when it runs this interpreter, else a throwaway spec that does.

    `make install` puts ipykernel's `python3` spec (argv "python -m ipykernel_launcher") under
    .venv/share/jupyter/kernels, and jupyter_client also falls back to ipykernel's built-in spec; both
    launch sys.executable. Only a user- or system-wide `python3` spec for another interpreter can shadow
    them, and then the kernel is started from a spec written under `scratch`, registering nothing.
    """
    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        spec = None
    if spec is not None and _runs_this_python(list(spec.argv)):
        return KernelManager(kernel_name="python3")
    kernels = scratch / "kernels"
    (kernels / "personas-venv").mkdir(parents=True)
    (kernels / "personas-venv" / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "personas .venv",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    specs = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    return KernelManager(kernel_name="personas-venv", kernel_spec_manager=specs)


def stream_text(nb: nbformat.NotebookNode) -> str:
    """Everything the code cells printed to stdout."""
    return "".join(
        output.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type == "stream" and output.get("name") == "stdout"
    )


def is_figure(data: dict[str, object]) -> bool:
    """A Plotly figure as any default renderer emits it: the Plotly mimetype or HTML that draws one."""
    return "application/vnd.plotly.v1+json" in data or "Plotly.newPlot" in str(data.get("text/html", ""))


def test_notebook_is_stored_without_outputs() -> None:
    """The committed notebook is valid and clean: no outputs, no execution counts."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code cells"
    dirty = [i for i, cell in enumerate(code) if cell.outputs or cell.execution_count is not None]
    assert not dirty, f"code cells {dirty} carry outputs: clear them before committing"


@pytest.mark.slow
def test_notebook_runs_end_to_end(tmp_path: Path) -> None:
    """Every cell runs without error from the repo root, the plots render, and the k and ARI it prints are
    those of its own result."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_CELL))
    client = NotebookClient(
        nb,
        km=kernel_manager(tmp_path),
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute(env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})

    errors = [
        f"{output.ename}: {output.evalue}"
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors, errors
    printed = stream_text(nb)
    chosen = K_LINE.search(printed)
    assert chosen, printed[-2000:]
    match = ARI_LINE.search(printed)
    assert match, f"no ARI line among the printed output:\n{printed[-2000:]}"
    check = CHECK_LINE.search(printed)
    assert check, printed[-2000:]
    # What the walkthrough printed is what its result says: k personas, and the ARI of its labels against
    # the planted truth (not a quality bar: the notebook demonstrates, the tests of discover() grade).
    found = json.loads(check.group(1))
    ids = sorted(found["labels"])
    assert ids == sorted(found["truth"])
    assert len(set(found["labels"].values())) == int(chosen.group(1))
    ari = adjusted_rand_score([found["truth"][c] for c in ids], [found["labels"][c] for c in ids])
    assert float(match.group(1)) == pytest.approx(ari, abs=0.0005)
    figures = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type in ("display_data", "execute_result") and is_figure(output.get("data", {}))
    ]
    assert len(figures) == 3, f"expected the map, quadrant and share figures, got {len(figures)}"
