"""Registry exports as they are: extra columns (序号, 备注) are ignored and named; strict mode refuses them;
re-imported unchanged rows are reported as unchanged (issue 15, items 1 and 5)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from kb.errors import InvalidInputError
from kb.readers import read_table
from kb.service import LeianService

HEADER = "序号,登记编号,标题,内容,受理日期,地市,备注"
ROWS = [
    "1,R-1,欠薪,包工头拖欠三个月工资两万元,2026-11-20,广州市,已电话联系",
    "2,R-2,物业,物业公司乱收停车费且不出示依据,2026-11-21,深圳市,",
]


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def test_unknown_columns_are_ignored_and_named_in_the_report(service: LeianService) -> None:
    table = read_table(csv_file(*ROWS), "csv")
    assert table.ignored == ["序号", "备注"]
    assert all("序号" not in row and "备注" not in row for _, row in table.rows)
    report = service.ingest_table(table)
    assert report.created == 2 and report.ignored_columns == ["序号", "备注"]
    assert "已忽略列：序号、备注" in report.summary()
    assert service.get_case_by_external("R-1").city == "广州市"


def test_xlsx_with_a_leading_serial_column_imports(service: LeianService) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "登记编号", "内容", "受理日期"])
    ws.append([1, "X-1", "征地补偿款迟迟不到位，村民多次反映无果", "2026-11-26"])
    buf = io.BytesIO()
    wb.save(buf)
    report = service.ingest_table(read_table(buf.getvalue(), "xlsx"))
    assert report.created == 1 and report.ignored_columns == ["序号"]


def test_strict_mode_refuses_unknown_columns_naming_them() -> None:
    with pytest.raises(InvalidInputError) as err:
        read_table(csv_file(*ROWS), "csv", strict=True)
    assert "序号、备注" in err.value.message and "严格模式" in err.value.message


def test_strict_setting_applies_to_the_upload(client, service: LeianService) -> None:  # type: ignore[no-untyped-def]
    strict = client.post("/api/cases/import", params={"strict": "true"}, files={"file": ("a.csv", csv_file(*ROWS))})
    assert strict.status_code == 422 and "序号、备注" in strict.json()["error"]["message"]
    lenient = client.post("/api/cases/import", files={"file": ("a.csv", csv_file(*ROWS))})
    body = lenient.json()
    assert lenient.status_code == 200 and body["ignored_columns"] == ["序号", "备注"] and body["created"] == 2
    assert "已忽略列：序号、备注" in body["message"]


def test_two_headers_for_one_field_are_refused() -> None:
    with pytest.raises(InvalidInputError) as err:
        read_table(csv_file(header="登记编号,内容,受理日期,登记日期"), "csv")
    assert "“登记日期”与列“受理日期”是同一字段" in err.value.message


def test_reimporting_unchanged_rows_reports_them_unchanged(service: LeianService) -> None:
    service.ingest_table(read_table(csv_file(*ROWS), "csv"))
    before = service.get_case_by_external("R-1").updated_at
    again = service.ingest_table(read_table(csv_file(*ROWS), "csv"))
    assert (again.created, again.updated, again.unchanged, again.reembedded) == (0, 0, 2, 0)
    assert service.get_case_by_external("R-1").updated_at == before  # nothing was written
    changed = ROWS[0].replace("广州市", "佛山市")
    third = service.ingest_table(read_table(csv_file(changed, ROWS[1]), "csv"))
    assert (third.updated, third.unchanged, third.reembedded) == (1, 1, 0)
    assert "更新 1 件（其中 0 件内容有变、已重新编码），未变化 1 件" in third.summary()


def test_a_fresh_import_does_not_speak_of_reencoding(service: LeianService) -> None:
    report = service.ingest_table(read_table(csv_file(*ROWS), "csv"))
    assert report.summary() == "新增 2 件，更新 0 件，未变化 0 件，共 2 行；已忽略列：序号、备注"
