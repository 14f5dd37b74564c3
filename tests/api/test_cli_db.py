"""`leian db copy-to-postgres`: an embedded deployment's SQLite database moved into PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import cli, register_commands
from indexing.encoders.hashing import HashingEncoder
from kb.domain import SearchFilters
from kb.service import LeianService
from kb.settings import Settings
from tests.helpers import ROWS, rows

ENV = {"LEIAN_PETITIONER_KEY": "test-secret-key", "LEIAN_THREADS": "1", "LEIAN_ENCODER": "hashing"}


def _lite(data_dir: Path) -> Settings:
    # Always SQLite (also under --db=postgres): the copy's source.
    return Settings(data_dir=data_dir, petitioner_key="test-secret-key", threads=1, database_url=None)


def _invoke(*args: str) -> tuple[int, str]:
    register_commands()
    res = CliRunner().invoke(cli, list(args), env=ENV)
    return res.exit_code, res.output


def test_the_copy_refuses_a_missing_source_and_a_url_that_is_not_postgresql(tmp_path: Path) -> None:
    code, out = _invoke("--data-dir", str(tmp_path), "db", "copy-to-postgres", "--url", "mysql://x/y")
    assert code == 2 and "url" in out and "postgresql://" in out
    code, out = _invoke("--data-dir", str(tmp_path), "db", "copy-to-postgres", "--url", "postgresql://u@h/db")
    assert code == 2 and "源 SQLite 数据库不存在" in out and str(tmp_path / "leian.db") in out


@pytest.mark.postgres
def test_copy_to_postgres_moves_every_row_once(pg_url: str, tmp_path: Path) -> None:
    lite = LeianService(_lite(tmp_path / "lite"), encoder=HashingEncoder())
    try:
        lite.ingest(rows(ROWS))
        cases, pages = lite.cases.count(), lite.cases.page(SearchFilters(), limit=50)
        meta = lite.db.query("SELECT key, value FROM meta ORDER BY key")
    finally:
        lite.close()

    args = ("--data-dir", str(tmp_path / "lite"), "db", "copy-to-postgres", "--url", pg_url)
    code, out = _invoke(*args, "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["tables"]["cases"] == cases and report["rows"] == sum(report["tables"].values())
    assert report["tables"]["case_vectors"] == cases and report["tables"]["audit_events"] > 0

    moved = LeianService(_lite(tmp_path / "pg").with_(database_url=pg_url), encoder=HashingEncoder())
    try:
        assert moved.db.dialect == "postgresql" and moved.db.applied == []  # the source had every step
        assert moved.cases.count() == cases
        assert moved.cases.page(SearchFilters(), limit=50) == pages
        # meta (which migration 29 seeds on the target too) holds the source's values, once each
        assert [tuple(r) for r in moved.db.query("SELECT key, value FROM meta ORDER BY key")] == [
            tuple(r) for r in meta
        ]
    finally:
        moved.close()

    code, out = _invoke(*args)  # the target is not empty any more: refused, nothing written twice
    assert code == 2 and "已有数据" in out
