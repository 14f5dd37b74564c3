"""Role × door × unit over HTTP: every door answers each account within its scope only.

Accounts: a 广州市 handler (city), a supervision division over 广州市 + 佛山市 (cities),
省交通运输厅 (department), 省委政法委 (zhengfa) and a provincial handler. The same five cases as
tests/kb/test_scope.py; each door is asked for every case, and writes are tried on other units'
cases, so that removing any one check fails a test here (tests/security/mutants.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import cli, register_commands
from indexing.encoders.hashing import HashingEncoder
from kb.service import LeianService
from kb.settings import Settings
from tests.conftest import auth
from tests.kb.test_scope import ROWS, TRANSPORT, VISIBLE

PASSWORD = "Scope-doors-2026!"
ACCOUNTS = {
    # name: (role, unit, scope kind, cities)
    "gz": ("handler", "广州市", "city", ()),
    "division": ("supervisor", "省信访局督查一处", "cities", ("广州市", "佛山市")),
    "dept": ("handler", TRANSPORT, "department", ()),
    "zhengfa": ("supervisor", "省委政法委", "zhengfa", ()),
    "province": ("handler", None, None, ()),
}
NOTE = "已电话联系信访人（13812345678，身份证 440106199001011234），款项已支付。"


@pytest.fixture
def world(service: LeianService) -> dict[str, int]:
    rows = [dict(r) for r in ROWS]
    for r in rows:
        if r["external_no"] == "GZ-1":
            r |= {"status": "resolved", "resolved_date": "2025-03-01", "resolution_note": NOTE}
    service.ingest([(i, r) for i, r in enumerate(rows, start=1)])
    ids = service.case_ids_by_external([r["external_no"] for r in rows])
    # Assigned to the department too, while 省教育厅 stays its lead: only the assignment puts it in scope.
    service.workflow.assign(ids["DG-1"], locality=None, departments=["省教育厅", TRANSPORT], lead="省教育厅")
    return ids


@pytest.fixture
def clients(service: LeianService, world: dict[str, int]) -> Iterator[dict[str, TestClient]]:
    app = create_app(service)
    out = {}
    for name, (role, unit, kind, cities) in ACCOUNTS.items():
        _, token = service.users.create(name, role, PASSWORD, unit=unit, scope=kind, cities=cities)
        out[name] = TestClient(app, raise_server_exceptions=False, headers=auth(token))
    _, token = service.users.create("analyst", "analyst", PASSWORD)
    out["analyst"] = TestClient(app, raise_server_exceptions=False, headers=auth(token))
    yield out
    for c in out.values():
        c.close()


def by_id(world: dict[str, int]) -> dict[int, str]:
    return {v: k for k, v in world.items()}


@pytest.mark.parametrize("who", list(ACCOUNTS))
def test_every_read_door_answers_within_the_scope(
    clients: dict[str, TestClient], world: dict[str, int], who: str
) -> None:
    client, visible, names = clients[who], VISIBLE[who], by_id(world)
    for ext, case_id in world.items():
        expected = 200 if ext in visible else 404
        assert client.get(f"/api/cases/{case_id}").status_code == expected, (who, ext)
        assert client.get(f"/api/cases/by-external/{ext}").status_code == expected, (who, ext)
        assert client.get(f"/api/workflow/cases/{case_id}").status_code == expected, (who, ext)
        assert client.post("/api/search", json={"case_id": case_id}).status_code == expected, (who, ext)

    listing = client.get("/api/cases", params={"limit": 500}).json()
    assert {c["external_no"] for c in listing["items"]} == visible and listing["total"] == len(visible)
    exported = client.get("/api/cases/export")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert {r[0] for r in rows[1:]} == visible
    for text in ("拖欠工资", "噪音", "法院判决强制执行", "学位"):
        hits = client.post("/api/search", json={"text": text, "k": 50}).json()["hits"]
        assert {h["case"]["external_no"] for h in hits} <= visible, text
    facets = client.get("/api/facets").json()
    assert sum(f["count"] for f in facets["city"]) == len(visible)

    litigation = client.get("/api/workflow/litigation").json()
    assert {names[t["case_id"]] for t in litigation} == visible & {"SZ-2"}
    for r in client.get("/api/workflow/repeats").json():
        assert names[r["case_id"]] in visible
        if "SZ-1" not in visible:
            assert r["other_id"] is None and r["other_external_no"] == "其他单位案件"
    report = client.get(
        "/api/workflow/reports/period", params={"group_by": "city", "date_from": "2025-01-01", "date_to": "2025-12-31"}
    ).json()
    assert report["total"]["received"] == len(visible)


def test_linked_cases_of_another_unit_are_masked(clients: dict[str, TestClient], world: dict[str, int]) -> None:
    view = clients["gz"].get(f"/api/workflow/cases/{world['GZ-1']}").json()
    assert view["links"] and all(lk["other_id"] is None for lk in view["links"])
    assert "SZ-1" not in json.dumps(view, ensure_ascii=False) and "深圳欠薪" not in json.dumps(view, ensure_ascii=False)
    repeats = clients["gz"].get("/api/workflow/repeats").text
    assert "SZ-1" not in repeats and f'"other_id":{world["SZ-1"]}' not in repeats.replace(" ", "")
    full = clients["province"].get(f"/api/workflow/cases/{world['GZ-1']}").json()
    assert {lk["other_id"] for lk in full["links"]} == {world["SZ-1"]}


@pytest.mark.parametrize("who", ["gz", "dept", "province"])
def test_writes_on_other_units_cases_are_refused(
    service: LeianService, clients: dict[str, TestClient], world: dict[str, int], who: str
) -> None:
    client = clients[who]
    for ext in set(world) - VISIBLE[who]:
        case_id = world[ext]
        before = service.cases.get(case_id)
        assert client.patch(f"/api/cases/{case_id}", json={"title": "改写"}).status_code == 404, ext
        assert client.delete(f"/api/cases/{case_id}").status_code == 404, ext
        put = client.put(f"/api/workflow/cases/{case_id}/assignments", json={"locality": "广州市", "departments": []})
        assert put.status_code == 404, ext
        assert client.post(f"/api/workflow/litigation/{case_id}", json={"status": "handed_over"}).status_code == 404
        assert service.cases.get(case_id) == before
        if ext == "SZ-2":
            assert service.workflow.litigation_track(case_id)["status"] == "flagged"
        assert not [a for a in service.workflow.assignments(case_id) if a.active and a.unit == "广州市"]


def test_a_city_handler_cannot_overwrite_create_or_move_out(
    service: LeianService, clients: dict[str, TestClient], world: dict[str, int]
) -> None:
    gz = clients["gz"]
    before = service.cases.get(world["SZ-1"])
    body = {"external_no": "SZ-1", "content": "改写", "received_date": "2025-05-01", "city": "广州市", "title": "改"}
    r = gz.post("/api/cases", json=body)
    assert r.status_code == 422
    (detail,) = r.json()["error"]["details"]
    assert detail["field"] == "external_no" and detail["message"] == "登记编号已存在，且不属于本单位"
    assert "深圳" not in r.text and service.cases.get(world["SZ-1"]) == before

    r = gz.post("/api/cases", json=body | {"external_no": "NEW-SZ", "city": "深圳市"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "city"
    assert service.cases.get_by_external("NEW-SZ") is None

    r = gz.patch(f"/api/cases/{world['GZ-1']}", json={"city": "深圳市"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "city"
    assert service.cases.get(world["GZ-1"]).city == "广州市"  # type: ignore[union-attr]

    lines = [
        {"external_no": "IMP-1", "content": "新案", "received_date": "2025-05-01", "city": "广州市"},
        {"external_no": "SZ-2", "content": "改写", "received_date": "2025-05-01", "city": "广州市"},
    ]
    data = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode("utf-8")
    r = gz.post("/api/cases/import", files={"file": ("cases.jsonl", data, "application/json")})
    assert r.status_code == 422
    assert [(d["row"], d["field"]) for d in r.json()["error"]["details"]] == [(2, "external_no")]
    assert service.cases.get_by_external("IMP-1") is None


def test_an_analyst_never_reads_a_raw_resolution_note(clients: dict[str, TestClient], world: dict[str, int]) -> None:
    for client in (clients["analyst"],):
        case = client.get(f"/api/cases/{world['GZ-1']}").json()
        assert case["resolution_note"] and "款项已支付" in case["resolution_note"]
        assert "13812345678" not in case["resolution_note"] and "440106199001011234" not in case["resolution_note"]
        exported = client.get("/api/cases/export").text
        assert "13812345678" not in exported and "440106199001011234" not in exported
    own = clients["gz"].get(f"/api/cases/{world['GZ-1']}", params={"reveal": "true"}).json()
    assert "13812345678" in own["resolution_note"]  # a handler may reveal (audited)


def test_a_city_admin_reads_its_citys_audit_events_only(
    service: LeianService, clients: dict[str, TestClient], world: dict[str, int]
) -> None:
    for who, ext in (("gz", "GZ-1"), ("dept", "SZ-2"), ("province", "DG-1")):
        assert clients[who].patch(f"/api/cases/{world[ext]}", json={"title": f"{who} 修改"}).status_code == 200
    _, token = service.users.create("gz_admin", "admin", PASSWORD, unit="广州市", scope="city")
    with TestClient(create_app(service), raise_server_exceptions=False, headers=auth(token)) as admin:
        events = admin.get("/api/audit", params={"limit": 1000}).json()["items"]
        assert {e["username"] for e in events} <= {"gz", "gz_admin"}
        assert [e["record_id"] for e in events if e["action"] == "cases.update"] == [str(world["GZ-1"])]
        exported = admin.get("/api/audit/export").text
        assert str(world["GZ-1"]) in exported and ",province," not in exported and ",dept," not in exported
    everything = clients["province"].get("/api/audit")  # a handler has no audit:read
    assert everything.status_code == 403


def test_cli_users_create_binds_a_unit_and_a_scope(tmp_path: Path) -> None:
    register_commands()
    base = ["--data-dir", str(tmp_path), "--encoder", "hashing"]
    env = {"LEIAN_PETITIONER_KEY": "test-secret-key", "LEIAN_THREADS": "1"}
    runner = CliRunner()

    def create(*args: str) -> Result:
        return runner.invoke(cli, [*base, "users", "create", *args, "--password", PASSWORD], env=env)

    ok = create("gz_cli", "--role", "handler", "--unit", "广州", "--scope", "city")
    assert ok.exit_code == 0 and "权限范围：广州市" in ok.output, ok.output
    ok = create("div_cli", "--role", "supervisor", "--unit", "督查二处", "--cities", "汕头市，汕尾市")
    assert ok.exit_code == 0 and "汕头市、汕尾市" in ok.output, ok.output
    bad = create("nobody", "--role", "handler", "--scope", "city")
    assert bad.exit_code == 2 and "unit" in bad.output and "地市" in bad.output, bad.output
    bad = create("mars", "--role", "handler", "--unit", "火星市", "--scope", "city")
    assert bad.exit_code == 2 and "火星市" in bad.output, bad.output
    service = LeianService(Settings(data_dir=tmp_path, petitioner_key="k"), encoder=HashingEncoder(), open_index=False)
    try:
        gz = service.users.by_username("gz_cli")
        div = service.users.by_username("div_cli")
        assert gz is not None and gz.scope.city == "广州市" and gz.unit == "广州市"
        assert div is not None and div.scope.cities == {"汕头市", "汕尾市"} and div.unit == "省信访局督查二处"
        assert service.users.by_username("nobody") is None and service.users.by_username("mars") is None
    finally:
        service.close()
