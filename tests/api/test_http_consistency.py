"""One rule for bad input at the HTTP door: unknown query parameters are refused like unknown body
fields, a single value is a one-element filter list, and an inverted date range is an error naming
both fields (issue 15, item 19)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kb.service import LeianService
from tests.helpers import ROWS


@pytest.fixture
def loaded(client: TestClient, service: LeianService) -> TestClient:
    service.ingest(list(enumerate(ROWS, start=1)))
    return client


def test_unknown_query_parameters_are_refused_naming_them(loaded: TestClient) -> None:
    res = loaded.get("/api/cases", params={"cty": "广州市", "limit": 5})
    assert res.status_code == 422
    error = res.json()["error"]
    assert error["details"][0]["field"] == "cty" and "未知查询参数" in error["message"]
    assert "city" in error["message"]  # the parameters it does accept
    assert loaded.get("/api/health", params={"verbose": "1"}).status_code == 422
    assert loaded.get("/api/cases/export", params={"fromat": "xlsx"}).status_code == 422
    # Declared parameters, including the field table's filters and a route's own options, pass.
    assert loaded.get("/api/cases", params={"city": "广州市", "date_from": "2025-01-01", "limit": 5}).status_code == 200
    assert loaded.get("/api/cases/1", params={"reveal": "true"}).status_code == 200


def test_unknown_body_fields_are_still_refused(loaded: TestClient) -> None:
    res = loaded.post("/api/search", json={"text": "欠薪", "filter": {}})
    assert res.status_code == 422 and res.json()["error"]["details"][0]["field"] == "filter"


def test_a_plain_string_filter_is_a_one_element_list(loaded: TestClient) -> None:
    as_text = loaded.post("/api/search", json={"text": "拖欠工资", "filters": {"city": "广州市"}, "k": 5})
    as_list = loaded.post("/api/search", json={"text": "拖欠工资", "filters": {"city": ["广州市"]}, "k": 5})
    assert as_text.status_code == 200 and as_text.json() == as_list.json()
    assert {h["case"]["city"] for h in as_text.json()["hits"]} == {"广州市"}
    assert loaded.post("/api/search", json={"text": "x", "filters": {"city": 3}}).status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/api/cases", {"params": {"date_from": "2025-06-01", "date_to": "2025-01-01"}}),
        ("get", "/api/cases/export", {"params": {"date_from": "2025-06-01", "date_to": "2025-01-01"}}),
        (
            "post",
            "/api/search",
            {"json": {"text": "欠薪", "filters": {"date_from": "2025-06-01", "date_to": "2025-01-01"}}},
        ),
    ],
)
def test_an_inverted_date_range_is_an_error_naming_both_fields(
    loaded: TestClient, method: str, path: str, kwargs: dict
) -> None:
    res = getattr(loaded, method)(path, **kwargs)
    assert res.status_code == 422, res.text
    error = res.json()["error"]
    assert {d["field"] for d in error["details"]} == {"date_from", "date_to"}
    assert "范围颠倒" in error["message"] and "2025-06-01" in error["message"]
