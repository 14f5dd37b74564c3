"""The service end to end on the Milvus backend (Milvus Lite) and with the size-chosen FAISS index."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.service import LeianService
from tests.conftest import make_settings
from tests.helpers import rows

HAS_MILVUS = importlib.util.find_spec("pymilvus") is not None


@pytest.mark.milvus
@pytest.mark.skipif(not HAS_MILVUS, reason="pymilvus missing")
def test_service_on_milvus_survives_restart(tmp_path: Path, segmenter: Segmenter) -> None:
    settings = make_settings(tmp_path, index_backend="milvus")
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    svc.ingest(rows())
    assert len(svc.index.vectors) == len(rows())
    hits = svc.search(text="包工头拖欠农民工工资", k=3, mode="dense")
    assert hits and hits[0].case.category == "拖欠农民工工资"
    wanted = [h.case.external_no for h in hits]
    svc.close()

    again = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    # The side file and the collection agree, so nothing is rebuilt from SQLite.
    assert not again.index.rebuilt_from_db
    assert [h.case.external_no for h in again.search(text="包工头拖欠农民工工资", k=3, mode="dense")] == wanted
    case_id = again.case_ids_by_external(["T-001"])["T-001"]
    again.delete_case(case_id)
    assert case_id not in again.index.vectors.ids().tolist()
    again.close()


@pytest.mark.milvus
@pytest.mark.skipif(not HAS_MILVUS, reason="pymilvus missing")
def test_moving_the_milvus_collection_rebuilds_from_sqlite(tmp_path: Path, segmenter: Segmenter) -> None:
    svc = LeianService(make_settings(tmp_path, index_backend="milvus"), encoder=HashingEncoder(), segmenter=segmenter)
    svc.ingest(rows())
    svc.close()
    moved = make_settings(tmp_path, index_backend="milvus", milvus_collection="leian_moved")
    again = LeianService(moved, encoder=HashingEncoder(), segmenter=segmenter)
    assert again.index.rebuilt_from_db
    assert len(again.index.vectors) == len(rows())
    again.close()


def test_default_factory_is_auto_and_exact_while_small(service: LeianService) -> None:
    assert service.settings.index_factory == "auto"
    service.ingest(rows())
    assert service.index.vectors.kind == "flat"  # type: ignore[attr-defined]
