"""Masking over the output paths issue 16 found raw: workflow lists, package views, model-case
exports, guidance and search terms, and an ID typed in the ``district`` field (an analyst reads)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from kb.modelcases.domain import ModelCaseIn
from kb.service import LeianService
from tests.conftest import auth

PASSWORD = "Masking-doors-2026!"
PHONE, ID = "13812345678", "440106199001011234"
COURT = "法院判决对方赔偿我十万元，判决生效后对方拒不履行，申请强制执行一年多仍没有结果，请求督促执行。"
TITLE = f"本人李建国反映包工头王大锤拖欠工资 电话{PHONE}"
SECRETS = (PHONE, ID, "李建国", "王大锤", "赵铁柱")


@pytest.fixture
def world(service: LeianService) -> dict[str, int]:
    rows = [
        {"external_no": "M-1", "title": TITLE, "content": COURT, "received_date": "2024-01-05", "city": "广州市",
         "department": "省人力资源社会保障厅", "petitioner_name": "赵铁柱", "petitioner_id": ID},
        {"external_no": "M-2", "title": f"赵铁柱再次反映 {ID}", "content": COURT + "再次反映。",
         "received_date": "2024-02-05", "city": "广州市", "department": "省人力资源社会保障厅",
         "petitioner_name": "赵铁柱", "petitioner_id": ID},
    ]  # fmt: skip
    service.ingest(list(enumerate(rows, start=1)))
    ids = service.case_ids_by_external(["M-1", "M-2"])
    # A row stored before districts were checked against the units catalog (input refuses it now).
    with service.db.transaction() as conn:
        conn.execute("UPDATE cases SET district = ? WHERE id = ?", (ID, ids["M-1"]))
    return ids


@pytest.fixture
def analyst(service: LeianService, world: dict[str, int]) -> Iterator[TestClient]:
    _, token = service.users.create("analyst", "analyst", PASSWORD)
    with TestClient(create_app(service), raise_server_exceptions=False, headers=auth(token)) as client:
        yield client


def _clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (secret, text[:400])


def test_workflow_lists_and_packages_mask_titles_for_an_analyst(
    service: LeianService, analyst: TestClient, world: dict[str, int]
) -> None:
    litigation = analyst.get("/api/workflow/litigation")
    assert litigation.status_code == 200 and {t["case_id"] for t in litigation.json()} >= {world["M-1"]}
    assert any("李**" in t["title"] for t in litigation.json())
    _clean(litigation.text)
    candidates = analyst.get("/api/workflow/packages/candidates", params={"as_of": "2025-06-01"})
    assert candidates.status_code == 200 and {c["case_id"] for c in candidates.json()} == set(world.values())
    _clean(candidates.text)
    domains = sorted({str(c.category or c.department) for c in service.cases.get_many(list(world.values())).values()})
    leader = service.workflow.register_leader(name="张副省长", post="副省长", unit="省人社厅", domains=domains)
    package = service.workflow.create_package(leader_id=leader.id, case_ids=list(world.values()))
    shown = analyst.get(f"/api/workflow/packages/{package.id}")
    assert shown.status_code == 200 and len(shown.json()["cases"]) == 2
    _clean(shown.text)
    _clean(analyst.get("/api/workflow/packages").text)


def test_an_id_typed_in_the_district_field_is_masked(analyst: TestClient, world: dict[str, int]) -> None:
    case = analyst.get(f"/api/cases/{world['M-1']}").json()
    assert case["district"].startswith("440106") and ID not in case["district"]
    _clean(json.dumps(case, ensure_ascii=False))
    _clean(analyst.get("/api/cases/export").text)


def test_model_case_exports_mask_names_phones_and_ids(service: LeianService, world: dict[str, int]) -> None:
    raw = ModelCaseIn(
        code="MC-MASK-1",
        title="包工头王大锤欠薪的化解",
        summary=f"本人李建国（身份证 {ID}，电话 {PHONE}）反映被拖欠工资。",
        approach="联系人王大锤当面协调。",
        steps=["致电 138-1234-5678 核实", "约谈老板王大锤"],
        outcome="款项已付清。",
    )
    service.modelcases.create(raw)
    _, token = service.users.create("reviewer1", "reviewer", PASSWORD)
    with TestClient(create_app(service), raise_server_exceptions=False, headers=auth(token)) as client:
        params = {"status": ["draft", "published", "retired"]}
        js = client.get("/api/modelcases/export", params={**params, "format": "json"})
        assert js.status_code == 200 and "MC-MASK-1" in js.text and "王**" in js.text
        _clean(js.text)
        assert "1234-5678" not in js.text
        xlsx = client.get("/api/modelcases/export", params={**params, "format": "xlsx"})
        assert xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
        assert "MC-MASK-1" in cells
        _clean(cells)
        md = client.get("/api/modelcases/export", params={**params, "format": "md"})
        assert md.status_code == 200
        with zipfile.ZipFile(io.BytesIO(md.content)) as zf:
            docs = " ".join(zf.read(n).decode("utf-8") for n in zf.namelist())
        assert "包工头王**" in docs
        _clean(docs)


def test_guidance_and_search_terms_never_carry_a_name(
    service: LeianService, analyst: TestClient, world: dict[str, int]
) -> None:
    service.modelcases.create(ModelCaseIn(code="MC-G", title="执行难的化解", summary=COURT, approach="督促执行"))
    guide = analyst.post("/api/modelcases/guidance", json={"case_id": world["M-2"]})
    assert guide.status_code == 200 and guide.json()["query_terms"]
    _clean(json.dumps(guide.json()["query_terms"], ensure_ascii=False))
    text = analyst.post("/api/modelcases/guidance", json={"text": "本人李建国，包工头王大锤拖欠工资不给"})
    assert text.status_code == 200 and "拖欠工资" in text.json()["query_terms"]
    _clean(json.dumps(text.json()["query_terms"], ensure_ascii=False))
    found = analyst.post("/api/search", json={"text": f"本人李建国 包工头王大锤 {PHONE} 强制执行"})
    terms = found.json()["query_terms"]
    assert found.status_code == 200 and "强制执行" in "".join(terms)
    _clean(json.dumps(terms, ensure_ascii=False))
    for term in terms:  # nor a piece of a name (李建, 大锤)
        assert not any(term in name for name in ("李建国", "王大锤")), terms
