"""HTTP API: CRUD, import, search, health, one error shape, no 500 on malformed requests."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.helpers import ROWS


def _jsonl(rows: list[dict]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode("utf-8")


def load(client: TestClient) -> None:
    r = client.post("/api/cases/import", files={"file": ("cases.jsonl", _jsonl(ROWS), "application/json")})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == len(ROWS)


def test_health_reports_encoder_index_and_counts(client: TestClient) -> None:
    load(client)
    body = client.get("/api/health").json()
    assert body["cases"] == len(ROWS) and body["indexed_vectors"] == len(ROWS)
    assert body["index_backend"] == "faiss" and body["encoder"].startswith("hashing")


def test_crud_roundtrip_with_masking(client: TestClient) -> None:
    r = client.post("/api/cases", json=ROWS[4])
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["petitioner_name"] == "张*"
    assert "13812345678" not in case["content"] and "138****5678" in case["content"]
    assert "petitioner_id" not in case
    revealed = client.get(f"/api/cases/{case['id']}", params={"reveal": "true"}).json()
    assert "13812345678" in revealed["content"]
    r = client.patch(f"/api/cases/{case['id']}", json={"status": "resolved", "resolved_date": "2025-08-01"})
    assert r.status_code == 200 and r.json()["status_label"] == "已化解"
    assert client.get(f"/api/cases/by-external/{ROWS[4]['external_no']}").json()["id"] == case["id"]
    assert client.delete(f"/api/cases/{case['id']}").status_code == 204
    missing = client.get(f"/api/cases/{case['id']}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_search_returns_reasons_and_respects_filters(client: TestClient) -> None:
    load(client)
    r = client.post("/api/search", json={"text": "包工头拖欠工资", "k": 3})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert hits[0]["case"]["category"] == "拖欠农民工工资" and hits[0]["reasons"]
    r = client.post("/api/search", json={"text": "拖欠工资", "filters": {"city": ["深圳市"]}, "k": 5})
    assert [h["case"]["city"] for h in r.json()["hits"]] == ["深圳市"]
    case_id = hits[0]["case"]["id"]
    r = client.post("/api/search", json={"case_id": case_id, "k": 3})
    assert case_id not in [h["case"]["id"] for h in r.json()["hits"]]


def test_import_with_bad_row_reports_it_and_writes_nothing(client: TestClient) -> None:
    bad = [dict(r) for r in ROWS]
    bad[2]["received_date"] = "昨天"
    r = client.post("/api/cases/import", files={"file": ("cases.jsonl", _jsonl(bad), "application/json")})
    assert r.status_code == 422
    detail = r.json()["error"]["details"][0]
    assert detail["row"] == 3 and detail["field"] == "received_date"
    assert client.get("/api/health").json()["cases"] == 0


def test_malformed_requests_get_4xx_in_one_shape(client: TestClient) -> None:
    cases = [
        client.post("/api/search", content=b"{not json", headers={"Content-Type": "application/json"}),
        client.post("/api/search", json={"text": "", "k": 3}),
        client.post("/api/search", json={"text": "a", "case_id": 1}),
        client.post("/api/search", json={"text": "a", "k": 100000}),
        client.post("/api/search", json={"text": "a", "filters": {"status": ["bogus"]}}),
        client.post("/api/cases", json={"external_no": "x"}),
        client.post("/api/cases", json={**ROWS[0], "surprise": 1}),
        client.get("/api/cases/not-a-number"),
        client.post("/api/cases/import", files={"file": ("x.pdf", b"%PDF", "application/pdf")}),
        client.post("/api/cases/import", files={"file": ("x.csv", b"\xff\xfe\x00garbage", "text/csv")}),
        client.put("/api/health"),
    ]
    for r in cases:
        assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text)
        assert set(r.json()["error"]) == {"code", "message", "details"}


def test_authentication_and_permissions(client: TestClient, tokens: dict[str, str]) -> None:
    load(client)
    assert (
        client.post("/api/search", json={"text": "拖欠"}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    analyst = auth(tokens["analyst"])
    assert client.post("/api/search", json={"text": "拖欠"}, headers=analyst).status_code == 200
    assert client.post("/api/cases", json=ROWS[0], headers=analyst).status_code == 403


def test_city_bound_user_sees_only_their_city(client: TestClient, tokens: dict[str, str]) -> None:
    load(client)
    gz = auth(tokens["gz_handler"])
    hits = client.post("/api/search", json={"text": "工资 物业 污染 运费", "k": 20}, headers=gz).json()["hits"]
    assert hits and {h["case"]["city"] for h in hits} == {"广州市"}
    other = client.get("/api/cases/by-external/T-002").json()["id"]
    assert client.get(f"/api/cases/{other}", headers=gz).status_code == 404
    listed = client.get("/api/cases", headers=gz).json()
    assert listed["total"] == 3 and {c["city"] for c in listed["items"]} == {"广州市"}


def test_openapi_docs_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/api/search" in client.get("/openapi.json").json()["paths"]
