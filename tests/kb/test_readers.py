"""Import files: JSONL, CSV in UTF-8 and GBK, XLSX; bad rows named by line and field."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from kb.errors import InvalidInputError
from kb.readers import detect_format, read_rows
from kb.service import LeianService
from tests.helpers import ROWS

FIELDS = ["external_no", "title", "content", "received_date", "city", "category", "status"]


def csv_bytes(encoding: str, header: list[str] | None = None) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header or FIELDS)
    for r in ROWS:
        writer.writerow([r.get(f, "") for f in FIELDS])
    return buf.getvalue().encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_government_encodings(service: LeianService, encoding: str) -> None:
    report = service.ingest(list(read_rows(csv_bytes(encoding), "csv")))
    assert report.created == len(ROWS)
    assert service.get_case_by_external("T-003").title == "物业乱收费"


def test_csv_with_chinese_headers_and_status_labels(service: LeianService) -> None:
    text = "登记编号,标题,内容,受理日期,地市,状态\nX-1,欠薪,包工头拖欠工资,2025-01-02,广州市,已化解\n"
    service.ingest(list(read_rows(text.encode("gbk"), "csv")))
    case = service.get_case_by_external("X-1")
    assert case.status == "resolved" and case.city == "广州市"


def test_xlsx_import(service: LeianService) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(FIELDS)
    for r in ROWS:
        ws.append([r.get(f) for f in FIELDS])
    buf = io.BytesIO()
    wb.save(buf)
    assert service.ingest(list(read_rows(buf.getvalue(), "xlsx"))).created == len(ROWS)


def test_jsonl_bad_line_is_named() -> None:
    data = (json.dumps(ROWS[0], ensure_ascii=False) + "\n{not json\n").encode()
    with pytest.raises(InvalidInputError) as err:
        list(read_rows(data, "jsonl"))
    assert err.value.problems[0].row == 2


def test_csv_wrong_column_count_is_named() -> None:
    data = "external_no,content,received_date\nA,内容,2025-01-01\nB,内容\n".encode()
    with pytest.raises(InvalidInputError) as err:
        list(read_rows(data, "csv"))
    assert err.value.problems[0].row == 3


def test_broken_xlsx_and_unknown_format() -> None:
    with pytest.raises(InvalidInputError, match="Excel"):
        list(read_rows(b"PK\x03\x04 not really a workbook", "xlsx"))
    with pytest.raises(InvalidInputError, match="无法识别"):
        detect_format("cases.pdf")


def test_undecodable_bytes_are_rejected() -> None:
    with pytest.raises(InvalidInputError, match="编码"):
        list(read_rows(b"external_no\n\xff\xfe\xfa\x81\x30", "csv"))
