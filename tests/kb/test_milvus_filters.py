"""Search filters pushed down to Milvus' scalar fields: the same answers as the id list, kept in step
with every write that changes a filterable column (Milvus Lite, and the standalone server)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.domain import CaseUpdate, SearchFilters
from kb.scope import Scope
from kb.search import dense_candidates
from kb.service import LeianService
from tests.conftest import make_settings

HAS_LITE = importlib.util.find_spec("milvus_lite") is not None
LITE = [pytest.mark.milvus, pytest.mark.skipif(not HAS_LITE, reason="Milvus Lite missing")]


@pytest.fixture(
    params=[
        pytest.param("lite", marks=LITE),
        pytest.param("server", marks=[pytest.mark.milvus_server]),
    ]
)
def milvus_service(request: pytest.FixtureRequest, tmp_path: Path, segmenter: Segmenter) -> Iterator[LeianService]:
    options: dict[str, Any] = {"index_backend": "milvus"}
    if request.param == "server":
        options["milvus_uri"] = request.getfixturevalue("milvus_server")
        options["milvus_collection"] = f"kb_{uuid.uuid4().hex[:10]}"
    svc = LeianService(make_settings(tmp_path, **options), encoder=HashingEncoder(), segmenter=segmenter)
    yield svc
    if request.param == "server":
        svc.index.vectors._client.drop_collection(svc.settings.milvus_collection)  # type: ignore[attr-defined]
    svc.close()


def _pushed(svc: LeianService, filters: SearchFilters, vector: np.ndarray, depth: int = 20) -> list[int]:
    where = svc.index.pushdown(filters)
    assert where is not None, filters
    return dense_candidates(svc.index.vectors, vector, depth, None, where)[0].tolist()


def _by_ids(svc: LeianService, filters: SearchFilters, vector: np.ndarray, depth: int = 20) -> list[int]:
    allowed = svc.index.cases.filter_ids(filters)
    return dense_candidates(svc.index.vectors, vector, depth, allowed, None)[0].tolist()


def test_filters_pushed_down_match_the_id_list_and_follow_writes(
    milvus_service: LeianService, sample_rows: list[tuple[int, dict]], caplog: pytest.LogCaptureFixture
) -> None:
    svc = milvus_service
    svc.ingest(sample_rows[:300])
    assert svc.index.pushes_filters
    cases = list(svc.cases.get_many(svc.cases.all_ids()).values())
    first = cases[0]
    city, department = first.city or "", first.department or ""
    vector = svc.encoder.encode([first.text])[0]
    unit_scope = Scope.department_of(department)
    filters = [
        SearchFilters(cities=[city]),
        SearchFilters(statuses=["pending", "in_progress"], litigation=False),
        SearchFilters(date_from=dt.date(2024, 6, 1), date_to=dt.date(2024, 12, 31)),
        SearchFilters(categories=[first.category or ""], channels=[first.channel or ""]),
        SearchFilters(scope=Scope.city_of(city)),
        SearchFilters(scope=Scope.zhengfa_of("省委政法委")),
        SearchFilters(cities=[city], scope=unit_scope),
    ]
    for f in filters:
        assert _pushed(svc, f, vector) == _by_ids(svc, f, vector), f
    # A filter on a field the collection does not store keeps the id list.
    assert svc.index.pushdown(SearchFilters(by_field={"due_date": "overdue"})) is None

    # Writes that change filterable columns reach the collection: an edit without new text (no
    # vector change), and a locality and a department change as an assignment makes them (the city
    # is the partition key: the row moves partition).
    other = next(c for c in cases if c.city != city and c.status != "closed")
    svc.update_case(other.id, CaseUpdate(status="closed"))  # type: ignore[call-arg]
    with svc.db.transaction() as conn:
        svc.cases.set_locality(conn, other.id, city, None)
    closed = SearchFilters(statuses=["closed"], cities=[city])
    assert other.id in _pushed(svc, closed, svc.encoder.encode([other.text])[0])
    with svc.db.transaction() as conn:
        svc.cases.set_department(conn, other.id, "省信访局测试处")
    moved = SearchFilters(departments=["省信访局测试处"])
    assert _pushed(svc, moved, vector) == [other.id]
    # Litigation detection and lifecycle/batch status changes go through their setters too.
    with svc.db.transaction() as conn:
        svc.cases.set_litigation(conn, other.id, True)
        svc.cases.set_status(conn, first.id, "unresolved", "2025-02-01")
    flagged = SearchFilters(departments=["省信访局测试处"], litigation=True)
    assert _pushed(svc, flagged, vector) == [other.id]
    unresolved = SearchFilters(statuses=["unresolved"])
    assert first.id in _pushed(svc, unresolved, vector) and _pushed(svc, unresolved, vector) == _by_ids(
        svc, unresolved, vector
    )
    # A rolled-back write changes nothing, in the database or the collection.
    with pytest.raises(RuntimeError), svc.db.transaction() as conn:
        svc.cases.set_department(conn, first.id, "省信访局回滚处")
        raise RuntimeError("abort")
    assert _pushed(svc, SearchFilters(departments=["省信访局回滚处"]), vector) == []
    # The department's scope grants its assigned cases too (an explicit id list inside the expression).
    with svc.db.transaction() as conn:
        conn.execute(
            "INSERT INTO case_assignments(case_id, kind, unit, lead, active, assigned_by, assigned_at) "
            "VALUES (?, 'department', ?, 0, 1, 'test', '2025-01-01T00:00:00+00:00')",
            (first.id, "省信访局测试处"),
        )
    unit = SearchFilters(scope=Scope.department_of("省信访局测试处"))
    assert sorted(_pushed(svc, unit, vector)) == sorted([other.id, first.id]) == sorted(_by_ids(svc, unit, vector))

    # The product's search path pushes down and never needs the id-list fallback here.
    with caplog.at_level(logging.WARNING, logger="kb.search"):
        for f in [*filters, closed, moved]:
            svc.search(text=first.text, filters=f, k=5, mode="dense")
    assert "disagrees" not in caplog.text
