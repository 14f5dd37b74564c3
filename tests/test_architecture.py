"""The shape of the code: dependencies point one way (api -> kb -> indexing) and no import cycle exists.

Every import counts: module level, inside functions and under ``TYPE_CHECKING``, and a package's
``__init__`` is a module of its own (its re-exports are edges too).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

from tests.conftest import REPO

LAYERS = {"indexing": 0, "kb": 1, "api": 2}


def _modules() -> dict[str, Path]:
    out = {}
    for top in LAYERS:
        for path in (REPO / top).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (anywhere in its body)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package[: len(package) - (node.level - 1)]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            for name in names:
                target = _resolve(name, modules)
                if target and target != module:
                    graph[module].add(target)
    return graph


def test_the_graph_sees_the_modules() -> None:
    graph = import_graph()
    assert "kb.service" in graph and "kb.kernel" in graph["kb.service"]
    assert "api.cli.common" in graph["api.cli.cases"]


def test_no_import_cycle() -> None:
    try:
        list(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_dependencies_point_one_way() -> None:
    upward = [
        f"{a} -> {b}"
        for a, targets in import_graph().items()
        for b in targets
        if LAYERS[a.split(".")[0]] < LAYERS[b.split(".")[0]]
    ]
    assert upward == []


def test_only_the_composition_root_and_doors_import_it() -> None:
    importers = sorted(a for a, targets in import_graph().items() if "kb.service" in targets)
    assert [m for m in importers if not m.startswith("api.")] == []


def test_runtime_never_imports_the_sample_generator() -> None:
    for path in _modules().values():
        assert "samplegen" not in {
            n.split(".")[0]
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            for n in ([a.name for a in node.names] if isinstance(node, ast.Import) else [])
            + ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        }, path


def test_only_the_case_repository_writes_cases() -> None:
    import re

    write = re.compile(r"\b(UPDATE\s+cases|INSERT\s+(OR\s+\w+\s+)?INTO\s+cases|DELETE\s+FROM\s+cases)\b", re.I)
    writers = sorted(
        str(p.relative_to(REPO))
        for p in _modules().values()
        if write.search(p.read_text(encoding="utf-8")) and p.relative_to(REPO).parts[:2] != ("kb", "storage")
    )
    assert writers == []
