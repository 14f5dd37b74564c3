"""Index persistence: read-only commands write nothing, single writes go to the journal, replay is exact."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from api.cli import cli, register_commands
from indexing.lexical import BM25Index
from indexing.segment import Segmenter
from indexing.vectors import journal as journal_file
from kb.domain import CaseIn, CaseUpdate
from kb.indexer import CaseIndex, replay_journal
from kb.service import LeianService
from kb.settings import Settings
from tests.conftest import make_settings
from tests.helpers import ROWS, rows

ENV = {"LEIAN_PETITIONER_KEY": "test-secret-key", "LEIAN_THREADS": "1"}


def settings_for(data_dir: Path) -> Settings:
    # The configured hashing encoder, so the CLI (which builds its own) sees the same fingerprint.
    return make_settings(data_dir, encoder="hashing")


def open_service(data_dir: Path, segmenter: Segmenter, **kwargs: object) -> LeianService:
    return LeianService(settings_for(data_dir), segmenter=segmenter, **kwargs)  # type: ignore[arg-type]


def journal_of(settings: Settings) -> Path:
    return settings.index_path.with_name(settings.index_path.name + ".journal")


def stamp(path: Path) -> tuple[bytes, int, int] | None:
    """Content, mtime and inode of a file: all three stay the same when nothing wrote it."""
    if not path.exists():
        return None
    st = path.stat()
    return path.read_bytes(), st.st_mtime_ns, st.st_ino


def case(i: int, text: str = "夜间施工噪音扰民，打桩机凌晨还在作业。") -> CaseIn:
    return CaseIn.model_validate(
        {"external_no": f"J-{i:04d}", "content": f"{text}第{i}号", "received_date": "2025-06-01", "city": "广州市"}
    )


def ranked(service: LeianService, text: str = "拖欠工资 噪音 打桩机") -> list[int]:
    return [h.case.id for h in service.search(text=text, k=10, mode="dense")]


def rebuilt_ids_and_ranking(service: LeianService) -> tuple[list[int], list[int]]:
    """What an index rebuilt from the database holds and answers, on the same service."""
    service.index.rebuild(save=False)
    return sorted(service.index.vectors.ids().tolist()), ranked(service)


@pytest.fixture
def data_dir(tmp_path: Path, segmenter: Segmenter) -> Path:
    svc = open_service(tmp_path, segmenter)
    svc.ingest(rows())
    svc.index.compact()  # start from a bare snapshot: the journal is tested separately
    svc.close()
    return tmp_path


def test_read_only_cli_commands_leave_the_index_files_untouched(data_dir: Path) -> None:
    settings = settings_for(data_dir)
    before = stamp(settings.index_path), stamp(journal_of(settings))
    base = ["--data-dir", str(data_dir), "--encoder", "hashing"]
    register_commands()
    runner = CliRunner()
    for args in (["groups", "list"], ["repeats", "list"], ["report", "weekly"], ["search", "拖欠工资"]):
        res = runner.invoke(cli, [*base, *args], env=ENV)
        assert res.exit_code == 0, (args, res.output)
        # No stale-index warning and no rebuild: the next command finds the index current.
        assert "重建" not in res.output and "stale" not in res.output, (args, res.output)
    res = runner.invoke(
        cli, [*base, "users", "create", "wang", "--role", "handler", "--password", "password-123"], env=ENV
    )
    assert res.exit_code == 0, res.output
    after = stamp(settings.index_path), stamp(journal_of(settings))
    assert after == before


def test_open_and_close_without_writes_writes_nothing(data_dir: Path, segmenter: Segmenter) -> None:
    settings = settings_for(data_dir)
    before = stamp(settings.index_path)
    for open_index in (True, False):
        svc = open_service(data_dir, segmenter, open_index=open_index)
        if open_index:
            svc.search(text="拖欠工资", k=3)
        else:
            svc.users.create(f"li{int(open_index)}", "handler", "password-123")
        svc.close()
    assert stamp(settings.index_path) == before
    assert not svc.index.journal_path.exists()
    again = open_service(data_dir, segmenter)
    try:
        assert not again.index.rebuilt_from_db and len(again.index.vectors) == len(ROWS)
    finally:
        again.close()


def test_users_create_on_an_unopened_index_keeps_the_index(data_dir: Path, segmenter: Segmenter) -> None:
    """`leian users create` used open_index=False, and close() then saved an empty index over the real one."""
    settings = settings_for(data_dir)
    size = settings.index_path.stat().st_size
    svc = open_service(data_dir, segmenter, open_index=False)
    svc.users.create("zhao", "handler", "password-123")
    svc.close()
    assert settings.index_path.stat().st_size == size
    again = open_service(data_dir, segmenter)
    try:
        assert not again.index.rebuilt_from_db and len(again.index.vectors) == len(ROWS)
    finally:
        again.close()


def test_single_writes_append_to_the_journal_and_replay_equals_a_rebuild(data_dir: Path, segmenter: Segmenter) -> None:
    svc = open_service(data_dir, segmenter)
    snapshot, journal = svc.settings.index_path, svc.index.journal_path
    before = stamp(snapshot)
    sizes = []
    created = [svc.create_case(case(i)) for i in range(5)]
    sizes.append(journal.stat().st_size)
    svc.update_case(created[0].id, CaseUpdate(content="小区电梯长期故障，物业拒不维修。"))
    svc.update_case(created[1].id, CaseUpdate(city="深圳市"))  # no new vector: a generation mark only
    sizes.append(journal.stat().st_size)
    svc.delete_case(created[2].id)
    sizes.append(journal.stat().st_size)
    expected = sorted(svc.index.vectors.ids().tolist()), ranked(svc)
    svc.close()
    assert stamp(snapshot) == before, "a single-case write rewrote the snapshot"
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes), sizes
    again = open_service(data_dir, segmenter)
    try:
        assert not again.index.rebuilt_from_db
        replayed = sorted(again.index.vectors.ids().tolist()), ranked(again)
        assert replayed == expected
        assert rebuilt_ids_and_ranking(again) == replayed
    finally:
        again.db.close()


@pytest.mark.parametrize("cut", ["torn", "garbage"])
def test_a_damaged_last_record_is_detected_and_the_index_stays_consistent(
    data_dir: Path, segmenter: Segmenter, cut: str
) -> None:
    svc = open_service(data_dir, segmenter)
    for i in range(3):
        svc.create_case(case(i))
    svc.close()
    journal = svc.index.journal_path
    data = journal.read_bytes()
    # A crash mid-append leaves part of the last record; a bad sector leaves the right length, wrong bytes.
    damaged = data[: len(data) - 7] if cut == "torn" else data[:-5] + bytes(b ^ 0xFF for b in data[-5:])
    journal.write_bytes(damaged)
    read = journal_file.read(journal)
    assert read is not None and not read.clean and len(read.records) == 2
    again = open_service(data_dir, segmenter)
    try:
        # The lost record's generation is missing, so the index is rebuilt from the database.
        assert again.index.rebuilt_from_db
        ids = sorted(again.index.vectors.ids().tolist())
        assert len(ids) == len(ROWS) + 3
        again.create_case(case(10))
        expected = sorted(again.index.vectors.ids().tolist()), ranked(again)
    finally:
        again.close()
    third = open_service(data_dir, segmenter)
    try:
        assert not third.index.rebuilt_from_db
        assert (sorted(third.index.vectors.ids().tolist()), ranked(third)) == expected
    finally:
        third.close()


def test_a_torn_tail_past_a_consistent_state_compacts_on_the_next_write(data_dir: Path, segmenter: Segmenter) -> None:
    svc = open_service(data_dir, segmenter)
    svc.create_case(case(0))
    svc.close()
    journal = svc.index.journal_path
    with journal.open("ab") as fh:
        fh.write(b"\x40\x00\x00\x00half a record")  # a record announced, never finished
    again = open_service(data_dir, segmenter)
    try:
        assert not again.index.rebuilt_from_db and len(again.index.vectors) == len(ROWS) + 1
        before = stamp(again.settings.index_path)
        again.create_case(case(1))
        again.index.save()
        # Nothing is appended after garbage: the next save wrote a snapshot and retired the journal.
        assert stamp(again.settings.index_path) != before and not journal.exists()
    finally:
        again.close()
    third = open_service(data_dir, segmenter)
    try:
        assert not third.index.rebuilt_from_db and len(third.index.vectors) == len(ROWS) + 2
    finally:
        third.close()


def test_journal_of_another_snapshot_is_ignored(data_dir: Path, segmenter: Segmenter) -> None:
    """A crash between writing a compacted snapshot and removing the old journal."""
    svc = open_service(data_dir, segmenter)
    svc.create_case(case(0))
    old_journal = svc.index.journal_path.read_bytes()
    svc.index.compact()
    svc.close()
    svc.index.journal_path.write_bytes(old_journal)
    again = open_service(data_dir, segmenter)
    try:
        assert not again.index.rebuilt_from_db and len(again.index.vectors) == len(ROWS) + 1
    finally:
        again.close()


def test_compaction_past_the_threshold(data_dir: Path, segmenter: Segmenter) -> None:
    svc = open_service(data_dir, segmenter)
    svc.index.COMPACT_MIN_ROWS = 3
    snapshot, journal = svc.settings.index_path, svc.index.journal_path
    before = stamp(snapshot)
    for i in range(3):
        svc.create_case(case(i))
    assert stamp(snapshot) == before and journal.exists()
    svc.create_case(case(3))  # the 4th row passes 3: the save after it compacts
    assert stamp(snapshot) != before and not journal.exists()
    svc.create_case(case(4))
    assert journal.exists()
    expected = sorted(svc.index.vectors.ids().tolist())
    svc.close()
    again = open_service(data_dir, segmenter)
    try:
        assert not again.index.rebuilt_from_db and sorted(again.index.vectors.ids().tolist()) == expected
    finally:
        again.close()


def test_a_bulk_import_writes_one_snapshot_and_no_journal(data_dir: Path, segmenter: Segmenter) -> None:
    svc = open_service(data_dir, segmenter)
    svc.index.COMPACT_MIN_ROWS = 3
    before = stamp(svc.settings.index_path)
    svc.ingest([(i, case(i).model_dump(mode="json")) for i in range(10)])
    assert stamp(svc.settings.index_path) != before and not svc.index.journal_path.exists()
    svc.close()


def test_a_write_lost_before_its_journal_record_is_rebuilt(data_dir: Path, segmenter: Segmenter) -> None:
    """SIGKILL between the commit and the journal append: the generation gap forces a rebuild."""
    svc = open_service(data_dir, segmenter)
    svc.create_case(case(0))
    with svc.db.transaction() as conn:
        conn.execute("DELETE FROM cases WHERE external_no = 'T-001'")
        CaseIndex.bump_generation(conn)
    svc.db.close()  # the crash: no index update, no save
    again = open_service(data_dir, segmenter)
    try:
        assert again.index.rebuilt_from_db and len(again.index.vectors) == len(ROWS)
    finally:
        again.close()


def test_replay_puts_out_of_order_records_back_in_generation_order() -> None:
    from indexing.vectors.exact import ExactIndex

    index = ExactIndex(4)
    a, b = np.eye(4, dtype=np.float32)[:1], np.eye(4, dtype=np.float32)[1:2]
    records = [
        journal_file.Record(journal_file.ADD, 7, np.array([5]), b),  # the later write finished first
        journal_file.Record(journal_file.ADD, 6, np.array([5]), a),
        journal_file.Record(journal_file.ADD, 8, np.array([9]), a),
        journal_file.Record(journal_file.REMOVE, 9, np.array([9]), None),
        journal_file.Record(journal_file.MARK, 10, np.zeros(0, np.int64), None),
    ]
    replay_journal(index, records)
    assert index.ids().tolist() == [5]
    assert index.search(b, 1)[1][0, 0] == 5 and index.search(b, 1)[0][0, 0] == pytest.approx(1.0)


def test_journal_records_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "j"
    journal_file.create(path, "tok")
    vecs = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    journal_file.append(path, [journal_file.encode_record(journal_file.ADD, 4, np.arange(3), vecs)])
    journal_file.append(path, [journal_file.encode_record(journal_file.REMOVE, None, np.array([1]), None)])
    read = journal_file.read(path)
    assert read is not None and read.clean and read.token == "tok" and read.good_bytes == os.path.getsize(path)
    add, rem = read.records
    assert add.generation == 4 and add.ids.tolist() == [0, 1, 2] and np.array_equal(add.vectors, vecs)  # type: ignore[arg-type]
    assert rem.generation is None and rem.vectors is None and rem.ids.tolist() == [1]
    assert journal_file.read(tmp_path / "missing") is None


@pytest.mark.milvus
@pytest.mark.skipif(importlib.util.find_spec("pymilvus") is None, reason="pymilvus missing")
def test_milvus_journals_nothing_and_reads_write_nothing(tmp_path: Path, segmenter: Segmenter) -> None:
    """The collection persists itself: a write rewrites only the small side record, a read nothing."""
    from indexing.encoders.hashing import HashingEncoder

    settings = make_settings(tmp_path, index_backend="milvus")
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    svc.ingest(rows())
    svc.close()
    before = stamp(settings.index_path)
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    svc.search(text="拖欠工资", k=3)
    svc.close()
    assert stamp(settings.index_path) == before
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    svc.create_case(case(0))
    svc.close()
    assert stamp(settings.index_path) != before and not journal_of(settings).exists()
    again = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    try:
        assert not again.index.rebuilt_from_db and len(again.index.vectors) == len(ROWS) + 1
    finally:
        again.close()


QUERIES = ("拖欠工资", "夜间施工噪音 打桩机", "小区电梯故障 物业维修")


def lexical_answers(service: LeianService, lexical: BM25Index | None = None) -> list[list[tuple[int, float]]]:
    """Top-10 BM25 (id, score) of a few queries, from ``lexical`` or the service's open index."""
    index = lexical or service.index.lexical
    out = []
    for text in QUERIES:
        ids, scores = index.top_k(service.segmenter.tokens(text), 10)
        out.append(list(zip(ids.tolist(), scores.tolist(), strict=True)))
    return out


def test_the_lexical_index_is_mapped_from_its_file_and_follows_the_journal(
    data_dir: Path, segmenter: Segmenter
) -> None:
    svc = open_service(data_dir, segmenter)
    assert svc.index.lexical_source == "file" and svc.index.lexical.mapped
    lexical_file = svc.settings.lexical_path
    before = stamp(lexical_file)
    created = [svc.create_case(case(i)) for i in range(5)]
    svc.update_case(created[0].id, CaseUpdate(content="小区电梯长期故障，物业拒不维修。"))
    svc.delete_case(created[2].id)
    svc.delete_case(1)  # a case of the mapped segment
    expected = lexical_answers(svc)
    svc.close()
    assert stamp(lexical_file) == before, "a single-case write rewrote the lexical file"
    again = open_service(data_dir, segmenter)
    try:
        assert not again.index.rebuilt_from_db and again.index.lexical_source == "file"
        assert lexical_answers(again) == expected
        assert lexical_answers(again, BM25Index.build(again.cases.all_tokens())) == expected
        assert len(again.index.lexical) == again.cases.count()
    finally:
        again.close()


@pytest.mark.parametrize("damage", ["missing", "other snapshot", "garbage", "truncated"])
def test_a_stale_or_damaged_lexical_file_is_rebuilt_from_the_database(
    data_dir: Path, segmenter: Segmenter, damage: str
) -> None:
    settings = settings_for(data_dir)
    path = settings.lexical_path
    if damage == "missing":
        path.unlink()
    elif damage == "other snapshot":
        BM25Index.build([(1, ["拖欠", "工资"])]).save(path, {"journal": "another-token"})
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 100)
    else:
        path.write_bytes(path.read_bytes()[:-64])
    svc = open_service(data_dir, segmenter)
    try:
        assert svc.index.lexical_source == "database" and not svc.index.rebuilt_from_db
        assert lexical_answers(svc) == lexical_answers(svc, BM25Index.build(svc.cases.all_tokens()))
    finally:
        svc.close()
    again = open_service(data_dir, segmenter)  # the rebuilt file was saved for the next start
    try:
        assert again.index.lexical_source == "file"
    finally:
        again.close()
