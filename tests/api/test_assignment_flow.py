"""Dual assignment over HTTP and the CLI: the 广州市 handler receives its case, bad units are refused with
suggestions, re-assignment belongs to the assigning level, signing and answering belong to the
assigned unit, and queues, workload, the inbox and the history follow."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import cli, register_commands
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.service import LeianService
from tests.conftest import auth, make_settings
from tests.handling_helpers import START, account, clocked_service, ingest, row

WAGES = "某物流公司拖欠货车司机运费三个月，共计五万元，多次讨要无果，请求交通运输部门督促平台支付运费。"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def service(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> Iterator[LeianService]:
    svc = clocked_service(tmp_path, segmenter, clock)
    yield svc
    svc.close()


@pytest.fixture
def http(service: LeianService, clock: FixedClock) -> Iterator[dict[str, TestClient]]:
    """One API client per account: provincial handler, 广州市 ×2, 佛山市, 省交通运输厅."""
    people = {
        "province": ("prov_handler", "handler", None),
        "gz": ("gz_handler", "handler", "广州市"),
        "gz2": ("gz_handler2", "handler", "广州市"),
        "fs": ("fs_handler", "handler", "佛山市"),
        "transport": ("jt_officer", "handler", "省交通运输厅"),
    }
    app = create_app(service)
    clients = {}
    for key, (username, role, unit) in people.items():
        account(service, username, role, unit)
        c = TestClient(app, raise_server_exceptions=False)
        c.headers.update(auth(service.users.issue_token(username)))
        clients[key] = c
    with clients["province"]:
        yield clients
    for c in clients.values():
        c.close()


def assignment_of(client: TestClient, case_id: int, unit: str) -> int:
    rows = client.get(f"/api/workflow/cases/{case_id}/assignments").json()
    return next(a["id"] for a in rows if a["active"] and a["unit"] == unit)


def test_the_dual_assignment_flow_over_http(service: LeianService, http: dict[str, TestClient]) -> None:
    (cid,) = ingest(service, row("W1", WAGES))
    gz, fs, transport, province = http["gz"], http["fs"], http["transport"], http["province"]
    assert gz.get(f"/api/cases/{cid}").status_code == 404  # the bug: 广州市 could not see its case

    r = province.put(
        f"/api/workflow/cases/{cid}/assignments", json={"locality": "火星市", "departments": ["省交通运输厅"]}
    )
    assert r.status_code == 422
    (problem,) = r.json()["error"]["details"]
    assert problem["field"] == "locality" and "火星市" in problem["message"] and "最接近" in problem["message"]

    r = province.put(
        f"/api/workflow/cases/{cid}/assignments", json={"locality": "广州市", "departments": ["省交通运输厅"]}
    )
    assert r.status_code == 200, r.text
    assert {(a["unit"], a["status_label"]) for a in r.json()} == {("广州市", "待签收"), ("省交通运输厅", "待签收")}
    assert gz.get(f"/api/cases/{cid}").json()["city"] == "广州市"
    assert transport.get(f"/api/cases/{cid}").status_code == 200  # the department sees it too
    assert fs.get(f"/api/cases/{cid}").status_code == 404

    r = gz.put(f"/api/workflow/cases/{cid}/assignments", json={"locality": "佛山市"})
    assert r.status_code == 403 and "只有交办单位或督查督办人员可以重新交办" in r.json()["error"]["message"]
    assert gz.get(f"/api/cases/{cid}").json()["city"] == "广州市"

    locality, department = assignment_of(gz, cid, "广州市"), assignment_of(gz, cid, "省交通运输厅")
    assert gz.get("/api/inbox/summary").json() == {"unread": 1, "total": 1, "by_kind": {"sign": 1}}
    assert [q["case_id"] for q in gz.get("/api/workflow/queue").json()["pending_sign"]] == [cid]

    assert fs.post(f"/api/workflow/assignments/{locality}/sign").status_code == 404
    assert transport.post(f"/api/workflow/assignments/{locality}/sign").status_code == 403
    assert province.post(f"/api/workflow/assignments/{locality}/sign").status_code == 403
    signed = gz.post(f"/api/workflow/assignments/{locality}/sign")
    assert signed.status_code == 200 and signed.json()["handler"] == "gz_handler"
    again = gz.post(f"/api/workflow/assignments/{locality}/sign")
    assert again.status_code == 409 and "当前可进行：答复" in again.json()["error"]["message"]

    assert transport.post(f"/api/workflow/assignments/{department}/return", json={"reason": ""}).status_code == 422
    assert gz.post(f"/api/workflow/assignments/{department}/return", json={"reason": "不归我"}).status_code == 403
    r = transport.post(f"/api/workflow/assignments/{department}/return", json={"reason": "运费纠纷不属本厅职责"})
    assert r.status_code == 200 and r.json()["status"] == "returned"
    back = province.get("/api/inbox").json()
    assert [(i["kind"], i["unit"]) for i in back] == [("returned", "省交通运输厅")]

    r = gz.post(f"/api/workflow/assignments/{locality}/answer", json={"text": "已协调平台支付", "resolved": True})
    assert r.status_code == 200 and r.json()["outcome_text"] == "已协调平台支付"
    assert transport.post(
        f"/api/workflow/assignments/{locality}/answer", json={"text": "x", "resolved": True}
    ).status_code in (403, 404)

    assert gz.put(f"/api/workflow/cases/{cid}/handler", json={"username": "fs_handler"}).status_code == 422
    assert fs.put(f"/api/workflow/cases/{cid}/handler", json={"username": "fs_handler"}).status_code == 404
    r = gz.put(f"/api/workflow/cases/{cid}/handler", json={"username": "gz_handler2"})
    assert r.status_code == 200 and r.json() == [
        {"case_id": cid, "unit": "广州市", "username": "gz_handler2", "since": r.json()[0]["since"], "by": "gz_handler"}
    ]
    assert [q["case_id"] for q in http["gz2"].get("/api/workflow/queue").json()["todo"]] == [cid]

    view = transport.get(f"/api/workflow/cases/{cid}")
    assert view.status_code == 200
    body = view.json()
    assert {a["unit"]: a["status"] for a in body["assignments"]} == {"广州市": "signed", "省交通运输厅": "returned"}
    actions = [e["action"] for e in body["history"]]
    assert actions == ["assigned", "assigned", "signed", "handler", "returned", "answered", "handler"]
    assert gz.get(f"/api/workflow/cases/{cid}/history").json()[-1]["detail"] == "gz_handler → gz_handler2"

    load = province.get("/api/workflow/workload", params={"by": "unit"}).json()
    assert {(u["unit"], u["returned"]) for u in load["units"]} == {("广州市", 0), ("省交通运输厅", 1)}
    assert fs.get("/api/workflow/workload", params={"by": "user"}).json()["users"] == []
    assert province.get("/api/workflow/workload", params={"by": "city"}).status_code == 422


def test_inbox_read_marks_per_user(service: LeianService, http: dict[str, TestClient], clock: FixedClock) -> None:
    (cid,) = ingest(service, row("W2", WAGES))
    http["province"].put(f"/api/workflow/cases/{cid}/assignments", json={"locality": "广州市"})
    gz = http["gz"]
    (item,) = gz.get("/api/inbox").json()
    assert item["kind_label"] == "待签收" and item["read"] is False
    r = gz.post("/api/inbox/read", json={"keys": [item["key"]]})
    assert r.status_code == 200 and r.json()["marked"] == 1 and r.json()["unread"] == 0
    assert gz.get("/api/inbox", params={"unread": True}).json() == []
    assert http["gz2"].get("/api/inbox/summary").json()["unread"] == 1
    assert gz.post("/api/inbox/read", json={"keys": []}).status_code == 422
    clock.advance(days=service.settings.sign_days + 1)
    assert gz.get("/api/inbox/summary").json()["by_kind"] == {"overdue": 1}


def test_the_cli_assigns_signs_answers_and_shows_the_inbox(tmp_path: Path, segmenter: Segmenter) -> None:
    service = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
    (cid,) = ingest(service, row("W3", WAGES))
    account(service, "gz_handler", "handler", "广州市")
    account(service, "fs_handler", "handler", "佛山市")
    service.close()
    register_commands()
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path), "--encoder", "hashing"]

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, [*base, *args], env={"LEIAN_PETITIONER_KEY": "test-secret-key"})
        return result.exit_code, result.output

    code, out = run("assign", str(cid), "--locality", "广州", "--department", "省交通运输厅")  # as before: 交办
    assert code == 0 and "属地 广州市 待签收" in out, out
    aid = int(re.search(r"\[(\d+)\] 属地 广州市", out).group(1))  # type: ignore[union-attr]
    code, out = run("inbox", "--as", "gz_handler")
    assert code == 0 and "未读 1 / 共 1" in out and "[待签收]" in out, out
    code, out = run("assign", "sign", str(aid), "--as", "fs_handler")
    assert code == 2 and "不存在" in out
    code, out = run("assign", "sign", str(aid), "--as", "gz_handler")
    assert code == 0 and "已签收" in out and "经办人 gz_handler" in out
    code, out = run("assign", "answer", str(aid), "--text", "已协调支付", "--resolved", "--as", "gz_handler")
    assert code == 0 and "答复：已协调支付" in out
    code, out = run("queue", "--as", "gz_handler")
    assert code == 0 and "待签收（0）" in out and "待办（1）" in out, out
    code, out = run("assign", str(cid), "--locality", "佛山市", "--as", "gz_handler")
    assert code == 2 and "只有交办单位或督查督办人员可以重新交办" in out
    code, out = run("assign", "history", str(cid))
    assert code == 0 and "签收" in out and "gz_handler" in out
    code, out = run("repeats", "show", str(cid))  # the case's workflow view as JSON
    view = json.loads(out)
    assert code == 0 and {a["unit"]: a["status"] for a in view["assignments"]} == {
        "广州市": "signed",
        "省交通运输厅": "pending_sign",
    }
    assert [e["action"] for e in view["history"]][-1] == "answered"
