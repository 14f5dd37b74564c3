"""The kernel's boundaries: features never import the composition root; the one chunked-IN helper."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from kb.storage.db import Database
from kb.storage.sql import chunks, execute_in, marks, query_in
from tests.conftest import REPO

KB = REPO / "kb"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_feature_imports_the_composition_root() -> None:
    offenders = [
        str(p.relative_to(KB))
        for p in KB.rglob("*.py")
        if p.name != "service.py" or p.parent != KB
        if "kb.service" in _imports(p)
    ]
    assert offenders == []


def test_query_in_chunks_past_the_parameter_limit(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db", migrations=())
    with db.transaction() as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        conn.executemany("INSERT INTO t(id, v) VALUES (?, ?)", [(i, "a" if i % 2 else "b") for i in range(2500)])
    ids = list(range(0, 2500, 1))
    rows = query_in(db, "SELECT id FROM t WHERE v = ? AND id IN ({marks})", ids, before=["a"])
    assert sorted(r[0] for r in rows) == list(range(1, 2500, 2))
    with db.transaction() as conn:
        assert len(query_in(conn, "SELECT id FROM t WHERE id IN ({marks})", ids[:10])) == 10
        assert execute_in(conn, "DELETE FROM t WHERE id IN ({marks})", ids[:1000]) == 1000
    assert marks(3) == "?,?,?"
    assert [len(c) for c in chunks(list(range(1801)))] == [900, 900, 1]
    db.close()


def test_cli_and_service_search_give_the_same_hits_and_flags(service: Any, tmp_path: Path) -> None:
    """Both doors call ``search_with_flags``: the CLI's JSON carries the same ids and workflow flags."""
    import json

    from click.testing import CliRunner

    from api.cli import cli, register_commands
    from tests.helpers import ROWS, rows

    service.ingest(rows())
    text = ROWS[0]["content"]
    found = service.search_with_flags(text=text, k=5)
    service.close()
    register_commands()
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path), "--encoder", "hashing", "search", text, "-k", "5", "--json"],
        env={"LEIAN_PETITIONER_KEY": "test-secret-key"},
    )
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert [h["case"]["id"] for h in hits] == [h.case.id for h in found.hits]
    assert [h["flags"] for h in hits] == [found.flags[h.case.id] for h in found.hits]
