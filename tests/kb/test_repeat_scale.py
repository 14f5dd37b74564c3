"""Issue 20: repeat detection inside an imported file goes through an index, never all pairs, and an
import passes in chunks; the links found on the bundled samples are exactly those of the one-batch,
all-pairs detection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import indexing.vectors.batch_knn as batch_knn
import kb.cases.service as case_service
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.service import LeianService
from tests.conftest import make_settings


def _links(svc: LeianService) -> set[tuple[str, str, str, float, int]]:
    rows = svc.db.query(
        "SELECT c.external_no AS a, l.kind, o.external_no AS b, l.similarity, l.repeat_count FROM case_links l "
        "JOIN cases c ON c.id = l.case_id JOIN cases o ON o.id = l.other_id"
    )
    return {(r["a"], r["kind"], r["b"], float(r["similarity"]), int(r["repeat_count"])) for r in rows}


def _import(tmp: Path, rows: list[tuple[int, dict]], segmenter: Segmenter) -> tuple[set, LeianService]:
    svc = LeianService(make_settings(tmp), encoder=HashingEncoder(), segmenter=segmenter)
    report = svc.ingest(rows)
    assert report.created == len(rows)
    return _links(svc), svc


def test_links_identical_through_the_index_and_in_chunks(
    tmp_path: Path, sample_rows: list[tuple[int, dict]], segmenter: Segmenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, ref_svc = _import(tmp_path / "exact", sample_rows, segmenter)
    kinds = {kind for _, kind, _, _, _ in reference}
    assert {"repeat", "joint", "exact"} <= kinds, kinds  # the samples exercise every kind
    ref_ids = {r["external_no"]: r["id"] for r in ref_svc.db.query("SELECT id, external_no FROM cases")}
    ref_svc.close()
    # Force the inverted-file path for the file's own neighbours and write in parts of 500 rows.
    monkeypatch.setattr(batch_knn, "EXACT_LIMIT", 0)
    monkeypatch.setattr(case_service, "IMPORT_CHUNK", 500)
    chunked, svc = _import(tmp_path / "ivf", sample_rows, segmenter)
    assert chunked == reference
    # Ids are still given in file order, and the import is one audit event.
    assert {r["external_no"]: r["id"] for r in svc.db.query("SELECT id, external_no FROM cases")} == ref_ids
    events = svc.db.query("SELECT action FROM audit_events WHERE action LIKE 'cases.%'")
    assert [e["action"] for e in events] == ["cases.import"]
    svc.close()


def test_a_bad_row_late_in_a_chunked_file_writes_nothing(
    tmp_path: Path, sample_rows: list[tuple[int, dict]], segmenter: Segmenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_service, "IMPORT_CHUNK", 300)
    rows = [(n, dict(r)) for n, r in sample_rows[:1000]]
    rows[950][1]["received_date"] = "2026-13-45"
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
    with pytest.raises(case_service.InvalidInputError) as err:
        svc.ingest(rows, columns={"received_date": "登记日期"})
    problem = err.value.problems[0]
    assert problem.row == rows[950][0] and problem.field == "登记日期"
    assert svc.db.query_one("SELECT COUNT(*) FROM cases")[0] == 0
    svc.close()


def test_inverted_file_neighbours_find_the_near_duplicates() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(3000, 64)).astype(np.float32)
    copies = base[:300] + rng.normal(0, 0.02, (300, 64)).astype(np.float32)
    vectors = np.vstack([base, copies])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact = batch_knn.exact_neighbours(vectors, 10)
    approx = batch_knn.ivf_neighbours(vectors, 10)
    for i in range(300):  # each copy's original is among its neighbours either way
        assert i in set(exact[3000 + i]) and i in set(approx[3000 + i])
    assert batch_knn.batch_neighbours(vectors[:5], 10).shape == (5, 5)
    assert batch_knn.batch_neighbours(vectors[:0], 10).shape == (0, 0)
