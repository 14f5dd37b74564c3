"""Relevance marks (issue 19): stored, audited, evaluation data, and a ranking signal."""

from __future__ import annotations

from typing import Any

from kb.service import LeianService
from tests.conftest import auth
from tests.helpers import rows


def test_marks_are_stored_audited_and_lift_a_relevant_hit(
    service: LeianService, client: Any, tokens: dict[str, str]
) -> None:
    service.ingest(rows())
    query = "包工头拖欠工资"
    first = service.search(text=query, k=6)
    before = [h.case.id for h in first]
    last = before[-1]
    for _ in range(2):
        r = client.post(
            "/api/feedback",
            json={"target": "case", "query_text": query, "item_id": last, "relevant": True},
            headers=auth(tokens["handler"]),
        )
        assert r.status_code == 201, r.text
    r = client.post(
        "/api/feedback",
        json={"target": "case", "query_text": query, "item_id": before[0], "relevant": False},
        headers=auth(tokens["reviewer"]),
    )
    assert r.status_code == 201
    again = service.search(text=query, k=6)
    after = [h.case.id for h in again]
    assert after.index(last) < before.index(last)  # two 'relevant' marks lift it
    top = {h.case.id: h.score for h in again}
    assert abs(top[before[0]] - (first[0].score - 0.3)) < 1e-5  # one 'not relevant' mark: -BOOST
    summary = client.get("/api/feedback/summary", headers=auth(tokens["analyst"])).json()
    assert summary["case"] == {"marks": 3, "relevant": 2, "precision": 2 / 3}
    events = service.db.query("SELECT action FROM audit_events WHERE action = 'feedback:mark'")
    assert len(events) == 3
    bad = client.post(
        "/api/feedback",
        json={"target": "case", "query_text": query, "item_id": 999999, "relevant": True},
        headers=auth(tokens["handler"]),
    )
    assert bad.status_code == 404
    assert len(service.feedback.marks()) == 3  # nothing half-written
