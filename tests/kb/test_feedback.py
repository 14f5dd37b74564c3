"""Relevance marks (issue 19): stored, audited, evaluation data, and a ranking signal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexing.encoders.hashing import HashingEncoder
from kb.feedback.store import BOOST
from kb.service import LeianService
from kb.settings import Settings
from kb.users import SYSTEM
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
    assert abs(top[before[0]] - (first[0].score - BOOST)) < 1e-5  # one 'not relevant' mark: -BOOST
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


def test_eval_feedback_reports_the_precision_of_marked_hits(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from api.cli import cli, register_commands

    settings = Settings(data_dir=tmp_path, petitioner_key="cli-test-key", encoder="hashing", threads=1)
    svc = LeianService(settings, encoder=HashingEncoder())
    try:
        svc.ingest(rows())
        ids = [h.case.id for h in svc.search(text="拖欠工资", k=3)]
        for case_id, rel in zip(ids, (True, True, False), strict=True):
            svc.feedback.mark(SYSTEM, target="case", query_text="拖欠工资", item_id=case_id, relevant=rel)
    finally:
        svc.close()
    register_commands()
    env = {"LEIAN_PETITIONER_KEY": "cli-test-key", "LEIAN_THREADS": "1", "LEIAN_INGEST_WORKERS": "1"}
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "--encoder", "hashing", "eval", "feedback"], env=env)
    assert result.exit_code == 0, result.output
    assert "| 类案检索结果 | 3 | 2 | 0.667 |" in result.output
    assert "modelcase_precision: None" in result.output
    # One marked query, so no other fold's marks: held out, its order is the unmarked one.
    assert "留出检索 1 条（有标注的检索 1 条" in result.output
    before, after = (line for line in result.output.splitlines() if line.startswith("heldout_ap_"))
    assert before.split(": ")[1] == after.split(": ")[1] != "None"


def test_held_out_marks_measure_the_re_ranking(service: LeianService) -> None:
    """Two near-identical queries, each marked the same way: each one, held out, is re-ranked by the
    other's marks only, and its own marks score the order before and after."""
    from kb.feedback.heldout import evaluate_marks

    service.ingest(rows())
    first = [h.case.id for h in service.search(text="包工头拖欠工资", k=8)]
    wanted, unwanted = first[1], first[0]
    for text in ("包工头拖欠工资", "包工头拖欠工资问题"):
        service.feedback.mark(SYSTEM, target="case", query_text=text, item_id=wanted, relevant=True)
        service.feedback.mark(SYSTEM, target="case", query_text=text, item_id=unwanted, relevant=False)
    service.feedback.mark(SYSTEM, target="case", query_text="征地补偿", item_id=first[2], relevant=True)
    held = evaluate_marks(service.kernel, service.feedback)
    assert (held.queries, held.scored) == (3, 2)  # 征地补偿 has no 不相关 mark: not scored
    assert held.pairs_before == 0.0 and held.ap_before == 0.5  # the relevant case ranks after the other
    assert held.pairs_after == 1.0 and held.ap_after == 1.0  # the other query's marks swap them


def test_marks_by_case_query_and_on_guidance_come_back_as_my_mark(
    service: LeianService, client: Any, tokens: dict[str, str]
) -> None:
    from kb.modelcases import library

    service.ingest(rows())
    library.load_samples(service.modelcases)
    handler = auth(tokens["handler"])
    source = service.search(text="包工头拖欠工资", k=1)[0].case.id
    hits = client.post("/api/search", json={"case_id": source, "k": 3}, headers=handler).json()["hits"]
    item = hits[1]["case"]["id"]
    body = {"target": "case", "query_case_id": source, "item_id": item, "relevant": True}
    assert client.post("/api/feedback", json=body, headers=handler).status_code == 201
    again = client.post("/api/search", json={"case_id": source, "k": 3}, headers=handler).json()["hits"]
    assert {h["case"]["id"]: h["my_mark"] for h in again}[item] is True
    other = client.post("/api/search", json={"case_id": source, "k": 3}, headers=auth(tokens["reviewer"])).json()
    assert all(h["my_mark"] is None for h in other["hits"])  # a mark is its marker's
    both = client.post("/api/feedback", json={**body, "query_text": "包工头"}, headers=handler)
    assert both.status_code == 422 and "query_text" in both.text

    text = "包工头拖欠农民工工资"
    guide = client.post("/api/modelcases/guidance", json={"text": text, "k": 2}, headers=handler).json()
    mc = guide["hits"][0]["model_case"]["id"]
    mark = {"target": "modelcase", "query_text": text, "item_id": mc, "relevant": False}
    assert client.post("/api/feedback", json=mark, headers=handler).status_code == 201
    guide = client.post("/api/modelcases/guidance", json={"text": text, "k": 5}, headers=handler).json()
    shown = {h["model_case"]["id"]: h for h in guide["hits"]}
    assert shown[mc]["my_mark"] is False
    assert any("相似检索中曾被标为不相关" in r for r in shown[mc]["reasons"])
