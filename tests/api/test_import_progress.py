"""Issue 20: an HTTP import reports its progress and ETA under the id its client chose."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.service import LeianService
from tests.conftest import auth, make_settings

CSV = "登记编号,内容,受理日期\n" + "\n".join(f"P-{i},第{i}件反映拖欠工资两万元,2026-11-2{i % 9}" for i in range(30))


def test_import_progress_is_readable_by_its_importer(client: TestClient, tokens: dict[str, str]) -> None:
    files = {"file": ("cases.csv", CSV.encode("utf-8"), "text/csv")}
    res = client.post("/api/cases/import?import_id=job-1", files=files)
    assert res.status_code == 200, res.text
    progress = client.get("/api/cases/import/progress/job-1").json()
    assert progress["finished"] and progress["stage"] == "完成"
    assert progress["done"] == progress["total"] == 30 and progress["eta_seconds"] == 0.0
    # Another account never reads it; an unknown id is a Chinese 404.
    other = client.get("/api/cases/import/progress/job-1", headers=auth(tokens["handler"]))
    assert other.status_code in (403, 404)
    missing = client.get("/api/cases/import/progress/nope")
    assert missing.status_code == 404 and "没有进行中的导入" in missing.text
    bad = client.post("/api/cases/import?import_id=../x", files=files)
    assert bad.status_code == 422


def test_a_failed_import_says_so(client: TestClient) -> None:
    files = {"file": ("cases.csv", (CSV + "\nP-x,内容,2026-02-30").encode("utf-8"), "text/csv")}
    assert client.post("/api/cases/import?import_id=job-2", files=files).status_code == 422
    assert client.get("/api/cases/import/progress/job-2").json()["stage"] == "失败，未写入任何数据"


def test_progress_is_shared_by_the_workers_of_one_database(
    service: LeianService, client: TestClient, tokens: dict[str, str], tmp_path: Path, segmenter: Segmenter
) -> None:
    """With ``leian serve --workers N`` the import runs on one worker and the progress request may
    reach another: a second service on the same data directory (a second worker) reads it."""
    other = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter, open_index=False)
    try:
        with TestClient(create_app(other), raise_server_exceptions=False) as second:
            second.headers.update(auth(tokens["admin"]))
            # In flight: the first worker's import has encoded 12 of 30 rows.
            tracker = service.import_progress.start("job-9", "u_admin", 30)
            tracker.advance(12)
            seen = second.get("/api/cases/import/progress/job-9").json()
            assert seen["stage"] == "编码" and seen["done"] == 12 and seen["total"] == 30
            assert not seen["finished"] and seen["share"] == 0.4
            # A whole import through the first worker, read on the second.
            files = {"file": ("cases.csv", CSV.encode("utf-8"), "text/csv")}
            assert client.post("/api/cases/import?import_id=job-10", files=files).status_code == 200
            done = second.get("/api/cases/import/progress/job-10").json()
            assert done["finished"] and done["stage"] == "完成" and done["done"] == 30
            # The same id chosen by another account is another import.
            assert second.get("/api/cases/import/progress/job-10", headers=auth(tokens["handler"])).status_code == 404
    finally:
        other.close()
