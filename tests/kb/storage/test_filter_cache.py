"""The filter cache (kb/storage/filter_cache.py): sound because triggers move its counter on every
write a filter can see, on SQLite and PostgreSQL; keyed on the day for the deadline filter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import sqlglot
from sqlglot import exp

from indexing.encoders.hashing import HashingEncoder
from kb.clock import FixedClock
from kb.domain import CaseUpdate, SearchFilters
from kb.fields import Status, filter_fields
from kb.schema import ALL_MIGRATIONS
from kb.scope import Scope
from kb.service import LeianService
from kb.settings import Settings
from kb.storage.cases import CaseRepository, filter_sql
from kb.storage.db import Database
from kb.storage.filter_cache import CASE_COLUMNS, SCOPE_TABLES, FilterCache, read_filter_generation
from tests.helpers import ROWS, rows

HR = "省人力资源社会保障厅"
TRANSPORT = "省交通运输厅"


def _service(tmp: Path, url: str | None = None) -> LeianService:
    settings = Settings(data_dir=tmp, petitioner_key="test-secret-key", threads=1, database_url=url)
    return LeianService(settings, encoder=HashingEncoder())


def _sample(name: str) -> object:
    f = next(f for f in filter_fields() if f.name == name)
    if f.filter == "date_range":
        return (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    if f.filter == "boolean":
        return True
    if f.filter == "deadline":
        return "overdue"
    return ("x",)


SCOPES = [
    Scope.city_of("广州市"),
    Scope.cities_of(["广州市", "深圳市"]),
    Scope.department_of(HR),
    Scope.zhengfa_of("政法委"),
]


def _read(where: str) -> dict[str, set[str]]:
    """Table -> columns a ``SELECT id FROM cases WHERE ...`` reads (unqualified columns are the
    nearest enclosing SELECT's table)."""
    tree = sqlglot.parse_one(f"SELECT id FROM cases WHERE {where}", read="sqlite")
    out: dict[str, set[str]] = {}
    for select in tree.find_all(exp.Select):
        table = select.find(exp.Table)
        assert table is not None
        out.setdefault(table.name, set())
        for column in select.find_all(exp.Column):
            if column.find_ancestor(exp.Select) is select:
                out[table.name].add(column.name)
    return out


def test_the_triggers_cover_every_column_and_table_a_filter_reads() -> None:
    """A new filterable column (or a scope reading a new table) without a new trigger fails here."""
    watched = {"cases": set(CASE_COLUMNS)} | {t: set(c) for t, c in SCOPE_TABLES.items()}
    assert {f.column for f in filter_fields()} <= watched["cases"]
    cases = [SearchFilters(by_field={f.name: _sample(f.name)}) for f in filter_fields()]
    cases += [SearchFilters(cities=["广州市"], scope=s) for s in SCOPES]
    for filters in cases:
        where, _ = filter_sql(filters, today=dt.date(2025, 6, 1))
        for table, columns in _read(where).items():
            assert table in watched, (filters, table)
            assert columns <= watched[table], (filters, table, columns - watched[table])


def test_the_migrated_schema_has_the_triggers_and_the_counter(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db", migrations=ALL_MIGRATIONS)
    try:
        names = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        for table in ("cases", *SCOPE_TABLES):
            for event in ("insert", "delete", "update"):
                assert f"filter_generation_{table}_{event}" in names
        assert read_filter_generation(db) == 0
    finally:
        db.close()


def test_the_combined_filter_uses_the_composite_index(tmp_path: Path) -> None:
    """city + status + received date: a covering index, not the status index and a row per match."""
    db = Database(tmp_path / "t.db", migrations=ALL_MIGRATIONS)
    try:
        filters = SearchFilters(cities=["广州市"], statuses=["resolved"], date_from=dt.date(2024, 1, 1))
        where, params = filter_sql(filters, today=dt.date(2025, 6, 1))
        plan = " ".join(str(r[3]) for r in db.query(f"EXPLAIN QUERY PLAN SELECT id FROM cases WHERE {where}", params))
        assert "COVERING INDEX ix_cases_city_status_received" in plan
    finally:
        db.close()


def _ids(svc: LeianService, filters: SearchFilters) -> set[int]:
    return set(svc.index.cases.filter_ids(filters).tolist())


def _external(svc: LeianService, filters: SearchFilters) -> set[str]:
    return {c.external_no for c in svc.cases.get_many(sorted(_ids(svc, filters))).values()}


def _writes_invalidate(svc: LeianService) -> None:
    """Each kind of write a filter can see moves the counter and the next lookup answers anew."""
    cache = svc.index.cases.filter_cache
    assert cache is not None
    svc.ingest(rows())
    pending = SearchFilters(statuses=["pending"])
    assert _external(svc, pending) == {"T-001", "T-004", "T-005"}
    hits = cache.hits
    assert _external(svc, pending) == {"T-001", "T-004", "T-005"}
    assert cache.hits == hits + 1  # no write: answered from the cache
    returned = svc.index.cases.filter_ids(pending)
    assert not returned.flags.writeable  # shared: nobody may change it in place

    case = svc.get_case_by_external("T-004")
    svc.update_case(case.id, CaseUpdate(status=Status("resolved")))  # a status change
    assert _external(svc, pending) == {"T-001", "T-005"}

    extra = dict(ROWS[0], external_no="T-101", status="pending")  # an import
    svc.ingest([(1, extra)])
    assert _external(svc, pending) == {"T-001", "T-005", "T-101"}

    svc.delete_case(svc.get_case_by_external("T-101").id)  # a delete
    assert _external(svc, pending) == {"T-001", "T-005"}

    # A department scope also sees the cases assigned to it: an assignment is a write it reads.
    scoped = SearchFilters(scope=Scope.department_of(TRANSPORT))
    assert _external(svc, scoped) == {"T-006"}
    svc.workflow.assign(svc.get_case_by_external("T-001").id, locality=None, departments=[TRANSPORT])
    assert _external(svc, scoped) == {"T-001", "T-006"}

    # A hand-written UPDATE through any connection: the triggers see it too.
    before = read_filter_generation(svc.db)
    with svc.db.transaction() as conn:
        conn.execute("UPDATE cases SET city = '深圳市' WHERE external_no = 'T-005'")
    assert read_filter_generation(svc.db) != before
    assert "T-005" in _external(svc, SearchFilters(cities=["深圳市"]))

    # A write to a column no filter reads leaves the cache alone.
    now = read_filter_generation(svc.db)
    with svc.db.transaction() as conn:
        conn.execute("UPDATE cases SET resolution_note = '已答复' WHERE external_no = 'T-002'")
    assert read_filter_generation(svc.db) == now


def test_every_kind_of_write_invalidates_the_cache_on_sqlite(tmp_path: Path) -> None:
    svc = _service(tmp_path)
    try:
        _writes_invalidate(svc)
    finally:
        svc.close()


def test_a_write_by_another_process_invalidates_this_ones_cache(tmp_path: Path) -> None:
    """Two databases opened on one file (as two processes would): the counter lives in the file."""
    svc = _service(tmp_path)
    other = Database(tmp_path / "leian.db", migrations=ALL_MIGRATIONS)
    try:
        svc.ingest(rows())
        city = SearchFilters(cities=["广州市"])
        assert _external(svc, city) == {"T-001", "T-003", "T-005"}
        with other.transaction() as conn:
            conn.execute("UPDATE cases SET city = '广州市' WHERE external_no = 'T-006'")
        assert _external(svc, city) == {"T-001", "T-003", "T-005", "T-006"}
    finally:
        other.close()
        svc.close()


def test_the_deadline_filter_is_keyed_on_the_day(tmp_path: Path) -> None:
    """No write happens at midnight, yet ``overdue`` changes: the day is part of the key."""
    clock = FixedClock(dt.date(2025, 6, 1))
    db = Database(tmp_path / "t.db", migrations=ALL_MIGRATIONS)
    repo = CaseRepository(db, clock)
    try:
        with db.transaction() as conn:
            for i, due in enumerate(["2025-05-30", "2025-06-01", "2025-06-02"]):
                case_id, _ = repo.upsert(
                    conn, f"D-{i}", {"content": "x", "received_date": "2025-05-01", "content_hash": f"h{i}"}
                )
                conn.execute("UPDATE cases SET due_date = ?, stage = 'handling' WHERE id = ?", (due, case_id))
        overdue = SearchFilters(by_field={"due_date": "overdue"})
        assert repo.filter_ids(overdue).tolist() == [1]
        generation = read_filter_generation(db)
        clock.advance(days=1)
        assert repo.filter_ids(overdue).tolist() == [1, 2]
        assert read_filter_generation(db) == generation  # the day did it, not a write
    finally:
        db.close()


def test_the_cache_is_bounded_in_bytes(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db", migrations=ALL_MIGRATIONS)
    try:
        cache = FilterCache(max_bytes=3 * 8 * 100)
        for key in range(5):
            cache.ids(db, key, lambda: np.arange(100, dtype=np.int64))
        assert len(cache) == 3
        assert cache.ids(db, 4, lambda: np.zeros(0, np.int64)).shape == (100,)  # the newest stays
    finally:
        db.close()


def test_without_the_counter_row_nothing_is_cached(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db", migrations=ALL_MIGRATIONS)
    try:
        with db.transaction() as conn:
            conn.execute("DELETE FROM meta WHERE key = 'filter_generation'")
        cache = FilterCache()
        calls = []
        for _ in range(2):
            cache.ids(db, "k", lambda: calls.append(1) or np.arange(3, dtype=np.int64))
        assert len(calls) == 2 and len(cache) == 0
    finally:
        db.close()


@pytest.mark.postgres
def test_every_kind_of_write_invalidates_the_cache_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """The triggers, translated to PL/pgSQL statement triggers, move the counter there too."""
    svc = _service(tmp_path, pg_url)
    try:
        assert svc.db.dialect == "postgresql"
        _writes_invalidate(svc)
    finally:
        svc.close()


def test_searches_answer_the_same_with_the_speed_ups_off(tmp_path: Path) -> None:
    """The cache and the bitmap/mask allow-lists change the cost of a filtered search, not its hits."""
    svc = _service(tmp_path)
    try:
        svc.ingest(rows())
        filters = [
            SearchFilters(cities=["广州市"]),
            SearchFilters(statuses=["pending", "resolved"]),
            SearchFilters(date_from=dt.date(2025, 5, 1), statuses=["pending", "unresolved", "in_progress"]),
            SearchFilters(scope=Scope.department_of(HR)),
        ]
        queries = ["包工头拖欠工资不给", "物业费", "工厂废气污染", "拖欠"]

        def answers(on: bool) -> list[list[tuple[str, float]]]:
            svc.index.cases.filter_cache = FilterCache() if on else None
            svc.index.vectors.bitmap_filters = on  # type: ignore[attr-defined]
            svc.index.lexical.mask_filters = on
            return [
                [(h.case.external_no, round(h.score, 6)) for h in svc.search(text=q, filters=f, k=4)]
                for f in filters
                for q in queries
            ]

        assert answers(True) == answers(False)
        assert any(answers(True))
    finally:
        svc.close()
