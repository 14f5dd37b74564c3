"""Search on the bundled samples with the real USE encoder: same-issue cases come first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexing.segment import Segmenter
from kb.domain import SearchFilters
from kb.service import LeianService
from tests.conftest import make_settings

SUBSET = 600


@pytest.fixture(scope="module")
def real_service(
    tmp_path_factory: pytest.TempPathFactory, segmenter: Segmenter, sample_rows: list
) -> Iterator[LeianService]:
    tmp: Path = tmp_path_factory.mktemp("real")
    svc = LeianService(make_settings(tmp), segmenter=segmenter)  # default encoder: USE-m3
    svc.ingest(sample_rows[:SUBSET])
    yield svc
    svc.close()


def test_wage_arrears_query_finds_wage_cases_with_terms(real_service: LeianService) -> None:
    hits = real_service.search(text="我在广州市番禺区建筑工地做工，包工头拖欠我们三个月工资，多次讨要无果", k=5)
    assert [h.case.category for h in hits] == ["拖欠农民工工资"] * 5
    assert all(h.matched_terms for h in hits)
    assert any(t in hits[0].matched_terms for t in ("拖欠", "包工头", "工资", "农民工工资", "讨要"))


def test_city_filter_with_real_encoder(real_service: LeianService) -> None:
    hits = real_service.search(text="包工头拖欠工资", filters=SearchFilters(cities=["广州市"]), k=5)
    assert len(hits) == 5 and {h.case.city for h in hits} == {"广州市"}
    assert hits[0].case.category == "拖欠农民工工资"


def test_hybrid_precision_on_case_queries(real_service: LeianService) -> None:
    """Same-category precision@5 over case-id queries: hybrid at least as good as either side alone."""
    ids = [row[0] for row in real_service.db.query("SELECT id FROM cases ORDER BY id LIMIT 60")]

    def precision(mode: str) -> float:
        total = 0.0
        for case_id in ids:
            source = real_service.get_case(case_id)
            hits = real_service.search(case_id=case_id, k=5, mode=mode)
            total += sum(h.case.category == source.category for h in hits) / 5
        return total / len(ids)

    hybrid, dense, lexical = precision("hybrid"), precision("dense"), precision("lexical")
    assert hybrid >= 0.8
    assert hybrid >= min(dense, lexical)
