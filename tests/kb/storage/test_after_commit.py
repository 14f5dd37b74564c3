"""``Database.after_commit``: steps that run once a transaction has committed, never after a rollback."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kb.storage.db import Database


def test_after_commit_runs_after_the_outermost_commit_and_never_after_a_rollback(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db", migrations=())
    with db.transaction() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    seen: list[str] = []

    def record(tag: str) -> None:
        # Runs outside the database lock, after the commit: another thread can read the row at once.
        rows: list[int] = []
        reader = threading.Thread(target=lambda: rows.extend(r[0] for r in db.query("SELECT x FROM t")))
        reader.start()
        reader.join(timeout=5)
        seen.append(f"{tag}:{sorted(rows)}")

    with db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        with db.transaction() as inner:  # a nested block joins the outer transaction
            inner.execute("INSERT INTO t VALUES (2)")
            db.after_commit(lambda: record("inner"))
        db.after_commit(lambda: record("outer"))
        assert seen == []
    assert seen == ["inner:[1, 2]", "outer:[1, 2]"]

    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (3)")
        db.after_commit(lambda: record("rolled back"))
        raise RuntimeError("abort")
    db.after_commit(lambda: seen.append("outside"))  # no transaction: at once
    assert seen[2:] == ["outside"]

    def failing() -> None:
        raise ValueError("boom")

    with db.transaction() as conn:  # a failing step is logged; the write stays committed
        conn.execute("INSERT INTO t VALUES (4)")
        db.after_commit(failing)
    assert [r[0] for r in db.query("SELECT x FROM t ORDER BY x")] == [1, 2, 4]
    db.close()
