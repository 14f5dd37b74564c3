"""Storage and service: transactional, idempotent ingest; indexes in step; rebuild from the database."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from indexing.encoders.hashing import HashingEncoder
from kb.domain import CaseUpdate, SearchFilters
from kb.errors import InvalidInputError, NotFoundError
from kb.service import LeianService
from tests.conftest import make_settings
from tests.helpers import ROWS, rows


def test_ingest_stores_cases_and_indexes(service: LeianService) -> None:
    report = service.ingest(rows())
    assert (report.created, report.updated) == (6, 0)
    assert service.cases.count() == 6
    assert len(service.index.vectors) == 6 and len(service.index.lexical) == 6
    case = service.get_case_by_external("T-001")
    assert case.city == "广州市" and case.status == "pending"
    assert case.petitioner_key and "440106" not in case.petitioner_key


def test_reimport_is_idempotent_and_updates(service: LeianService) -> None:
    service.ingest(rows())
    changed = [dict(r) for r in ROWS]
    changed[1]["status"] = "closed"
    changed[2]["content"] = "小区物业公司擅自上调物业费，业主要求公开账目。"
    report = service.ingest(rows(changed))
    # Only the two changed rows are updates; the other four are reported unchanged (issue 15, item 5).
    assert (report.created, report.updated, report.reembedded, report.unchanged) == (0, 2, 1, 4)
    assert service.cases.count() == 6
    assert service.get_case_by_external("T-002").status == "closed"
    hits = service.search(text="公开账目", k=1, mode="lexical")
    assert hits[0].case.external_no == "T-003"


def test_failed_import_writes_nothing(service: LeianService) -> None:
    bad = [dict(r) for r in ROWS]
    bad[3]["received_date"] = "2025-13-40"
    bad[4]["unknown_field"] = 1
    with pytest.raises(InvalidInputError) as err:
        service.ingest(rows(bad))
    problems = {(p.row, p.field) for p in err.value.problems}
    assert (4, "received_date") in problems and (5, "unknown_field") in problems
    assert "第 4 行" in err.value.message
    assert service.cases.count() == 0 and len(service.index.vectors) == 0


def test_duplicate_external_no_in_one_file_is_rejected(service: LeianService) -> None:
    dup = [ROWS[0], dict(ROWS[1], external_no="T-001")]
    with pytest.raises(InvalidInputError, match="重复"):
        service.ingest(rows(dup))
    assert service.cases.count() == 0


def test_search_by_text_and_by_case(service: LeianService) -> None:
    service.ingest(rows())
    hits = service.search(text="包工头拖欠工资不给", k=3)
    assert hits[0].case.category == "拖欠农民工工资"
    assert "拖欠" in "".join(hits[0].matched_terms)
    source = service.get_case_by_external("T-001")
    by_case = service.search(case_id=source.id, k=5)
    assert source.id not in [h.case.id for h in by_case]
    assert by_case[0].case.external_no == "T-005"
    assert any("同一信访人" in r for r in by_case[0].reasons)


def test_filtered_search_is_complete(service: LeianService) -> None:
    service.ingest(rows())
    # Only two Guangzhou cases are not about wages: a filter must still return every match.
    filters = SearchFilters(cities=["广州市"])
    hits = service.search(text="工厂废气污染", filters=filters, k=3)
    assert {h.case.external_no for h in hits} == {"T-001", "T-003", "T-005"}
    dated = SearchFilters(date_from=dt.date(2025, 6, 1), statuses=["pending", "unresolved"])
    got = {h.case.external_no for h in service.search(text="拖欠", filters=dated, k=10)}
    assert got == {"T-004", "T-005", "T-006"}


def test_update_and_delete_keep_indexes_in_step(service: LeianService) -> None:
    service.ingest(rows())
    case = service.get_case_by_external("T-004")
    service.update_case(case.id, CaseUpdate(content="夜间施工噪音扰民，打桩机凌晨还在作业。"))
    assert service.search(text="打桩机", k=1, mode="lexical")[0].case.id == case.id
    service.delete_case(case.id)
    assert case.id not in service.index.vectors.ids().tolist()
    assert not service.search(text="打桩机", k=5, mode="lexical")
    with pytest.raises(NotFoundError):
        service.get_case(case.id)


def test_index_is_rebuilt_from_database(tmp_path, segmenter) -> None:
    settings = make_settings(tmp_path)
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    svc.ingest(rows())
    before = svc.search(text="拖欠工资", k=3)
    svc.close()
    settings.index_path.write_bytes(b"garbage, as if a save was cut short")
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    assert svc.index.rebuilt_from_db and len(svc.index.vectors) == 6
    after = svc.search(text="拖欠工资", k=3)
    assert [h.case.id for h in after] == [h.case.id for h in before]
    svc.close()
    # A different encoder never silently reuses the old index.
    svc = LeianService(settings, encoder=HashingEncoder(dim=128), segmenter=segmenter)
    assert svc.index.rebuilt_from_db and svc.index.vectors.dim == 128
    svc.close()


def test_stored_vectors_survive_and_unchanged_text_is_not_reencoded(service: LeianService) -> None:
    service.ingest(rows())
    ids, matrix, stale = service.cases.load_vectors(service.encoder.name, service.encoder.dim)
    assert len(ids) == 6 and not stale
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    calls = []
    original = service.encoder.encode
    service.encoder.encode = lambda texts: calls.append(len(texts)) or original(texts)  # type: ignore[method-assign]
    service.ingest(rows())
    assert calls == []


def test_index_saved_between_commit_and_apply_is_detected_as_stale(tmp_path, segmenter) -> None:
    """A crash after a commit but before its index update must never leave a 'current' index."""
    from kb.indexer import CaseIndex

    settings = make_settings(tmp_path)
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    svc.ingest(rows(ROWS[:3]))
    # Another writer commits generation g but has not applied it yet when the index is saved.
    with svc.db.transaction() as conn:
        svc.cases.upsert(
            conn,
            "LATE-1",
            {
                "title": "迟到的写入",
                "content": "拖欠运费的迟到写入",
                "received_date": "2025-01-01",
                "content_hash": "x",
                "tokens": "拖欠 运费",
            },
        )
        generation = CaseIndex.bump_generation(conn)
    svc.index.save()
    assert svc.index.watermark == generation - 1
    svc.db.close()  # crash: no apply, no further save
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    assert svc.index.rebuilt_from_db
    assert svc.get_case_by_external("LATE-1").id in svc.index.vectors.ids().tolist()
    svc.close()


def test_watermark_advances_only_over_contiguous_generations(service: LeianService) -> None:
    base = service.index.watermark
    service.index.mark_applied(base + 2)
    assert service.index.watermark == base
    service.index.mark_applied(base + 1)
    assert service.index.watermark == base + 2


def test_leftover_temp_files_of_an_interrupted_save_are_removed(tmp_path, segmenter) -> None:
    settings = make_settings(tmp_path)
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    svc.ingest(rows(ROWS[:2]))
    svc.close()
    leftover = settings.index_path.parent / (settings.index_path.name + ".abc123.tmp")
    leftover.write_bytes(b"half a save")
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    assert not leftover.exists() and not svc.index.rebuilt_from_db
    svc.close()
