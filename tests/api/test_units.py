"""The unit master data over HTTP and the command line: both doors reach the same service checks."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli import cli, register_commands
from kb.service import LeianService
from tests.conftest import auth
from tests.helpers import ROWS


def test_any_signed_in_user_lists_units_with_chinese_labels(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.get("/api/units", params={"kind": "division"}, headers=auth(tokens["analyst"]))
    assert r.status_code == 200, r.text
    first = r.json()[0]
    assert first["name"] == "省信访局督查一处" and first["kind_label"] == "督查处" and first["parent"] == "省信访局"
    assert "广州市" in first["cities"] and first["aliases"] == ["督查一处"]
    r = client.get("/api/units", params={"parent": "广州"}, headers=auth(tokens["gz_handler"]))
    names = [u["name"] for u in r.json()]
    assert names[:2] == ["越秀区", "海珠区"] and "广州市中级人民法院" in names
    everything = client.get("/api/units").json()
    assert {u["kind"] for u in everything} == {
        "province",
        "city",
        "district",
        "department",
        "zhengfa",
        "zhengfa_body",
        "division",
    }
    r = client.get("/api/units", params={"kind": "planet"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "kind"
    assert TestClient(client.app).get("/api/units").status_code == 401


def test_only_administrators_add_units(client: TestClient, tokens: dict[str, str]) -> None:
    body = {"name": "深汕特别合作区", "kind": "区县", "parent": "深圳", "aliases": ["深汕"]}
    for role in ("handler", "supervisor", "reviewer", "analyst"):
        assert client.post("/api/units", json=body, headers=auth(tokens[role])).status_code == 403
    r = client.post("/api/units", json=body)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "name": "深汕特别合作区",
        "kind": "district",
        "kind_label": "区县",
        "parent": "深圳市",
        "aliases": ["深汕"],
        "cities": [],
    }
    assert client.post("/api/units", json=body).status_code == 409
    bad = client.post("/api/units", json={"name": "某区", "kind": "district", "parent": "火星市"})
    assert bad.status_code == 422
    detail = bad.json()["error"]["details"][0]
    assert detail["field"] == "parent" and "火星市" in detail["message"]
    # The new unit is valid on cases at once; an unknown one is refused naming the field.
    case = {**ROWS[1], "external_no": "U-1", "district": "深汕"}
    created = client.post("/api/cases", json=case)
    assert created.status_code == 201, created.text
    assert created.json()["district"] == "深汕特别合作区"
    refused = client.post("/api/cases", json={**case, "external_no": "U-2", "city": "火星市"})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "city"
    assert "未知单位“火星市”" in refused.json()["error"]["details"][0]["message"]


def test_http_import_is_all_or_nothing_for_administrators(client: TestClient, tokens: dict[str, str]) -> None:
    good = "名称,类型,上级单位\n横琴粤澳深度合作区,区县,珠海市\n".encode()
    files = {"file": ("units.csv", io.BytesIO(good), "text/csv")}
    assert client.post("/api/units/import", files=files, headers=auth(tokens["handler"])).status_code == 403
    r = client.post("/api/units/import", files={"file": ("units.csv", io.BytesIO(good), "text/csv")})
    assert r.status_code == 200 and r.json() == {"created": 1, "updated": 0, "total": 1}
    bad = "名称,类型,上级单位\n甲区,区县,广州市\n乙区,区县,火星市\n".encode("gbk")
    r = client.post("/api/units/import", files={"file": ("units.csv", io.BytesIO(bad), "text/csv")})
    assert r.status_code == 422
    assert [(d["row"], d["field"]) for d in r.json()["error"]["details"]] == [(3, "上级单位")]
    assert "甲区" not in {u["name"] for u in client.get("/api/units", params={"parent": "广州市"}).json()}


def test_case_patch_is_validated_against_the_units(client: TestClient, service: LeianService) -> None:
    case_id = client.post("/api/cases", json=ROWS[0]).json()["id"]
    r = client.patch(f"/api/cases/{case_id}", json={"department": "省人社"})
    assert r.status_code == 422
    assert "最接近的有：省人力资源社会保障厅" in r.json()["error"]["details"][0]["message"]
    r = client.patch(f"/api/cases/{case_id}", json={"department": "省人社厅", "district": "天河区"})
    assert r.status_code == 200 and r.json()["department"] == "省人力资源社会保障厅"


def test_cli_lists_adds_and_imports_units(tmp_path: Path) -> None:
    register_commands()
    runner = CliRunner()
    env = {"LEIAN_ENCODER": "hashing", "LEIAN_DATA_DIR": str(tmp_path)}
    base = ["--data-dir", str(tmp_path / "data")]

    res = runner.invoke(cli, [*base, "units", "list", "--kind", "地级市"], env=env)
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].startswith("广州市\t地级市") and "共 21 个单位" in res.output
    res = runner.invoke(cli, [*base, "units", "add", "深汕特别合作区", "--kind", "district", "--parent", "深圳市",
                              "--alias", "深汕"], env=env)  # fmt: skip
    assert res.exit_code == 0 and "已新增单位 深汕特别合作区（区县，上级 深圳市）" in res.output
    res = runner.invoke(cli, [*base, "units", "add", "某区", "--kind", "district", "--parent", "火星市"], env=env)
    assert res.exit_code == 2 and "上级单位“火星市”不存在" in res.output

    good = tmp_path / "units.csv"
    good.write_text("名称,类型,上级单位\n横琴粤澳深度合作区,区县,珠海市\n", encoding="utf-8")
    res = runner.invoke(cli, [*base, "units", "import", str(good)], env=env)
    assert res.exit_code == 0 and "新增 1 个单位" in res.output, res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("名称,类型,上级单位\n甲区,区,广州市\n", encoding="utf-8")
    res = runner.invoke(cli, [*base, "units", "import", str(bad)], env=env)
    assert res.exit_code == 2 and "第 2 行 字段 类型" in res.output

    res = runner.invoke(cli, [*base, "units", "list", "--parent", "珠海", "--kind", "区县", "--json"], env=env)
    assert res.exit_code == 0, res.output
    assert [u["name"] for u in json.loads(res.output)] == ["香洲区", "斗门区", "金湾区", "横琴粤澳深度合作区"]
    events = runner.invoke(cli, [*base, "audit", "export", "--action", "units"], env=env)
    assert events.exit_code == 0
    assert events.output.count("units.add") == 1 and events.output.count("units.import") == 1
