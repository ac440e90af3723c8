"""The boundary: pipelines/ never imports the web framework, the ORM or the service package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINES = Path(__file__).parents[2] / "pipelines"
FORBIDDEN = {"fastapi", "sqlalchemy", "starlette", "service"}


def imported_roots(path: Path) -> set[str]:
    """Top-level package names a module imports (import x.y / from x.y import z), relative ones excluded."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_walk_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The checker itself catches plain, dotted, from- and nested (function-level) imports."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import fastapi.routing\nfrom sqlalchemy import select\ndef f():\n    import service.db\n"
    )
    assert imported_roots(sample) == {"fastapi", "sqlalchemy", "service"}


@pytest.mark.parametrize("path", sorted(PIPELINES.rglob("*.py")), ids=lambda p: str(p.relative_to(PIPELINES)))
def test_pipelines_module_is_pure(path: Path) -> None:
    """No module under pipelines/ imports fastapi, sqlalchemy, starlette or service."""
    bad = imported_roots(path) & FORBIDDEN
    assert not bad, f"{path.relative_to(PIPELINES.parent)} imports {sorted(bad)}: pipelines must stay pure"


def test_there_are_modules_to_check() -> None:
    """Guard against a wrong path making the parametrised test vacuous."""
    assert (PIPELINES / "cluster.py").is_file() and len(list(PIPELINES.rglob("*.py"))) >= 5
