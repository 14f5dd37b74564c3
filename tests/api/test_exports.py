"""Case lists, group members and leader packages export as CSV and XLSX, masked per role, audited,
and the import template and format description are served (issue 15, items 4 and 6)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.fields import export_header
from kb.import_format import columns
from kb.service import LeianService
from tests.conftest import auth
from tests.helpers import ROWS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_rows(data: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def loaded(service: LeianService, sample_rows: list[tuple[int, dict]]) -> LeianService:
    service.ingest([*list(enumerate(ROWS, start=1)), *sample_rows[:150]])
    service.groups.discover()
    return service


@pytest.fixture
def api(loaded: LeianService, tokens: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(loaded), raise_server_exceptions=False) as c:
        c.headers.update(auth(tokens["admin"]))
        yield c


def test_case_list_exports_as_xlsx_with_the_filters_masked(api: TestClient, tokens: dict[str, str]) -> None:
    res = api.get("/api/cases/export", params={"format": "xlsx", "city": "广州市"})
    assert res.status_code == 200 and res.headers["content-type"] == XLSX
    assert "filename*=UTF-8''" in res.headers["content-disposition"]
    rows = xlsx_rows(res.content)
    assert rows[0] == export_header()
    city = export_header().index("地市")
    assert len(rows) > 1 and {r[city] for r in rows[1:]} == {"广州市"}
    name = export_header().index("信访人")
    t001 = next(r for r in rows if r[0] == "T-001")
    assert t001[name] == "张*" and "440106199001011234" not in str(rows)
    # The same filters, in CSV.
    assert csv_rows(api.get("/api/cases/export", params={"city": "广州市"}).content)[1:] == [
        ["" if v is None else str(v) for v in r] for r in rows[1:]
    ]


def test_group_members_export_is_masked_scoped_and_audited(
    api: TestClient, loaded: LeianService, tokens: dict[str, str]
) -> None:
    def cities(group_id: int) -> list[str | None]:
        return [c.city for c in loaded.groups.members(group_id, limit=10_000)[0]]

    groups = loaded.groups.list_groups()
    mixed = [g for g in groups if "广州市" in cities(g.id) and len(set(cities(g.id))) > 1]
    if not mixed:  # matter-level groups are often one city's: a reviewer moves another city's case in
        gz = next(g for g in groups if "广州市" in cities(g.id))
        other = next(c for g in groups for c in loaded.groups.members(g.id, limit=10_000)[0] if c.city != "广州市")
        loaded.groups.move(other.id, gz.id)
        mixed = [loaded.groups.get(gz.id)]
    group = mixed[0]
    res = api.get(f"/api/groups/{group.id}/members/export", params={"format": "xlsx"})
    assert res.status_code == 200, res.text
    rows = xlsx_rows(res.content)
    assert rows[0][:2] == ["类案组编号", "类案组名称"] and rows[0][2:] == export_header()
    assert len(rows) - 1 == group.size and {r[0] for r in rows[1:]} == {group.id}
    gz = api.get(f"/api/groups/{group.id}/members/export", params={"format": "csv"}, headers=auth(tokens["gz_handler"]))
    assert gz.status_code == 200
    city = 2 + export_header().index("地市")
    exported = csv_rows(gz.content)[1:]
    assert {r[city] for r in exported} == {"广州市"} and len(exported) == cities(group.id).count("广州市")
    audit = api.get("/api/audit", params={"action": "groups.export"}).json()
    assert [e["username"] for e in audit["items"]] == ["u_gz", "u_admin"]


def test_packages_export_one_row_per_case(api: TestClient, loaded: LeianService) -> None:
    hard = loaded.workflow.package_candidates(limit=3)
    domains = sorted({c.category or c.department or "" for c in hard})
    who = loaded.workflow.register_leader(name="张副省长", post="副省长", unit="省信访局", domains=domains)
    made = loaded.workflow.create_package(leader_id=who.id, case_ids=[c.case_id for c in hard])
    assert made.total
    res = api.get("/api/workflow/packages/export", params={"format": "xlsx"})
    assert res.status_code == 200, res.text
    rows = xlsx_rows(res.content)
    assert rows[0][:4] == ["包案编号", "包案领导", "包案部门", "领域"]
    assert len(rows) - 1 == made.total and {r[1] for r in rows[1:]} == {"张副省长"}
    one = api.get(f"/api/workflow/packages/{made.id}/export", params={"format": "csv"})
    assert one.status_code == 200 and len(csv_rows(one.content)) == made.total + 1
    assert api.get("/api/workflow/packages/999/export").status_code == 404


def test_import_format_lists_chinese_headers_dates_and_extra_columns(api: TestClient) -> None:
    body = api.get("/api/cases/import/format").json()
    received = next(c for c in body["columns"] if c["name"] == "received_date")
    assert received["header"] == "受理日期" and "登记日期" in received["aliases"] and received["required"]
    assert "2026年11月26日" in body["date_formats"] and "序号" in body["extra_columns"]
    assert {f["format"] for f in body["formats"]} == {"xlsx", "csv", "jsonl"}


def test_the_template_downloads_and_imports_as_it_is(api: TestClient) -> None:
    res = api.get("/api/cases/import/template")
    assert res.status_code == 200 and res.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(res.content))
    assert book.sheetnames == ["案件", "说明"]
    header, example = [list(r) for r in book["案件"].iter_rows(values_only=True)]
    assert header == [c.header for c in columns()] and example[0]
    imported = api.post("/api/cases/import", files={"file": ("模板.xlsx", res.content)}).json()
    assert imported["created"] == 1 and imported["message"].startswith("新增 1 件")
