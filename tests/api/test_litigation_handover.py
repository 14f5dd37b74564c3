"""诉访分离 over HTTP: a city handler refers a case to 广州市中级人民法院, the court's account records the
steps, the checklist and a 司法救助 decision, the 政法委 follows; refusals carry the allowed steps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.service import LeianService
from tests.conftest import auth
from tests.handling_helpers import START, account, clocked_service, ingest, row

TEXT = "广州市某区人民法院判决生效后申请强制执行，被执行人拒不履行，执行法官一直未答复。"


@pytest.fixture
def http(tmp_path: Path, segmenter: Segmenter) -> Iterator[tuple[LeianService, dict[str, TestClient]]]:
    service = clocked_service(tmp_path, segmenter, FixedClock(START))
    account(service, "gz", "handler", "广州市")
    account(service, "court", "handler", "广州市中级人民法院")
    account(service, "sz", "handler", "深圳市")
    service.users.create("zf", "handler", "Handling-2026!", unit="省委政法委", scope="zhengfa")
    app = create_app(service)
    clients = {}
    for name in ("gz", "court", "sz", "zf"):
        c = TestClient(app, raise_server_exceptions=False)
        c.headers.update(auth(service.users.issue_token(name)))
        clients[name] = c
    with clients["gz"]:
        yield service, clients
    for c in clients.values():
        c.close()
    service.close()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_referral_steps_checklist_aid_and_conclusion(http: tuple[LeianService, dict[str, TestClient]]) -> None:
    service, c = http
    cid, other = ingest(
        service,
        row("GZ-1", TEXT, city="广州市", status="in_progress"),
        row("GZ-2", TEXT + "同一楼盘业主", city="广州市", status="in_progress"),
    )
    units = ok(c["gz"].get("/api/litigation/units"))
    assert {"court", "procuratorate", "police", "justice"} <= {u["type"] for u in units}
    assert c["court"].get(f"/api/litigation/{cid}").status_code == 404  # not referred to it yet
    done = ok(c["gz"].post(f"/api/litigation/{cid}/referrals", json={"unit": "广州中院", "feedback_days": 15}), 201)
    rid = done["referrals"][0]["id"]
    assert done["feedback_due"] == "2026-12-16" and done["referrals"][0]["can_act"] is False
    # The referring handler cannot record the 政法 feedback; a refusal names the allowed steps.
    r = c["gz"].post(f"/api/litigation/referrals/{rid}/steps", json={"action": "check", "text": "已核查"})
    assert r.status_code == 403
    r = c["court"].post(f"/api/litigation/referrals/{rid}/steps", json={"action": "conclude", "text": "终结"})
    assert r.status_code == 422 and "可执行：核查、退回" in r.text
    dossier = ok(c["court"].get(f"/api/litigation/{cid}"))
    assert dossier["current"]["can_act"] is True
    ok(c["court"].post(f"/api/litigation/referrals/{rid}/steps", json={"action": "check", "text": "执行程序合法"}))
    ok(c["court"].put(f"/api/litigation/{cid}/checklist", json={"items": [
        {"item": "unreasonable", "applies": True, "done": True, "note": "已释法明理"},
        {"item": "hardship", "applies": True, "done": True},
    ]}))  # fmt: skip
    aid = ok(c["court"].post(f"/api/litigation/{cid}/aid", json={"applicant": "李四", "amount": 30000}), 201)
    aid_id = aid["judicial_aid"][0]["id"]
    ok(c["court"].post(f"/api/litigation/aid/{aid_id}/decision", json={"decision": "granted"}))
    final = ok(
        c["court"].post(f"/api/litigation/referrals/{rid}/steps", json={"action": "conclude", "text": "依法终结"})
    )
    assert final["referrals"][0]["status"] == "concluded" and final["stage"] == "concluded"
    assert final["judicial_aid"][0]["decided_amount"] == 30000
    lifecycle = ok(c["gz"].get(f"/api/cases/{cid}/lifecycle"))
    assert lifecycle["stage"] == "concluded" and lifecycle["transitions"][-1]["label"] == "依法终结（诉访分离）"
    # The 政法委 sees every referral; 深圳市 none; the old list still answers.
    assert [r["case_id"] for r in ok(c["zf"].get("/api/litigation/referrals"))] == [cid]
    assert ok(c["sz"].get("/api/litigation/referrals")) == []
    assert ok(c["zf"].get("/api/workflow/litigation", params={"status": "concluded"}))[0]["case_id"] == cid
    # 并案 of two cases in one hand-over record; unknown fields are refused.
    r = c["gz"].post("/api/litigation/handovers", json={"unit": "广州市中级人民法院", "case_ids": [other], "x": 1})
    assert r.status_code == 422
    both = ok(c["gz"].post("/api/litigation/handovers", json={"unit": "省检察院", "case_ids": [other]}), 201)
    assert ok(c["gz"].get(f"/api/litigation/handovers/{both['id']}"))["case_ids"] == [other]
    assert c["sz"].get(f"/api/litigation/handovers/{both['id']}").status_code == 404


def test_the_http_door_audits_each_step_once_by_its_name(http: tuple[LeianService, dict[str, TestClient]]) -> None:
    """Over HTTP the feature's own ``litigation.*`` event is the request's audit record (no second,
    generic one); a refused step records nothing."""
    service, c = http
    (cid,) = ingest(service, row("GZ-A", TEXT, city="广州市", status="in_progress"))
    rid = ok(c["gz"].post(f"/api/litigation/{cid}/referrals", json={"unit": "广州中院"}), 201)["referrals"][0]["id"]
    steps = f"/api/litigation/referrals/{rid}/steps"
    assert c["court"].post(steps, json={"action": "resolve", "text": "未核查先化解"}).status_code == 422
    ok(c["court"].post(steps, json={"action": "check", "text": "已核查"}))
    rows = service.db.query(
        "SELECT action, username, record_id FROM audit_events WHERE action LIKE 'litigation%' ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [("litigation.refer", "gz", str(cid)), ("litigation.check", "court", str(cid))]
