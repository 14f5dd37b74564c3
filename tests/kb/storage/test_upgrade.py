"""Upgrading a database written by release a17accf loses nothing; the migration runner's contract.

The fixture tests/fixtures/db_a17accf.sql was produced by a17accf's own code (see
tests/fixtures/make_db_a17accf.py); here the current code opens it.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexing.encoders.hashing import HashingEncoder
from kb.audit import AuditFilter
from kb.schema import ALL_MIGRATIONS, DECLARED
from kb.scope import Scope
from kb.service import LeianService
from kb.settings import Settings
from kb.storage.db import Database
from kb.storage.migrate import Migration, MigrationError, MigrationOrderError, assemble, check_order
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
Snapshot = dict[str, tuple[list[str], list[tuple]]]


def load_fixture(data_dir: Path) -> Path:
    """A fresh SQLite file holding exactly what a17accf wrote."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db_path = data_dir / "leian.db"
    conn = sqlite3.connect(str(db_path))
    try:
        conn.executescript((FIXTURES / "db_a17accf.sql").read_text(encoding="utf-8"))
    finally:
        conn.close()
    return db_path


def snapshot(db_path: Path) -> Snapshot:
    """Every table's column names and rows (sorted), read with plain sqlite3."""
    conn = sqlite3.connect(str(db_path))
    try:
        out: Snapshot = {}
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for (table,) in tables.fetchall():
            cur = conn.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cur.description]
            out[table] = (columns, sorted(cur.fetchall(), key=repr))
        return out
    finally:
        conn.close()


def records(snap: Snapshot, table: str) -> list[dict]:
    columns, rows = snap[table]
    return [dict(zip(columns, row, strict=True)) for row in rows]


def open_service(data_dir: Path) -> LeianService:
    return LeianService(Settings(data_dir=data_dir, petitioner_key="k", threads=1), encoder=HashingEncoder())


@pytest.fixture(scope="module")
def credentials() -> dict:
    return json.loads((FIXTURES / "db_a17accf.json").read_text(encoding="utf-8"))


@pytest.fixture
def old(tmp_path: Path) -> tuple[Path, Snapshot]:
    db_path = load_fixture(tmp_path / "data")
    return tmp_path / "data", snapshot(db_path)


@pytest.fixture
def upgraded(old: tuple[Path, Snapshot]) -> Iterator[tuple[LeianService, Snapshot]]:
    data_dir, before = old
    svc = open_service(data_dir)
    yield svc, before
    svc.close()


def test_fixture_is_a_realistic_a17accf_database(old: tuple[Path, Snapshot]) -> None:
    _, before = old
    assert [r[0] for r in sorted(before["schema_migrations"][1])] == [1, 2, 3, 4, 5, 6, 7]
    for table in (
        "cases",
        "case_vectors",
        "users",
        "api_tokens",
        "sessions",
        "audit_events",
        "case_groups",
        "group_members",
        "group_decisions",
        "case_decisions",
        "group_pool_pins",
        "model_cases",
        "model_case_versions",
        "case_assignments",
        "case_links",
        "litigation_tracks",
        "litigation_events",
        "leader_packages",
        "package_cases",
    ):
        assert before[table][1], f"the fixture has no rows in {table}"
    assert len(before["cases"][1]) == 40


def test_upgrade_from_a17accf_loses_nothing(old: tuple[Path, Snapshot]) -> None:
    data_dir, before = old
    recorded = {r[0] for r in before["schema_migrations"][1]}
    svc = open_service(data_dir)
    try:
        assert svc.db.applied == [m.version for m in ALL_MIGRATIONS if m.version not in recorded]
    finally:
        svc.close()
    after = snapshot(data_dir / "leian.db")
    for table, (columns, rows) in before.items():
        assert table in after, f"table {table} disappeared"
        new_columns, new_rows = after[table]
        if table == "schema_migrations":  # each new step adds its row; the recorded ones stay as they were
            assert set(rows) <= set(new_rows)
            continue
        if table == "meta":  # migration 29 adds the filter generation's counter row
            new_rows = [r for r in new_rows if r[new_columns.index("key")] != "filter_generation"]
        assert len(new_rows) == len(rows), f"row count of {table} changed"
        # A later migration may add columns; every column the old release had keeps its values.
        keep = [new_columns.index(c) for c in columns]
        assert sorted((tuple(r[i] for i in keep) for r in new_rows), key=repr) == rows, f"rows of {table} changed"
    versions = {r[0] for r in after["schema_migrations"][1]}
    assert versions == {m.version for m in ALL_MIGRATIONS}


def test_upgraded_cases_start_their_lifecycle_from_their_status(upgraded: tuple[LeianService, Snapshot]) -> None:
    """Migration 10: each old case gets the stage its status implies, statutory due dates and one
    ``upgrade`` move (dated when the step ran, by the system), so none is left without a lifecycle."""
    svc, before = upgraded
    expected = {"pending": "registered", "in_progress": "accepted"}
    for old_case in records(before, "cases"):
        state = svc.lifecycle.state(old_case["id"])
        assert state.stage == expected.get(old_case["status"], "replied")
        received = dt.date.fromisoformat(old_case["received_date"])
        days = {"registered": 15, "accepted": 60}.get(state.stage)
        assert state.due_date == ((received + dt.timedelta(days=days)).isoformat() if days else None)
        assert [(m.action, m.actor, m.from_stage) for m in state.transitions] == [("upgrade", "system", None)]
        if state.stage == "replied":
            assert state.request_until is not None


def test_upgraded_records_are_readable_through_the_services(
    upgraded: tuple[LeianService, Snapshot], credentials: dict
) -> None:
    svc, before = upgraded
    for old_case in records(before, "cases"):
        case = dataclasses.asdict(svc.get_case(old_case["id"]))
        assert {k: v for k, v in case.items() if k in old_case} == {k: old_case[k] for k in case if k in old_case}

    # Users log in with the tokens and passwords the old release issued.
    for name, token in credentials["tokens"].items():
        principal = svc.users.by_token(token)
        assert principal is not None and principal.username == name.split(":")[0]
    gz = svc.users.by_token(credentials["tokens"]["u_gz"])
    # The old city binding became a city scope; the other accounts stay provincial.
    assert gz is not None and gz.scope == Scope.city_of("广州市") and gz.unit == "广州市" and gz.role == "handler"
    admin = svc.users.by_username("u_admin")
    assert admin is not None and admin.scope.provincial and admin.unit is None
    assert svc.users.by_password("u_reviewer", credentials["password"]) is not None
    assert svc.sessions.login("u_admin", credentials["password"]) is not None

    # Groups: the renamed group with its batch decision, and the case pinned to the pool.
    groups = {g.name: g for g in svc.groups.list_groups()}
    renamed = groups["社保视同缴费年限（复核）"]
    assert renamed.name_manual and renamed.batch_status == "decided"
    members, total = svc.groups.members(renamed.id)
    assert total == sum(1 for r in records(before, "group_members") if r["group_id"] == renamed.id) and members
    assert all(c.status == "resolved" for c in members)
    pinned = records(before, "group_pool_pins")[0]["case_id"]
    pool, _ = svc.groups.unassigned(limit=100)
    assert pinned in {c.id for c in pool}

    # Model cases: the published library and the promoted draft, versions and history intact.
    old_mcs = records(before, "model_cases")
    items, n = svc.modelcases.page(statuses=["published", "draft", "retired"], limit=1000)
    assert n == len(old_mcs)
    assert {mc.code: mc.status for mc in items} == {r["code"]: r["status"] for r in old_mcs}
    published, _ = svc.modelcases.page(limit=1000)
    assert len(published) == sum(r["status"] == "published" for r in old_mcs) > 0
    for mc in items:
        versions, events = svc.modelcases.history(mc.code)
        assert len(versions) == mc.current_version and events

    # Workflow: assignment, litigation hand-over, the leader package.
    assigned = records(before, "case_assignments")[0]["case_id"]
    assert {a.unit for a in svc.workflow.assignments(assigned) if a.active} == {"佛山市", "市人社局", "市医保局"}
    handed = [r["case_id"] for r in records(before, "litigation_tracks") if r["status"] == "handed_over"]
    assert handed and svc.workflow.litigation_track(handed[0])["status"] == "handed_over"
    packages = svc.workflow.package_list()
    assert [p.leader for p in packages] == ["张副市长"]
    assert svc.workflow.repeat_list()

    # Audit: the old events are all there, still append-only.
    _, n_events = svc.audit.query(AuditFilter(), limit=1000)
    assert n_events >= len(before["audit_events"][1])
    with pytest.raises(sqlite3.DatabaseError), svc.db.transaction() as conn:
        conn.execute("DELETE FROM audit_events")

    # Search still answers from the upgraded data (vectors reused, index rebuilt).
    hits = svc.search(text="视同缴费年限核定", k=5)
    assert hits


def test_second_open_applies_nothing(old: tuple[Path, Snapshot]) -> None:
    data_dir, _ = old
    open_service(data_dir).close()
    svc = open_service(data_dir)
    try:
        assert svc.db.applied == []
    finally:
        svc.close()


def test_a_database_missing_the_last_step_gets_it_and_keeps_its_data(tmp_path: Path) -> None:
    """Like a database from before migration 7: the runner adds only what is missing."""
    db_path = load_fixture(tmp_path / "data")
    Database(db_path, migrations=ALL_MIGRATIONS).close()  # current, then step 7 taken away again
    conn = sqlite3.connect(str(db_path))
    conn.execute("DROP TABLE group_pool_pins")
    conn.execute("DELETE FROM schema_migrations WHERE version = 7")
    conn.commit()
    conn.close()
    before = snapshot(db_path)
    db = Database(db_path, migrations=ALL_MIGRATIONS)
    try:
        assert db.applied == [7]
        assert db.query("SELECT COUNT(*) FROM group_pool_pins")[0][0] == 0
    finally:
        db.close()
    after = snapshot(db_path)
    assert {t: after[t] for t in before if t != "schema_migrations"} == {
        t: v for t, v in before.items() if t != "schema_migrations"
    }


# -- the runner --------------------------------------------------------------------------------------


def _versions(db_path: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(str(db_path))
    try:
        return [(int(r[0]), r[1]) for r in conn.execute("SELECT version, name FROM schema_migrations ORDER BY version")]
    finally:
        conn.close()


def _tables(db_path: Path) -> set[str]:
    conn = sqlite3.connect(str(db_path))
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def test_the_stated_order_starts_with_versions_1_to_7_as_databases_recorded(old: tuple[Path, Snapshot]) -> None:
    _, before = old
    recorded = sorted((int(r[0]), r[1]) for r in before["schema_migrations"][1])
    assert [(m.version, m.name) for m in ALL_MIGRATIONS][: len(recorded)] == recorded
    assert all(m.version > recorded[-1][0] for m in ALL_MIGRATIONS[len(recorded) :])
    declared = sorted((m for steps in DECLARED.values() for m in steps), key=lambda m: m.version)
    assert declared == list(ALL_MIGRATIONS)


def test_a_fresh_database_applies_every_step_in_order(tmp_path: Path) -> None:
    db = Database(tmp_path / "fresh.db", migrations=ALL_MIGRATIONS)
    db.close()
    assert db.applied == [m.version for m in ALL_MIGRATIONS]
    assert _versions(tmp_path / "fresh.db") == [(m.version, m.name) for m in ALL_MIGRATIONS]
    # Steps run in list order: a later step may rely on an earlier one's table.
    steps = [
        Migration(1, "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);"),
        Migration(2, "b", "CREATE TABLE b (a_id INTEGER REFERENCES a(id)); INSERT INTO a(id) VALUES (1);"),
        Migration(5, "c", "INSERT INTO b(a_id) SELECT id FROM a;"),
    ]
    db = Database(tmp_path / "steps.db", migrations=steps)
    assert db.applied == [1, 2, 5] and db.query("SELECT a_id FROM b")[0][0] == 1
    db.close()
    again = Database(tmp_path / "steps.db", migrations=steps)
    assert again.applied == []
    again.close()


@pytest.mark.parametrize(
    ("versions", "words"),
    [((1, 2, 2), "重复"), ((1, 3, 2), "顺序"), ((0, 1), "正整数")],
)
def test_duplicate_or_out_of_order_lists_are_refused(tmp_path: Path, versions: tuple[int, ...], words: str) -> None:
    steps = [Migration(v, f"step {i}", f"CREATE TABLE t{i} (x);") for i, v in enumerate(versions)]
    with pytest.raises(MigrationOrderError, match=words):
        check_order(steps)
    with pytest.raises(MigrationOrderError, match=words):
        Database(tmp_path / "x.db", migrations=steps)
    assert not (tmp_path / "x.db").exists()


def test_assemble_refuses_a_step_not_placed_or_not_declared() -> None:
    a, b, c = (Migration(v, n, "SELECT 1;") for v, n in ((1, "a"), (2, "b"), (3, "c")))
    assert assemble([a, b, c], {"x": [a, c], "y": [b]}) == (a, b, c)
    with pytest.raises(MigrationOrderError, match="未列入总顺序"):
        assemble([a, b], {"x": [a, c], "y": [b]})
    with pytest.raises(MigrationOrderError, match="不属于任何功能模块"):
        assemble([a, b, c], {"x": [a, c]})
    with pytest.raises(MigrationOrderError, match="同时由"):
        assemble([a, b, c], {"x": [a, b, c], "y": [b]})
    with pytest.raises(MigrationOrderError, match="顺序"):
        assemble([a, c, b], {"x": [a, b, c]})


def test_a_failing_step_rolls_back_and_records_nothing(tmp_path: Path) -> None:
    good = Migration(1, "good", "CREATE TABLE good (x);")
    bad = Migration(2, "bad", "CREATE TABLE half (x);\nINSERT INTO no_such_table VALUES (1);")
    with pytest.raises(MigrationError, match="迁移 2（bad）失败"):
        Database(tmp_path / "m.db", migrations=[good, bad])
    assert _versions(tmp_path / "m.db") == [(1, "good")]
    assert "good" in _tables(tmp_path / "m.db") and "half" not in _tables(tmp_path / "m.db")
    fixed = Migration(2, "bad", "CREATE TABLE half (x);")
    db = Database(tmp_path / "m.db", migrations=[good, fixed])
    db.close()
    assert db.applied == [2] and _versions(tmp_path / "m.db") == [(1, "good"), (2, "bad")]


def test_storage_imports_no_feature() -> None:
    """kb/storage applies what it is given; the features and the stated order live above it."""
    features = ("kb.groups", "kb.modelcases", "kb.workflow", "kb.security", "kb.audit", "kb.sessions", "kb.schema")
    for path in (REPO / "kb" / "storage").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(features), f"{path.name} imports {name}"
