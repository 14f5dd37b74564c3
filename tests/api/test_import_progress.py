"""Issue 20: an HTTP import reports its progress and ETA under the id its client chose."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import auth

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
