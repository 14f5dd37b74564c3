"""PostgreSQL as the store: the SQLite-dialect SQL translated, the migrations, all-or-nothing writes,
the upgrade of an old database, and the same answers as SQLite (tests/pg.py starts the cluster).

The translator tests run without a server; the others use the ``pg_url`` fixture (a fresh database
on a throw-away cluster) and skip where Debian's ``postgresql`` package is not installed.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from indexing.encoders.hashing import HashingEncoder
from kb.errors import InvalidInputError
from kb.schema import ALL_MIGRATIONS
from kb.service import LeianService
from kb.settings import Settings, load_settings
from kb.storage.db import Database
from kb.storage.migrate import Migration, MigrationError
from kb.storage.pg_dialect import Table, TranslationError, Translator
from tests.helpers import ROWS, rows
from tests.kb.storage.test_upgrade import load_fixture

pg = pytest.mark.postgres


def _sql(statement: str, catalog: dict[str, Table] | None = None, params: bool = True) -> str:
    t = Translator()
    t.set_catalog(catalog or {})
    (out,) = t.translate(statement, params)
    return out.sql


# -- the translator (no server) ---------------------------------------------------------------------


def test_placeholders_and_percent_signs() -> None:
    assert _sql("SELECT a FROM t WHERE b LIKE ? || '%' AND c = ?") == (
        """SELECT "a" FROM "t" WHERE "b" LIKE %s || '%%' AND "c" = %s"""
    )
    assert _sql("SELECT a FROM t WHERE b = :day", params=True).endswith('"b" = %(day)s')
    assert "%%" not in _sql("SELECT '100%' FROM t", params=False)  # psycopg parses % only with params


def test_in_lists_of_any_length_share_one_translation() -> None:
    t = Translator()
    template = "SELECT id FROM cases WHERE status IN ('a', 'b:c') AND id IN ({}) AND x LIKE ? || '%' AND y IN ({})"
    first = t.translate(template.format("?, ?, ?", "?,?"), True)[0].sql
    assert first == (
        """SELECT "id" FROM "cases" WHERE "status" IN ('a', 'b:c') AND "id" IN (%s, %s, %s) """
        """AND "x" LIKE %s || '%%' AND "y" IN (%s, %s)"""
    )
    parsed = len(t._cache)
    wide = t.translate(template.format(",".join("?" * 900), "?"), True)[0].sql
    assert wide.count("%s") == 902 and wide.endswith('"y" IN (%s)')
    assert len(t._cache) == parsed + 1  # the collapsed statement was translated once, then reused
    # a quoted "?" or a named parameter: translated as written
    assert _sql("SELECT id FROM t WHERE a = '?' AND id IN (?, ?)").endswith("IN (%s, %s)")
    assert _sql("SELECT id FROM t WHERE a = :a AND id IN (?, ?)").count("%s") == 2


def test_insert_or_ignore_and_or_replace_become_on_conflict() -> None:
    catalog = {"v": Table(("case_id", "encoder", "vector"), ("case_id", "encoder"), None)}
    assert _sql("INSERT OR IGNORE INTO v(case_id, encoder) VALUES (?, ?)", catalog).endswith("ON CONFLICT DO NOTHING")
    replaced = _sql("INSERT OR REPLACE INTO v(case_id, encoder, vector) VALUES (?, ?, ?)", catalog)
    assert replaced.endswith('ON CONFLICT("case_id", "encoder") DO UPDATE SET "vector" = "excluded"."vector"')
    with pytest.raises(TranslationError, match="没有主键"):
        _sql("INSERT OR REPLACE INTO nokey(a) VALUES (?)", {"nokey": Table(("a",), (), None)})


def test_executemany_statements_with_a_copy_plan() -> None:
    t = Translator()
    t.set_catalog(
        {
            "v": Table(("case_id", "encoder", "vector"), ("case_id", "encoder"), None),
            "c": Table(("id", "name", "stage"), ("id",), "id"),
        }
    )
    plan = t.copy_plan("INSERT INTO c(name, stage) VALUES (?, ?)")
    assert plan is not None and (plan.kind, plan.columns, plan.keys, plan.reseed) == (
        "insert",
        ("name", "stage"),
        (),
        None,
    )
    plan = t.copy_plan("INSERT INTO c(id, name) VALUES (?, ?)")
    assert plan is not None and plan.reseed == "c.id"  # explicit ids: the identity moves past them
    plan = t.copy_plan("INSERT OR REPLACE INTO v(case_id, encoder, vector) VALUES (?, ?, ?)")
    assert plan is not None and (plan.kind, plan.keys) == ("replace", ("case_id", "encoder"))
    assert t.copy_plan("INSERT OR IGNORE INTO v(case_id, encoder) VALUES (?, ?)").kind == "ignore"  # type: ignore[union-attr]
    plan = t.copy_plan("UPDATE c SET stage = ?, name = ? WHERE id = ?")
    assert plan is not None and (plan.kind, plan.columns, plan.keys) == ("update", ("stage", "name", "id"), ("id",))
    for sql in (
        "INSERT INTO c(name, stage) VALUES (?, 'new')",  # a literal among the values
        "INSERT INTO c(name) VALUES (?) ON CONFLICT(name) DO NOTHING",
        "INSERT OR REPLACE INTO v(case_id, vector) VALUES (?, ?)",  # not the whole primary key
        "INSERT INTO missing(a) VALUES (?)",  # not in the catalog
        "INSERT INTO c(name, nope) VALUES (?, ?)",
        "UPDATE c SET stage = stage || ? WHERE id = ?",  # an expression
        "UPDATE c SET stage = ? WHERE id > ?",
        "UPDATE c SET stage = ? WHERE id = ? OR name = ?",
        "UPDATE c SET stage = ?",
        "DELETE FROM c WHERE id = ?",
    ):
        assert t.copy_plan(sql) is None, sql


def test_identity_tables_return_the_new_id() -> None:
    catalog = {"cases": Table(("id", "title"), ("id",), "id")}
    t = Translator()
    t.set_catalog(catalog)
    (plain,) = t.translate("INSERT INTO cases(title) VALUES (?)", True)
    assert plain.returns_id and plain.sql.endswith('RETURNING "id"') and plain.reseed is None
    (explicit,) = t.translate("INSERT INTO cases(id, title) VALUES (?, ?)", True)
    assert explicit.reseed == "cases.id"  # the sequence moves past an explicit id, as SQLite's max + 1


def test_ddl_types_identity_and_hidden_rowid() -> None:
    made = _sql("CREATE TABLE a (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0, x REAL, b BLOB)", params=False)
    assert made == (
        'CREATE TABLE "a" ("id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, '
        '"n" BIGINT NOT NULL DEFAULT 0, "x" DOUBLE PRECISION, "b" BYTEA)'
    )
    keyed = _sql("CREATE TABLE u (name TEXT PRIMARY KEY, kind TEXT)", params=False)
    assert '"rowid" BIGINT GENERATED BY DEFAULT AS IDENTITY' in keyed
    catalog = {"u": Table(("name", "kind"), ("name",), None), "c": Table(("id",), ("id",), "id")}
    assert _sql("SELECT name FROM u ORDER BY rowid", catalog).endswith('ORDER BY "rowid" NULLS FIRST')
    assert _sql("SELECT c.rowid FROM c", catalog) == 'SELECT "c"."id" FROM "c"'


def test_integers_in_conditions_and_conditions_as_integers() -> None:
    assert _sql("SELECT id FROM t WHERE active AND NOT flag OR ?") == (
        'SELECT "id" FROM "t" WHERE ("active" <> 0) AND NOT ("flag" <> 0) OR (%s <> 0)'
    )
    assert _sql("SELECT SUM(a = b) FROM t") == 'SELECT SUM(CAST("a" = "b" AS INT)) FROM "t"'
    assert "WHEN 'x' THEN" in _sql("SELECT CASE s WHEN 'x' THEN 1 END FROM t")  # a simple CASE keeps its values


def test_sqlite_date_functions() -> None:
    assert _sql("SELECT date(d, '+30 days') FROM t") == (
        """SELECT TO_CHAR((CAST(SUBSTRING(CAST("d" AS TEXT) FROM 1 FOR 19) AS TIMESTAMP)) + INTERVAL '30 DAY', """
        """'YYYY-MM-DD') FROM "t\""""
    )
    stamp = _sql("SELECT strftime('%Y-%m-%dT%H:%M:%S+08:00', 'now', '+8 hours')", params=False)
    assert "CURRENT_TIMESTAMP AT TIME ZONE 'UTC'" in stamp and """'YYYY-MM-DD"T"HH24:MI:SS+08:00'""" in stamp
    with pytest.raises(TranslationError, match="修饰符"):
        _sql("SELECT date(d, 'start of month') FROM t")


def test_the_setting_accepts_only_postgresql_urls() -> None:
    assert (
        load_settings({"LEIAN_DATABASE_URL": "postgresql://leian@db/leian"}).database == "postgresql://leian@db/leian"
    )
    assert isinstance(load_settings({}).database, Path)  # unset: the SQLite file in the data directory
    with pytest.raises(InvalidInputError, match="LEIAN_DATABASE_URL"):
        load_settings({"LEIAN_DATABASE_URL": "mysql://x"})


# -- on a server --------------------------------------------------------------------------------------


@pg
def test_every_migration_applies_in_order_and_once(pg_url: str) -> None:
    db = Database(pg_url, migrations=ALL_MIGRATIONS)
    try:
        assert db.dialect == "postgresql"
        assert db.applied == [m.version for m in ALL_MIGRATIONS]
        recorded = db.query("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [(r["version"], r[1]) for r in recorded] == [(m.version, m.name) for m in ALL_MIGRATIONS]
    finally:
        db.close()
    again = Database(pg_url, migrations=ALL_MIGRATIONS)
    assert again.applied == []
    again.close()


@pg
def test_processes_opening_a_fresh_database_at_once_apply_each_step_once(pg_url: str) -> None:
    # Several workers starting together: the migrations run under a session advisory lock, so the
    # later ones wait and then find every step recorded (without it they collide on a step's row).
    opened: list[Database] = []
    failed: list[BaseException] = []
    start = threading.Barrier(3)

    def open_db() -> None:
        start.wait()
        try:
            opened.append(Database(pg_url, migrations=ALL_MIGRATIONS))
        except BaseException as exc:  # reported below
            failed.append(exc)

    threads = [threading.Thread(target=open_db) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert failed == []
        assert sorted(len(db.applied) for db in opened) == [0, 0, len(ALL_MIGRATIONS)]
        versions = opened[0].query_column("SELECT version FROM schema_migrations ORDER BY version")
        assert versions == [m.version for m in ALL_MIGRATIONS]
        # the lock is released: a later open (and a write) does not wait for it
        held = opened[0].query_one("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert held is not None and held[0] == 0
    finally:
        for db in opened:
            db.close()


@pg
def test_a_connection_dropped_by_a_server_restart_is_opened_again() -> None:
    from tests import pg as pg_cluster

    cluster = pg_cluster.Cluster().start()  # its own server: the restart must not cut other tests
    try:
        db = Database(cluster.new_database(), migrations=ALL_MIGRATIONS)
        try:
            assert db.query_one("SELECT COUNT(*) FROM cases")[0] == 0  # type: ignore[index]
            cluster.restart()
            assert db.query_one("SELECT COUNT(*) FROM cases")[0] == 0  # type: ignore[index]  # re-opened, read again
            assert db._conn.reconnects == 1  # type: ignore[attr-defined]
            # a transaction the restart cuts: a clear error, nothing stored, the next one works
            cut = pytest.raises(sqlite3.OperationalError, match=r"连接已断开.*事务未提交")
            with cut, db.transaction() as conn:
                conn.execute("INSERT INTO meta(key, value) VALUES ('a', '1')")
                cluster.restart()
                conn.execute("INSERT INTO meta(key, value) VALUES ('b', '2')")
            with db.transaction() as conn:
                conn.execute("INSERT INTO meta(key, value) VALUES ('c', '3')")
            assert db.query_column("SELECT key FROM meta WHERE key IN ('a', 'b', 'c')") == ["c"]
            # the server down: a clear error; up again: the next call works
            cluster.stop_server()
            with pytest.raises(sqlite3.OperationalError, match="连接已断开"):
                db.query("SELECT 1")
            cluster.start_server()
            assert db.query_column("SELECT value FROM meta WHERE key = 'c'") == ["3"]
            # every connection of the pool was dropped: each opens again on its next use
            sleepers = [threading.Thread(target=db.query, args=("SELECT pg_sleep(1)",)) for _ in range(2)]
            for t in sleepers:
                t.start()
            for t in sleepers:
                t.join()
            assert len(db._pool.all) >= 2
            cluster.restart()
            answers: list[list[Any]] = []
            readers = [
                threading.Thread(
                    target=lambda: answers.append(db.query_column("SELECT value FROM meta WHERE key = 'c'"))
                )
                for _ in range(3)
            ]
            for t in readers:
                t.start()
            for t in readers:
                t.join()
            assert answers == [["3"]] * 3
            with db.transaction() as conn:
                conn.execute("INSERT INTO meta(key, value) VALUES ('d', '4')")
            assert sorted(db.query_column("SELECT key FROM meta WHERE key IN ('c', 'd')")) == ["c", "d"]
        finally:
            db.close()
    finally:
        cluster.stop()


def _active_sleeps(db: Database) -> int:
    found = db.query_column(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
        "AND query ILIKE '%pg_sleep%'"
    )
    return int(found[0])


def _wait_for(check: Any, what: str) -> None:
    for _ in range(600):  # a bound for a stuck test, not a timing assertion
        if check():
            return
        threading.Event().wait(0.05)
    raise AssertionError(f"never reached: {what}")


@pg
def test_threads_of_one_process_share_a_pool_of_connections(pg_url: str) -> None:
    """Reads of several threads run at once on their own connections (at most ``pool_size``);
    a thread's transaction keeps its connection, its reads see its writes, other threads read
    what is committed meanwhile; writers from many threads stay serialised (no lost update)."""
    db = Database(pg_url, migrations=ALL_MIGRATIONS, pool_size=3)
    try:
        sleepers = [threading.Thread(target=db.query, args=("SELECT pg_sleep(3)",)) for _ in range(2)]
        for t in sleepers:
            t.start()
        _wait_for(lambda: _active_sleeps(db) == 2, "two reads in flight at once")  # a third connection asks
        for t in sleepers:
            t.join()
        assert len(db._pool.all) == 3

        db.query("SELECT 1")  # a single-threaded caller keeps reusing one connection
        with db.transaction() as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES ('n', '0')")
        in_tx, seen_outside = threading.Event(), []
        release = threading.Event()

        def writer() -> None:
            with db.transaction() as conn:
                conn.execute("UPDATE meta SET value = '100' WHERE key = 'n'")
                assert db.query_column("SELECT value FROM meta WHERE key = 'n'") == ["100"]  # its own write
                in_tx.set()
                release.wait(30)

        w = threading.Thread(target=writer)
        w.start()
        in_tx.wait(30)
        seen_outside.append(db.query_column("SELECT value FROM meta WHERE key = 'n'"))  # not blocked by it
        release.set()
        w.join()
        assert seen_outside == [["0"]]

        def bump() -> None:
            for _ in range(5):
                with db.transaction() as conn:
                    value = int(conn.execute("SELECT value FROM meta WHERE key = 'n'").fetchone()[0])
                    conn.execute("UPDATE meta SET value = ? WHERE key = 'n'", (str(value + 1),))

        bumpers = [threading.Thread(target=bump) for _ in range(6)]
        for t in bumpers:
            t.start()
        for t in bumpers:
            t.join()
        assert db.query_column("SELECT value FROM meta WHERE key = 'n'") == ["130"]
        assert len(db._pool.all) == 3  # never more than pool_size
    finally:
        db.close()


@pg
def test_a_failing_step_rolls_back_and_records_nothing(pg_url: str) -> None:
    good = Migration(1, "good", "CREATE TABLE good (x INTEGER);")
    bad = Migration(2, "bad", "CREATE TABLE half (x INTEGER);\nINSERT INTO no_such_table VALUES (1);")
    with pytest.raises(MigrationError, match="迁移 2（bad）失败"):
        Database(pg_url, migrations=[good, bad])
    db = Database(pg_url, migrations=[good])
    try:
        assert [r[0] for r in db.query("SELECT version FROM schema_migrations")] == [1]
        tables = {r[0] for r in db.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        assert "good" in tables and "half" not in tables  # DDL is transactional on PostgreSQL too
    finally:
        db.close()


@pg
def test_rows_lastrowid_errors_and_the_append_only_audit(pg_url: str) -> None:
    db = Database(pg_url, migrations=ALL_MIGRATIONS)
    try:
        with db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO users(username, role, created_at) VALUES (?, ?, ?)", ("张三", "admin", "2026-01-01")
            )
            first = cur.lastrowid
            second = conn.execute(
                "INSERT INTO users(username, role, created_at) VALUES (?, ?, ?)", ("李四", "handler", "2026-01-01")
            ).lastrowid
        assert first is not None and second == first + 1
        row = db.query_one("SELECT id, username AS Name, active FROM users WHERE id = ?", (first,))
        assert row is not None and row[1] == row["name"] == row["Name"] == "张三" and row["active"] == 1
        assert dict(row) == {"id": first, "Name": "张三", "active": 1}  # the alias keeps its case, as in SQLite
        a, b, c = row
        assert (a, b, c) == (first, "张三", 1)
        # SUM over BIGINT is numeric on PostgreSQL; it reads back as SQLite's int.
        total = db.query_one("SELECT SUM(active), AVG(active), COUNT(*) FROM users")
        assert total is not None and tuple(total) == (2, 1.0, 2) and isinstance(total[0], int)
        with pytest.raises(sqlite3.IntegrityError), db.transaction() as conn:
            conn.execute("INSERT INTO users(username, role, created_at) VALUES (?, ?, ?)", ("张三", "x", "y"))
        with db.transaction() as conn:  # the failed transaction left nothing behind and the connection usable
            conn.execute(
                "INSERT INTO audit_events(at, username, action) VALUES (?, ?, ?)", ("2026-01-01", "张三", "login")
            )
        with pytest.raises(sqlite3.DatabaseError, match="append-only"), db.transaction() as conn:
            conn.execute("DELETE FROM audit_events")
        assert db.query_one("SELECT COUNT(*) FROM audit_events")[0] == 1  # type: ignore[index]
    finally:
        db.close()


_COPY_SCHEMA = (
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, v REAL, b BLOB, flag INTEGER)",
    "CREATE TABLE kv (k TEXT NOT NULL, n INTEGER NOT NULL, v TEXT, PRIMARY KEY (k, n))",
    "CREATE TABLE bumps (n INTEGER NOT NULL)",
    "INSERT INTO bumps(n) VALUES (0)",
    "CREATE TRIGGER t_bump AFTER UPDATE ON t BEGIN UPDATE bumps SET n = n + 1; END",
)
_COPY_SQL = ";\n".join(_COPY_SCHEMA) + ";"


def _copy_batches(db: Database) -> list[Any]:
    """The ``executemany`` forms with a COPY plan on PostgreSQL, with what each returns."""
    n = 24  # above kb.storage.postgres.COPY_MIN_ROWS
    out: list[Any] = []
    with db.transaction() as conn:
        names = [(f"名{i}\t|\n|\\|'|%s|", i / 3, bytes([i, 0, 255]), i % 2 == 0) for i in range(n)]
        names.append(("空值", None, None, None))
        before = conn.total_changes
        out.append(conn.executemany("INSERT INTO t(name, v, b, flag) VALUES (?, ?, ?, ?)", names).rowcount)
        out.append(
            conn.executemany("INSERT INTO t(id, name) VALUES (?, ?)", [(100 + i, f"x{i}") for i in range(n)]).rowcount
        )
        out.append(conn.execute("INSERT INTO t(name) VALUES ('之后')").lastrowid)  # past the explicit ids
        # OR IGNORE: conflicts with stored rows and within the batch, the first one stays (kv has no
        # identity: on PostgreSQL a conflicting row still takes an identity value, by COPY or not)
        conn.executemany("INSERT INTO kv(k, n, v) VALUES (?, ?, ?)", [(f"k{i}", 0, "旧") for i in range(n)])
        ignored = [(f"k{i % (n + 5)}", 0, f"新{i}") for i in range(n // 2, 2 * n)]
        out.append(conn.executemany("INSERT OR IGNORE INTO kv(k, n, v) VALUES (?, ?, ?)", ignored).rowcount)
        updates = [(1.5, 7, i) for i in range(1, n + 10)] + [(2.5, 8, 1)]  # id 1 twice: the last one stays
        conn.executemany("UPDATE t SET v = ?, flag = ? WHERE id = ?", updates)
        for rounds in range(2):
            rows = [(f"k{i % 7}", i % 3 + 1, f"v{rounds}-{i}") for i in range(n + 10)]  # repeated keys: last wins
            conn.executemany("INSERT OR REPLACE INTO kv(k, n, v) VALUES (?, ?, ?)", rows)
        out.append(conn.total_changes - before > 0)
    with pytest.raises(sqlite3.IntegrityError), db.transaction() as conn:  # all or nothing
        conn.executemany("INSERT INTO t(name) VALUES (?)", [(f"没有{i}",) for i in range(n)])
        conn.executemany("INSERT INTO t(name) VALUES (?)", [(f"x{i}",) for i in range(n)])  # already stored
    out.append(db.query_column("SELECT COUNT(*) FROM t WHERE name LIKE '没有%'"))
    out.append([tuple(r) for r in db.query("SELECT id, name, v, b, flag FROM t ORDER BY id")])
    out.append([tuple(r) for r in db.query("SELECT k, n, v FROM kv ORDER BY k, n")])
    out.append(db.query_column("SELECT n > 0 FROM bumps"))
    return out


@pg
def test_executemany_by_copy_stores_what_sqlite_stores(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inserts, OR IGNORE, OR REPLACE and keyed UPDATEs sent by COPY: the same ids, values, counts
    and trigger effects as SQLite running the statements one by one, and as the pipelined
    statements without COPY; inside the transaction (a failure leaves nothing)."""
    from kb.storage import postgres
    from tests import pg as pg_cluster

    assert postgres.COPY_MIN_ROWS <= 24
    results = []
    for target, min_rows in ((str(tmp_path / "copy.db"), 0), (pg_url, postgres.COPY_MIN_ROWS), (None, 10**9)):
        monkeypatch.setattr(postgres, "COPY_MIN_ROWS", min_rows)  # 10**9: every executemany pipelined
        db = Database(target or pg_cluster.shared().new_database(), migrations=[Migration(1, "copy", _COPY_SQL)])
        try:
            results.append(_copy_batches(db))
            if db.dialect == "postgresql":
                assert (db._conn._copies > 0) == (min_rows <= 24)  # type: ignore[attr-defined]
        finally:
            db.close()
    lite, post, pipelined = results
    assert post == lite
    assert post == pipelined


def _service(tmp: Path, url: str | None) -> LeianService:
    settings = Settings(data_dir=tmp, petitioner_key="test-secret-key", threads=1, database_url=url)
    return LeianService(settings, encoder=HashingEncoder())


@pg
def test_an_import_that_fails_in_the_database_writes_nothing(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing: the cases were inserted when the vectors failed; none of it is stored."""
    from kb.storage.cases import CaseRepository

    svc = _service(tmp_path, pg_url)
    try:

        def broken(self: Any, conn: Any, encoder: str, rows: Any) -> None:
            assert conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 6  # written, not committed
            raise sqlite3.OperationalError("disk I/O error (injected)")

        monkeypatch.setattr(CaseRepository, "save_vectors", broken)
        with pytest.raises(sqlite3.OperationalError, match="injected"):
            svc.ingest(rows())
        assert svc.cases.count() == 0
        assert svc.db.query_one("SELECT COUNT(*) FROM case_status_log")[0] == 0  # type: ignore[index]
        monkeypatch.undo()
        report = svc.ingest(rows())
        assert report.created == len(ROWS) and svc.cases.count() == len(ROWS)
    finally:
        svc.close()


@pg
def test_the_same_import_and_searches_answer_the_same_on_both(pg_url: str, tmp_path: Path) -> None:
    lite, post = _service(tmp_path / "lite", None), _service(tmp_path / "pg", pg_url)
    try:
        for svc in (lite, post):
            svc.ingest(rows())
            svc.ingest(rows([dict(r, status="closed") if i == 1 else r for i, r in enumerate(ROWS)]))
        assert post.db.dialect == "postgresql" and lite.db.dialect == "sqlite"
        for query in ("包工头拖欠工资不给", "物业费", "征地补偿"):
            a = [(h.case.external_no, round(h.score, 6)) for h in lite.search(text=query, k=5)]
            b = [(h.case.external_no, round(h.score, 6)) for h in post.search(text=query, k=5)]
            assert a == b
        case = lite.get_case_by_external("T-002")
        other = post.get_case_by_external("T-002")
        assert (case.status, case.stage, case.due_date) == (other.status, other.stage, other.due_date)
    finally:
        lite.close()
        post.close()


def _tables(db: Database) -> dict[str, list[tuple]]:
    if db.dialect == "sqlite":
        names = [
            r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ]
    else:
        names = [r[0] for r in db.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
    out = {}
    for name in names:
        if name == "schema_migrations":
            out[name] = sorted(tuple(r)[:2] for r in db.query("SELECT version, name FROM schema_migrations"))
            continue
        out[name] = sorted((tuple(r) for r in db.query(f'SELECT * FROM "{name}"')), key=repr)
    return out


def _undated(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Values written from the clock while a step ran (migration 10's ``upgrade`` move) are dropped."""
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date().isoformat()
    return {
        t: sorted(
            (tuple(v for v in r if not (isinstance(v, str) and v.startswith(today) and len(v) > 10)) for r in rows),
            key=repr,
        )
        for t, rows in tables.items()
    }


@pg
def test_upgrading_an_old_database_gives_the_same_tables_on_both(pg_url: str, tmp_path: Path) -> None:
    """The a17accf database (versions 1-7) upgraded by the current code: on SQLite in place, and on
    PostgreSQL after copying it over (kb/storage/transfer.py) — every table holds the same rows."""
    from kb.storage.transfer import copy_sqlite_to_postgres

    old = load_fixture(tmp_path / "old")
    copied = copy_sqlite_to_postgres(old, pg_url, ALL_MIGRATIONS)
    assert copied["cases"] == 40 and copied["audit_events"] > 0
    with pytest.raises(Exception, match="已有数据"):
        copy_sqlite_to_postgres(old, pg_url, ALL_MIGRATIONS)

    lite_db = Database(old, migrations=ALL_MIGRATIONS)
    post_db = Database(pg_url, migrations=ALL_MIGRATIONS)
    try:
        assert lite_db.applied == post_db.applied == [m.version for m in ALL_MIGRATIONS if m.version > 7]
        lite, post = _undated(_tables(lite_db)), _undated(_tables(post_db))
        assert set(lite) == set(post)
        for table in lite:
            assert post[table] == lite[table], table
    finally:
        lite_db.close()
        post_db.close()
    # ...and the services read it: old tokens log in, the cases have their lifecycle.
    svc = _service(tmp_path / "svc", pg_url)
    try:
        assert svc.db.applied == [] and svc.cases.count() == 40
        assert svc.users.by_username("u_admin") is not None
        assert all(svc.lifecycle.state(i).transitions for i in svc.cases.all_ids())
        assert svc.search(text="视同缴费年限核定", k=5)
    finally:
        svc.close()


def test_the_file_backup_refuses_a_postgresql_store(tmp_path: Path) -> None:
    from kb.backup import backup, restore
    from kb.errors import ConflictError

    settings = Settings(data_dir=tmp_path, petitioner_key="k", threads=1, database_url="postgresql://leian@db/leian")
    with pytest.raises(ConflictError, match="pg_dump"):
        backup(settings, tmp_path / "b")
    with pytest.raises(ConflictError, match="pg_dump"):
        restore(settings, tmp_path / "b")


def test_sqlite_triggers_become_plpgsql() -> None:
    t = Translator()
    create = t.translate(
        "CREATE TRIGGER stop BEFORE UPDATE OF status ON cases WHEN NEW.id = 5 BEGIN SELECT RAISE(ABORT, 'boom'); END",
        False,
    )
    assert [s.sql.split(" ")[1] for s in create] == ["OR", "TRIGGER"]
    assert create[1].sql == (
        'CREATE TRIGGER "stop" BEFORE UPDATE OF STATUS ON "cases" FOR EACH ROW WHEN (NEW.id = 5) '
        'EXECUTE FUNCTION "stop_fn"()'
    )
    (drop,) = t.translate("DROP TRIGGER stop", False)
    assert drop.sql.startswith("DO $$") and "FROM pg_trigger WHERE tgname = 'stop'" in drop.sql


def test_counter_triggers_become_statement_triggers() -> None:
    """An AFTER trigger whose body reads no row runs its translated statements once per statement."""
    t = Translator()
    create = t.translate(
        "CREATE TRIGGER bump AFTER UPDATE OF city, status ON cases BEGIN "
        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'n'; END",
        False,
    )
    assert create[0].sql == (
        'CREATE OR REPLACE FUNCTION "bump_fn"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
        'UPDATE "meta" SET "value" = CAST("value" AS INT) + 1 WHERE "key" = \'n\'; RETURN NULL; END $$'
    )
    assert create[1].sql == (
        'CREATE TRIGGER "bump" AFTER UPDATE OF CITY, STATUS ON "cases" FOR EACH STATEMENT EXECUTE FUNCTION "bump_fn"()'
    )
    # A body that reads the row is not this form (and not translated silently as a statement trigger).
    with pytest.raises(TranslationError):
        t.translate("CREATE TRIGGER log AFTER INSERT ON cases BEGIN INSERT INTO x(id) VALUES (NEW.id); END", False)


def test_the_pool_size_is_a_setting(pg_url: str, tmp_path: Path) -> None:
    settings = load_settings(
        env={"LEIAN_DB_POOL_SIZE": "2"}, data_dir=tmp_path, database_url=pg_url, petitioner_key="k"
    )
    service = LeianService(settings, encoder=HashingEncoder(), open_index=False)
    try:
        assert settings.db_pool_size == 2 and service.db._pool.size == 2
    finally:
        service.close()
    with pytest.raises(InvalidInputError, match="LEIAN_DB_POOL_SIZE"):
        load_settings(env={"LEIAN_DB_POOL_SIZE": "0"})
