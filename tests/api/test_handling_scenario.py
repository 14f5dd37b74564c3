"""Issue 14's "done when" scenario over HTTP, each role with its own token: a petition arrives, is
registered (POST /api/cases), accepted, dual-assigned to 广州市 and 省交通运输厅, signed for by both,
extended once, answered (each unit's record and the 答复意见书), rated 不满意, reviewed (复查申请 and
复查意见), and, once the 复核 window has passed, concluded (终结). Scope is checked at every step, the
inbox and queues follow, the due dates are the statutory ones, and the period report carries the rates."""

from __future__ import annotations

import datetime as dt
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
from tests.handling_helpers import START, account, clocked_service

PETITION = {
    "external_no": "GD2026-E2E-0001",
    "title": "反映物流公司拖欠货车司机运费问题",
    "content": "某物流公司拖欠货车司机运费三个月，共计五万元，多次讨要无果，请求交通运输部门督促平台支付运费。",
    "received_date": START.isoformat(),
    "channel": "网上",
    "category": "劳动社保",
    "petitioner_name": "张三",
    "petitioner_phone": "13812345678",
}
# (user name, role, unit): the accounts of the scenario, one per role and scope.
PEOPLE = {
    "province": ("prov_handler", "handler", None),
    "supervisor": ("prov_supervisor", "supervisor", None),
    "gz": ("gz_handler", "handler", "广州市"),
    "gz_supervisor": ("gz_supervisor", "supervisor", "广州市"),
    "sz": ("sz_handler", "handler", "深圳市"),
    "transport": ("jt_officer", "handler", "省交通运输厅"),
    "zhengfa": ("zf_officer", "handler", "省委政法委"),
}


def day(n: int) -> str:
    return (START + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def service(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> Iterator[LeianService]:
    svc = clocked_service(tmp_path, segmenter, clock)
    yield svc
    svc.close()


@pytest.fixture
def http(service: LeianService) -> Iterator[dict[str, TestClient]]:
    app = create_app(service)
    clients = {}
    for key, (username, role, unit) in PEOPLE.items():
        if key == "zhengfa":
            service.users.create(username, role, "Handling-2026!", unit=unit, scope="zhengfa")
        else:
            account(service, username, role, unit)
        c = TestClient(app, raise_server_exceptions=False)
        c.headers.update(auth(service.users.issue_token(username)))
        clients[key] = c
    with clients["province"]:
        yield clients
    for c in clients.values():
        c.close()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def step(client: TestClient, cid: int, action: str, **body: Any) -> dict[str, Any]:
    return ok(client.post(f"/api/cases/{cid}/lifecycle", json={"action": action, **body}))


def inbox_kinds(client: TestClient) -> set[str]:
    return {item["kind"] for item in ok(client.get("/api/inbox"))}


def assignment_of(client: TestClient, cid: int, unit: str) -> int:
    rows = ok(client.get(f"/api/workflow/cases/{cid}/assignments"))
    return next(a["id"] for a in rows if a["active"] and a["unit"] == unit)


def test_the_handling_scenario_end_to_end(clock: FixedClock, http: dict[str, TestClient]) -> None:
    province, supervisor, gz, gz_sup = http["province"], http["supervisor"], http["gz"], http["gz_supervisor"]
    sz, transport, zhengfa = http["sz"], http["transport"], http["zhengfa"]

    # 1. 登记: the provincial handler registers the petition; it is due for 受理 within 15 days.
    cid = ok(province.post("/api/cases", json=PETITION), 201)["id"]
    state = ok(province.get(f"/api/cases/{cid}/lifecycle"))
    assert (state["stage"], state["due_kind"], state["due_date"]) == ("registered", "acceptance", day(15))
    for outsider in (gz, gz_sup, sz, transport, zhengfa):  # no unit sees it before assignment
        assert outsider.get(f"/api/cases/{cid}").status_code == 404
        assert outsider.post(f"/api/cases/{cid}/lifecycle", json={"action": "accept"}).status_code == 404

    # 2. 受理 the next day: due for 办理 within 60 days of the acceptance.
    clock.advance(days=1)
    state = step(province, cid, "accept")
    assert (state["stage"], state["due_kind"], state["due_date"]) == ("accepted", "handling", day(61))

    # 3. 双向交办 to 广州市 (locality) and 省交通运输厅 (department); each must sign within 3 days.
    assigned = ok(
        province.put(
            f"/api/workflow/cases/{cid}/assignments",
            json={"locality": "广州市", "departments": ["省交通运输厅"], "note": "请属地化解，交通运输厅政策指导"},
        )
    )
    assert {(a["unit"], a["status"], a["sign_due"]) for a in assigned if a["active"]} == {
        ("广州市", "pending_sign", day(4)),
        ("省交通运输厅", "pending_sign", day(4)),
    }
    assert ok(gz.get(f"/api/cases/{cid}"))["city"] == "广州市"  # the locality now sees it
    assert ok(gz_sup.get(f"/api/cases/{cid}"))["city"] == "广州市"  # and so does its supervisor
    assert ok(transport.get(f"/api/cases/{cid}"))["id"] == cid  # the department, across cities
    assert sz.get(f"/api/cases/{cid}").status_code == 404  # another city does not
    assert zhengfa.get(f"/api/cases/{cid}").status_code == 404  # not litigation-related
    gz_queue = ok(gz.get("/api/workflow/queue"))
    assert [q["case_id"] for q in gz_queue["pending_sign"]] == [cid]
    assert ok(sz.get("/api/workflow/queue"))["pending_sign"] == []
    assert "sign" in inbox_kinds(gz) and "sign" in inbox_kinds(transport)  # 待签收 in each unit's inbox
    assert "sign" not in inbox_kinds(sz)
    # The locality cannot pass the case on to another city (踢皮球).
    moved = gz.put(f"/api/workflow/cases/{cid}/assignments", json={"locality": "佛山市"})
    assert moved.status_code == 403

    # 4. 签收 by both units, each as its own account (not for each other).
    clock.advance(days=1)
    gz_aid, jt_aid = assignment_of(province, cid, "广州市"), assignment_of(province, cid, "省交通运输厅")
    assert sz.post(f"/api/workflow/assignments/{gz_aid}/sign").status_code == 404
    assert gz.post(f"/api/workflow/assignments/{jt_aid}/sign").status_code == 403
    assert ok(gz.post(f"/api/workflow/assignments/{gz_aid}/sign"))["status"] == "signed"
    assert ok(transport.post(f"/api/workflow/assignments/{jt_aid}/sign"))["status"] == "signed"
    assert ok(gz.get("/api/workflow/queue"))["pending_sign"] == []

    # 5. 延期 once, with a reason and an approver: +30 days; a second extension is refused.
    clock.advance(days=7)
    refused = province.post(f"/api/cases/{cid}/lifecycle", json={"action": "extend", "approver": "分管领导"})
    assert refused.status_code == 422
    state = step(province, cid, "extend", reason="需协调平台企业与多名司机核对运费", approver="省信访局分管领导")
    assert (state["due_date"], state["extended"]) == (day(91), True)
    again = province.post(
        f"/api/cases/{cid}/lifecycle", json={"action": "extend", "reason": "再延", "approver": "省信访局分管领导"}
    )
    assert again.status_code in (409, 422) and "可执行" in again.text

    # 6. Each unit's record, then the written reply (答复意见书): the 复查 window opens for 30 days.
    clock.advance(days=10)  # day 19
    gz_out = gz.post(
        f"/api/workflow/assignments/{gz_aid}/answer", json={"text": "已约谈企业，同意分两期支付", "resolved": True}
    )
    assert ok(gz_out)["status"] == "signed"
    ok(transport.post(f"/api/workflow/assignments/{jt_aid}/answer", json={"text": "运费纠纷可申请调解或仲裁"}))
    assert gz.post(f"/api/workflow/assignments/{jt_aid}/answer", json={"text": "代答"}).status_code == 403
    history = ok(province.get(f"/api/workflow/cases/{cid}/assignments"))
    assert {a["unit"] for a in history if a["answered_at"]} == {"广州市", "省交通运输厅"}
    state = step(province, cid, "reply", text="答复意见书：经属地协调，企业同意分两期支付所欠运费。")
    assert (state["stage"], state["due_date"], state["request_until"]) == ("replied", None, day(49))

    # 7. The petitioner rates the reply 不满意 (recorded by the locality), which points to 复查.
    clock.advance(days=2)  # day 21
    assert sz.post(f"/api/workflow/cases/{cid}/evaluations", json={"rating": "unsatisfied"}).status_code == 404
    rated = ok(
        gz.post(f"/api/workflow/cases/{cid}/evaluations", json={"rating": "unsatisfied", "note": "分期太长"}), 201
    )
    assert [e["rating_label"] for e in rated["evaluations"]] == ["不满意"]
    assert rated["review_hint"]
    ok(gz.post(f"/api/workflow/cases/{cid}/followups", json={"method": "phone", "note": "电话告知复查途径"}), 201)

    # 8. 复查: requested within the window, decided within 30 days.
    state = step(province, cid, "request_review", reason="信访人对答复不满意，申请复查")
    assert (state["stage"], state["due_kind"], state["due_date"]) == ("review_requested", "review", day(51))
    clock.advance(days=6)  # day 27
    state = step(province, cid, "review_reply", text="复查意见书：经复查，已督促企业一次性支付剩余运费。")
    assert (state["stage"], state["request_until"]) == ("reviewed", day(57))
    early = province.post(f"/api/cases/{cid}/lifecycle", json={"action": "conclude"})
    assert early.status_code in (409, 422)  # the 复核 window is still open

    # 9. 终结 after the 复核 window: the case is closed and not accepted again.
    clock.advance(days=31)  # day 58
    state = step(province, cid, "conclude")
    assert (state["stage"], state["allowed"]) == ("concluded", [])
    assert ok(gz.get(f"/api/cases/{cid}"))["status"] == "closed"
    actions = [t["action"] for t in state["transitions"]]
    assert actions == ["import", "accept", "extend", "reply", "request_review", "review_reply", "conclude"]

    # 10. The December report, as the provincial supervisor and as 广州市: 按期受理率, 参评率, 满意率.
    params = {"date_from": "2026-12-01", "date_to": "2026-12-31", "group_by": "city"}
    total = ok(supervisor.get("/api/workflow/reports/period", params=params))["total"]
    assert (total["acceptance_due"], total["on_time_acceptance_rate"]) == (1, 1.0)
    assert (total["evaluation_rate"], total["satisfaction_rate"]) == (1.0, 0.0)
    city = ok(gz_sup.get("/api/workflow/reports/period", params=params))["total"]
    assert city["received"] == 1 and city["satisfaction_rate"] == 0.0
    assert ok(sz.get("/api/workflow/reports/period", params=params))["total"]["received"] == 0
