#!/usr/bin/env python3
"""House rules that a linter does not check: functions fit a screen, modules stay small, imports form no cycle.

    python .ci/check_structure.py [PACKAGE ...]      (default: service pipelines)

Fails (exit 1) on a function over MAX_FUNCTION_LINES lines, a module over MAX_MODULE_LINES lines, or a cycle in
the graph of imports between the packages' modules, where imports inside functions count too (a lazy import
is still a dependency). `from package import name` is an edge to the submodule when `name` is one, else to
the package's `__init__`; from inside the package, it is an edge to the `__init__` as well.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 300


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def long_definitions(path: Path, tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{path}:{node.lineno} {node.name} is {length} lines (> {MAX_FUNCTION_LINES})")
    return found


def imported_modules(name: str, is_package: bool, tree: ast.AST, known: set[str]) -> set[str]:
    """The known modules this module imports, wherever the import statement stands."""
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # Importing from the package a module lives in runs that package's __init__ first: a module that
            # does so depends on the __init__, which usually imports the module back.
            if name.startswith(base + "."):
                targets.add(base)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                targets.add(candidate if candidate in known else base)
    return {t for t in targets if t in known and t != name}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def main(packages: list[str]) -> int:
    files = sorted(p for package in packages for p in Path(package).rglob("*.py"))
    known = {module_name(p) for p in files}
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    for path in files:
        source = path.read_text(encoding="utf-8")
        lines = len(source.splitlines())
        if lines > MAX_MODULE_LINES:
            problems.append(f"{path} is {lines} lines (> {MAX_MODULE_LINES})")
        tree = ast.parse(source, filename=str(path))
        problems.extend(long_definitions(path, tree))
        name = module_name(path)
        graph[name] = imported_modules(name, path.name == "__init__.py", tree, known)
    problems.extend("import cycle: " + " <-> ".join(cycle) for cycle in find_cycles(graph))
    for problem in problems:
        print(problem)
    print(f"{len(files)} modules checked: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["service", "pipelines"]))
