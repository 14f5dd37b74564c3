"""Write times (``created_at``/``updated_at``) come from the service's clock, as workflow events do.

Runs on SQLite, and on PostgreSQL with ``--db=postgres`` (``./run test-postgres``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from indexing.encoders.hashing import HashingEncoder
from kb.clock import FixedClock
from kb.domain import CaseUpdate
from kb.service import LeianService
from kb.storage.cases import now
from tests.conftest import make_settings

SAMPLES = Path(__file__).resolve().parents[3] / "data/samples/cases.jsonl"
START = dt.datetime(2025, 6, 2, 10, 30)  # Asia/Shanghai: 02:30 UTC


def _samples(n: int) -> list[tuple[int, dict]]:
    lines = SAMPLES.read_text(encoding="utf-8").splitlines()[:n]
    return list(enumerate((json.loads(line) for line in lines), start=1))


def test_now_is_the_clock_in_utc() -> None:
    assert now(FixedClock(START)) == "2025-06-02T02:30:00+00:00"
    assert now().endswith("+00:00")  # without a clock: the machine's, same format


def test_records_carry_the_injected_clock(tmp_path: Path) -> None:
    clock = FixedClock(START)
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), clock=clock)
    try:
        svc.ingest(_samples(300))
        created = now(clock)
        stamps = svc.db.query("SELECT DISTINCT created_at, updated_at FROM cases")
        assert [tuple(r) for r in stamps] == [(created, created)]
        # the import's repeat links and litigation tracks are dated by the same clock
        links = svc.db.query_column("SELECT DISTINCT created_at FROM case_links")
        tracks = svc.db.query_column("SELECT DISTINCT updated_at FROM litigation_tracks")
        assert links == [created] and tracks == [created]

        clock.advance(days=3, hours=2)
        case_id = int(svc.db.query_column("SELECT MIN(id) FROM cases")[0])
        svc.update_case(case_id, CaseUpdate(title="工资拖欠（补充材料）"))
        row = svc.db.query_one("SELECT created_at, updated_at FROM cases WHERE id = ?", (case_id,))
        assert row is not None and tuple(row) == (created, "2025-06-05T04:30:00+00:00")
        assert svc.db.query_column("SELECT COUNT(*) FROM cases WHERE updated_at <> created_at") == [1]
    finally:
        svc.close()


def test_groups_and_model_cases_carry_the_injected_clock(tmp_path: Path) -> None:
    from kb.modelcases.library import load_demo_library

    clock = FixedClock(START)
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), clock=clock)
    try:
        svc.ingest(_samples(300))
        clock.advance(days=1)
        stamp = now(clock)
        svc.groups.discover()
        load_demo_library(svc.modelcases)
        for table, column in (
            ("group_runs", "created_at"),
            ("case_groups", "created_at"),
            ("case_groups", "updated_at"),
            ("group_members", "assigned_at"),
            ("group_lineage", "created_at"),
            ("model_cases", "created_at"),
            ("model_case_versions", "created_at"),
            ("model_case_events", "at"),
        ):
            assert svc.db.query_column(f"SELECT DISTINCT {column} FROM {table}") == [stamp], (table, column)
    finally:
        svc.close()


def test_units_carry_the_injected_clock(tmp_path: Path) -> None:
    from kb.users import Principal

    clock = FixedClock(START)
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), clock=clock)
    try:
        seeded = svc.kernel.units  # the bundled catalog, seeded into the empty table in one batch
        assert svc.kernel.unit_store.count() == len(seeded) > 100
        assert svc.db.query_column("SELECT DISTINCT created_at FROM units") == [now(clock)]
        clock.advance(days=2)
        admin = Principal(8, "root", "admin")
        svc.units.add("深汕特别合作区", "district", "深圳市", actor=admin)
        row = svc.db.query_one("SELECT created_at, created_by FROM units WHERE name = ?", ("深汕特别合作区",))
        assert row is not None and tuple(row) == ("2025-06-04T02:30:00+00:00", "root")
        # the seed counts as one write of the catalog, the addition as another
        assert svc.db.query_column("SELECT value FROM meta WHERE key = 'units_version'") == ["2"]
    finally:
        svc.close()
