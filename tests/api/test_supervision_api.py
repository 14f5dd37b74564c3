"""HTTP doors of 催办 / 督办单, 满意度评价 / 回访, the petitioner view and manual links, per account."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.service import LeianService
from tests.conftest import auth, make_settings
from tests.helpers import rows

START = dt.date(2025, 9, 1)
ACCOUNTS = {
    "prov": ("handler", None, None),
    "sup": ("supervisor", None, None),
    "gz": ("handler", "广州市", "city"),
    "fs": ("handler", "佛山市", "city"),
    "reader": ("analyst", None, None),
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def svc(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> Iterator[LeianService]:
    service = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter, clock=clock)
    service.ingest(rows())
    yield service
    service.close()


@pytest.fixture
def who(svc: LeianService) -> dict[str, dict[str, str]]:
    """Authorization headers per account."""
    out = {}
    for name, (role, unit, scope) in ACCOUNTS.items():
        _, token = svc.users.create(name, role, "Leian-test-2025", unit=unit, scope=scope)
        out[name] = auth(token)
    return out


@pytest.fixture
def client(svc: LeianService) -> Iterator[TestClient]:
    with TestClient(create_app(svc), raise_server_exceptions=False) as c:
        yield c


def case_id(svc: LeianService, external_no: str) -> int:
    return svc.get_case_by_external(external_no).id


def test_reminders_over_http(client: TestClient, svc: LeianService, who: dict[str, dict[str, str]]) -> None:
    cid = case_id(svc, "T-001")
    url = f"/api/workflow/cases/{cid}/reminders"
    bad = client.post(url, json={"unit": "不存在的厅", "text": "请办理"}, headers=who["prov"])
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "unit"
    assert client.post(url, json={"unit": "广州市", "text": "请办理"}, headers=who["fs"]).status_code == 404
    assert client.post(url, json={"unit": "广州市", "text": "请办理"}, headers=who["reader"]).status_code == 403
    assert (
        client.post(url, json={"unit": "广州市", "text": "x", "at": "2020-01-01"}, headers=who["prov"]).status_code
        == 422
    )

    made = client.post(url, json={"unit": "广州市", "text": "请反馈进展，联系电话13812345678"}, headers=who["prov"])
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["unit"], body["status"], body["status_label"]) == ("广州市", "pending", "待回复")
    assert "13812345678" not in body["text"]  # texts are shown masked
    rid = body["id"]

    assert [r["id"] for r in client.get("/api/workflow/reminders", headers=who["gz"]).json()] == [rid]
    assert client.get("/api/workflow/reminders", headers=who["fs"]).json() == []
    reply = f"/api/workflow/reminders/{rid}/reply"
    assert client.post(reply, json={"text": "已处理"}, headers=who["fs"]).status_code == 404
    assert client.post(reply, json={"text": "已处理"}, headers=who["sup"]).status_code == 403
    done = client.post(reply, json={"text": "已约谈，月底前结清"}, headers=who["gz"])
    assert done.status_code == 200 and done.json()["status_label"] == "已回复"
    assert client.post(reply, json={"text": "再次回复"}, headers=who["gz"]).status_code == 409
    listed = client.get(f"/api/workflow/cases/{cid}/reminders", headers=who["prov"]).json()
    assert [(r["id"], r["replied_by"]) for r in listed] == [(rid, "gz")]


def test_orders_over_http(
    client: TestClient, svc: LeianService, who: dict[str, dict[str, str]], clock: FixedClock
) -> None:
    cid = case_id(svc, "T-001")
    url = f"/api/workflow/cases/{cid}/orders"
    order = {"unit": "广州市", "requirement": "五日内报送化解方案", "deadline": "2025-09-06"}
    assert client.post(url, json=order, headers=who["gz"]).status_code == 403
    past = client.post(url, json=order | {"deadline": "2025-09-01"}, headers=who["sup"])
    assert past.status_code == 422 and past.json()["error"]["details"][0]["field"] == "deadline"
    made = client.post(url, json=order, headers=who["sup"])
    assert made.status_code == 201, made.text
    oid = made.json()["id"]
    assert made.json()["status_label"] == "待回复"

    clock.advance(days=6)
    overdue = client.get("/api/workflow/orders", params={"status": "overdue"}, headers=who["gz"]).json()
    assert [(o["id"], o["status_label"], o["overdue"]) for o in overdue] == [(oid, "逾期未回复", True)]
    assert client.get("/api/workflow/orders", headers=who["fs"]).json() == []
    assert client.get(f"/api/workflow/orders/{oid}", headers=who["fs"]).status_code == 404
    assert client.get("/api/workflow/orders", params={"status": "late"}, headers=who["gz"]).status_code == 422

    done = client.post(f"/api/workflow/orders/{oid}/reply", json={"text": "方案已报送"}, headers=who["gz"])
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["replied_late"]) == ("replied", True)
    replied = client.get("/api/workflow/orders", params={"status": "replied"}, headers=who["sup"]).json()
    assert [o["id"] for o in replied] == [oid]


def test_evaluations_and_follow_ups_over_http(
    client: TestClient, svc: LeianService, who: dict[str, dict[str, str]]
) -> None:
    cid = case_id(svc, "T-001")
    url = f"/api/workflow/cases/{cid}/evaluations"
    assert client.post(url, json={"rating": "满意"}, headers=who["gz"]).status_code == 409  # not answered yet
    for step in ({"action": "accept"}, {"action": "reply", "text": "答复意见书：已责令结清工资"}):
        assert client.post(f"/api/cases/{cid}/lifecycle", json=step, headers=who["gz"]).status_code == 200
    assert client.post(url, json={"rating": "满意"}, headers=who["fs"]).status_code == 404
    assert client.post(url, json={"rating": "一般"}, headers=who["gz"]).status_code == 422
    rated = client.post(url, json={"rating": "不满意", "note": "金额不足"}, headers=who["gz"])
    assert rated.status_code == 201, rated.text
    assert rated.json()["review_hint"] == "信访人不满意，可申请复查"
    assert rated.json()["current"]["rating_label"] == "不满意"
    assert client.post(url, json={"rating": "满意"}, headers=who["gz"]).status_code == 409
    lifecycle = client.get(f"/api/cases/{cid}/lifecycle", headers=who["gz"]).json()
    assert "request_review" in [a["action"] for a in lifecycle["allowed"]]

    follow = client.post(
        f"/api/workflow/cases/{cid}/followups", json={"method": "sms", "note": "已短信告知复查途径"}, headers=who["gz"]
    )
    assert follow.status_code == 201
    assert [f["method_label"] for f in follow.json()["followups"]] == ["短信"]
    state = client.get(url, headers=who["prov"]).json()
    assert state["may_evaluate"] is False and len(state["evaluations"]) == 1

    report = client.get(
        "/api/workflow/reports/period",
        params={"date_from": "2025-09-01", "date_to": "2025-09-30", "group_by": "city"},
        headers=who["sup"],
    ).json()
    assert (report["total"]["replied"], report["total"]["evaluation_rate"], report["total"]["satisfaction_rate"]) == (
        1, 1.0, 0.0,
    )  # fmt: skip
    assert {"参评率", "满意率"} <= set(report["definitions"])


def test_petitioner_view_and_links_over_http(
    client: TestClient, svc: LeianService, who: dict[str, dict[str, str]]
) -> None:
    first = case_id(svc, "T-001")  # 张三 petitioned twice in 广州市 (T-001, T-005)
    key = svc.get_case(first).petitioner_key
    assert key is not None
    view = client.get(f"/api/petitioners/{key[:8]}", headers=who["gz"])
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["petitioner_name"] == "张*"
    assert [c["case"]["external_no"] for c in body["cases"]] == ["T-001", "T-005"]
    assert all("13812345678" not in c["case"]["content"] for c in body["cases"])  # masked as case responses
    assert body["cases"][0]["case"]["origin"] == "本级受理"
    assert client.get(f"/api/petitioners/{key}", headers=who["fs"]).status_code == 404
    assert client.get("/api/petitioners/not-a-key", headers=who["gz"]).status_code == 422

    other = case_id(svc, "T-003")
    links = f"/api/workflow/cases/{other}/links"
    assert client.post(links, json={"other_id": first}, headers=who["fs"]).status_code == 404
    linked = client.post(links, json={"other_id": first, "note": "同一工地"}, headers=who["gz"])
    assert linked.status_code == 201, linked.text
    assert [(link["other_id"], link["manual"]) for link in linked.json()["links"]] == [(first, True)]
    assert client.delete(f"/api/workflow/cases/{other}/links/{first}", headers=who["fs"]).status_code == 404
    gone = client.delete(f"/api/workflow/cases/{other}/links/{first}", params={"reason": "误关联"}, headers=who["gz"])
    assert gone.status_code == 200 and gone.json()["links"] == []
    assert [e["action"] for e in gone.json()["history"]] == ["link", "unlink"]
    assert client.delete(f"/api/workflow/cases/{other}/links/{first}", headers=who["gz"]).status_code == 404


def test_origin_filters_and_facets(client: TestClient, svc: LeianService, who: dict[str, dict[str, str]]) -> None:
    svc.ingest([(1, {"external_no": "O-1", "content": "中央交办的拖欠工资积案", "received_date": "2025-08-01",
                     "city": "广州市", "origin": "中央交办", "backlog_list": True})])  # fmt: skip
    listed = client.get("/api/cases", params={"origin": "中央交办"}, headers=who["prov"]).json()
    assert [c["external_no"] for c in listed["items"]] == ["O-1"]
    listed = client.get("/api/cases", params={"backlog_list": "true"}, headers=who["prov"]).json()
    assert [c["external_no"] for c in listed["items"]] == ["O-1"]
    facets = client.get("/api/facets", headers=who["prov"]).json()
    assert {f["value"]: f["count"] for f in facets["origin"]} == {"本级受理": 6, "中央交办": 1}
    bad = client.post("/api/cases", json={"external_no": "O-2", "content": "x", "received_date": "2025-08-01",
                                          "origin": "市交办"}, headers=who["prov"])  # fmt: skip
    assert bad.status_code == 422 and "来源应为" in bad.text


# -- the CLI door ---------------------------------------------------------------------------------------------
def test_the_cli_door_uses_the_same_rules(tmp_path: Path, segmenter: Segmenter) -> None:
    from click.testing import CliRunner

    from api.cli import cli, register_commands

    data = tmp_path / "cli"
    service = LeianService(make_settings(data), encoder=HashingEncoder(), segmenter=segmenter)
    service.ingest(rows())
    for name, (role, unit, scope) in ACCOUNTS.items():
        service.users.create(name, role, "Leian-test-2025", unit=unit, scope=scope)
    gz_case, fs_case = case_id(service, "T-001"), case_id(service, "T-004")
    key = service.get_case(gz_case).petitioner_key or ""
    service.close()
    register_commands()

    def leian(*args: object) -> tuple[int, str]:
        result = CliRunner().invoke(
            cli,
            ["--data-dir", str(data), "--encoder", "hashing", *map(str, args)],
            env={"LEIAN_PETITIONER_KEY": "test-secret-key"},
        )
        return result.exit_code, result.output

    code, out = leian("remind", gz_case, "--unit", "广州", "--text", "请反馈", "--as", "prov")
    assert code == 0 and "已催办 #1：广州市" in out
    code, out = leian("remind", gz_case, "--unit", "广州市", "--text", "请反馈", "--as", "fs")
    assert code == 2 and "不存在" in out  # another city's case, refused as on HTTP
    code, out = leian("reminders", "reply", 1, "--text", "已处理", "--as", "gz")
    assert code == 0 and "已回复" in out

    deadline = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    code, out = leian("orders", "issue", fs_case, "--unit", "佛山市", "--requirement", "限期化解",
                      "--deadline", deadline, "--as", "gz")  # fmt: skip
    assert code == 2 and "只有督查督办人员或省级账号可以下发督办单" in out
    code, out = leian("orders", "issue", fs_case, "--unit", "佛山市", "--requirement", "限期化解",
                      "--deadline", deadline, "--as", "sup")  # fmt: skip
    assert code == 0 and "已下发督办单 #1" in out
    code, out = leian("orders", "list", "--status", "pending", "--as", "fs", "--json")
    assert code == 0 and [(o["id"], o["status_label"]) for o in json.loads(out)] == [(1, "待回复")]
    assert json.loads(leian("orders", "list", "--as", "gz", "--json")[1]) == []
    code, out = leian("orders", "reply", 1, "--text", "已化解", "--as", "fs")
    assert code == 0 and "督办单 #1 已回复" in out

    code, out = leian("evaluate", gz_case, "满意", "--as", "gz")
    assert code == 2 and "没有待评价的答复" in out
    code, out = leian("followup", gz_case, "--method", "电话", "--note", "已电话回访", "--as", "gz")
    assert code == 0 and "电话回访" in out

    code, out = leian("petitioner", key[:8], "--as", "gz", "--json")
    assert code == 0
    view = json.loads(out)
    assert view["petitioner_name"] == "张*" and [c["external_no"] for c in view["cases"]] == ["T-001", "T-005"]
    assert leian("petitioner", key, "--as", "fs")[0] == 2
    code, out = leian("link", case_id_of(data, segmenter, "T-003"), gz_case, "--note", "同一工地", "--as", "gz")
    assert code == 0 and "（人工）" in out
    code, out = leian("unlink", case_id_of(data, segmenter, "T-003"), gz_case, "--as", "gz")
    assert code == 0 and "已解除" in out


def case_id_of(data: Path, segmenter: Segmenter, external_no: str) -> int:
    service = LeianService(make_settings(data), encoder=HashingEncoder(), segmenter=segmenter, open_index=False)
    try:
        return case_id(service, external_no)
    finally:
        service.close()
