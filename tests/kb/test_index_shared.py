"""Several serving processes on one data directory (``api_workers`` > 1), in one test process.

Each ``LeianService`` has its own database connection, in-memory indexes and file locks, as a
worker process has: a write through one is found by a search through another (the change log,
migration 28), exactly one writes the index files, nobody appends to the journal, and a gap in
the log or a reindex makes the follower rebuild from the stored vectors. The same with real
processes: tests/api/test_serve_workers.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.segment import Segmenter
from kb.domain import CaseIn, CaseUpdate
from kb.jobs.service import JobRunner
from kb.service import LeianService
from kb.storage import cases as case_storage
from tests.conftest import make_settings
from tests.helpers import rows

MARK = "鲸落灯塔螺旋桨"


def worker(data: Path, segmenter: Segmenter) -> LeianService:
    return LeianService(make_settings(data, encoder="hashing", api_workers=2), segmenter=segmenter)


def case(i: int, text: str) -> CaseIn:
    return CaseIn.model_validate(
        {"external_no": f"S-{i:04d}", "content": f"{text}，第{i}号", "received_date": "2025-06-01", "city": "广州市"}
    )


def top(service: LeianService, text: str, mode: str = "lexical") -> list[str]:
    return [h.case.external_no for h in service.search(text=text, k=5, mode=mode)]


@pytest.fixture
def pair(tmp_path: Path, segmenter: Segmenter):  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    first = worker(data, segmenter)
    first.ingest(rows())
    second = worker(data, segmenter)
    yield first, second
    second.close()
    first.close()


def test_a_write_through_one_worker_is_found_by_the_next_search_through_another(pair) -> None:  # type: ignore[no-untyped-def]
    a, b = pair
    created = a.create_case(case(1, MARK))
    assert top(b, MARK)[0] == "S-0001"  # no poll needed: the search applies the log first
    assert top(b, f"{MARK}，第1号", mode="dense")[0] == "S-0001"
    assert b.index.caught_up >= 1 and b.index.watermark == a.index.watermark

    other = "冰川信号塔齿轮箱"
    a.update_case(created.id, CaseUpdate.model_validate({"content": f"{other}坏了"}))
    assert top(b, other)[0] == "S-0001" and "S-0001" not in top(b, MARK)
    b.delete_case(created.id)  # and the other way round
    assert "S-0001" not in top(a, other)
    assert len(a.index.vectors) == len(b.index.vectors) == a.cases.count()
    assert len(a.index.lexical) == len(b.index.lexical) == a.cases.count()


def test_one_worker_writes_the_index_files_and_nobody_appends_the_journal(pair, segmenter: Segmenter) -> None:  # type: ignore[no-untyped-def]
    a, b = pair
    assert a.index.is_saver() and not b.index.is_saver()
    journal = a.index.journal_path
    before = a.settings.index_path.stat().st_mtime_ns
    b.create_case(case(2, MARK))
    a.create_case(case(3, MARK))
    assert not journal.exists()  # several processes: records of two writers would interleave
    assert a.settings.index_path.stat().st_mtime_ns == before  # snapshots are periodic, not per write

    a.close()  # the saver leaves a snapshot of everything committed (it catches up first)
    assert b.index.is_saver()  # the lock is free: the next worker to ask takes the role over
    third = worker(a.settings.data_dir, segmenter)
    try:
        assert not third.index.rebuilt_from_db and third.index.lexical_source == "file"
        assert {"S-0002", "S-0003"} <= set(top(third, MARK))
    finally:
        third.close()


def test_a_snapshot_behind_the_database_is_caught_up_at_start(pair, segmenter: Segmenter) -> None:  # type: ignore[no-untyped-def]
    a, b = pair
    b.create_case(case(4, MARK))  # not in the saver's last snapshot
    third = worker(a.settings.data_dir, segmenter)
    try:
        assert not third.index.rebuilt_from_db and third.index.lexical_source == "file"  # mapped, not rebuilt
        assert third.index.caught_up >= 1 and top(third, MARK)[0] == "S-0004"
        assert len(third.index.lexical) == len(third.index.vectors) == a.cases.count()
    finally:
        third.close()


def test_a_gap_in_the_log_or_a_reindex_rebuilds_from_the_stored_vectors(pair) -> None:  # type: ignore[no-untyped-def]
    a, b = pair
    a.create_case(case(5, MARK))
    with a.db.transaction() as conn:
        conn.execute("DELETE FROM index_changes")  # as if pruned: b cannot tell which cases changed
    assert top(b, MARK)[0] == "S-0005"
    assert b.index.watermark == a.index.generation()

    a.reindex()  # "any case" rows
    assert top(b, MARK)[0] == "S-0005" and b.index.watermark == a.index.generation()
    assert len(b.index.vectors) == a.cases.count()


def test_the_change_log_names_the_cases_and_is_pruned(tmp_path: Path, segmenter: Segmenter, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    service = worker(tmp_path, segmenter)
    try:
        service.ingest(rows())
        created = service.create_case(case(6, MARK))
        generation = service.index.generation()
        log = case_storage.changes_between(service.db, generation - 2, generation)
        assert log[-1] == (generation, [created.id])
        assert log[-2][1] is not None and len(log[-2][1]) == len(rows())  # the import: its ids
        monkeypatch.setattr(case_storage, "CHANGE_LOG_KEEP", 50)
        with service.db.transaction() as conn:
            for _ in range(300):
                case_storage.bump_generation(conn, [created.id])
        count = service.db.query_one("SELECT COUNT(*) FROM index_changes")[0]
        assert 50 <= count <= 150
    finally:
        service.close()


def test_one_job_runner_per_data_directory(tmp_path: Path, segmenter: Segmenter) -> None:
    service = worker(tmp_path, segmenter)
    try:
        lock = tmp_path / "jobs.runner.lock"
        first, second = JobRunner(service.jobs, lock_path=lock), JobRunner(service.jobs, lock_path=lock)
        assert first.holds_queue() and not second.holds_queue()
        first.stop()
        assert second.holds_queue()
        second.stop()
    finally:
        service.close()
