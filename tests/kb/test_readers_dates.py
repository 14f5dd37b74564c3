"""Dates as offices write them, and errors that name the column as the file spells it (issue 15, item 2)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from kb.dates import excel_serial_date, parse_date
from kb.errors import InvalidInputError
from kb.readers import read_table
from kb.service import LeianService

DAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    "text",
    ["2026-11-26", "2026/11/26", "2026.11.26", "2026年11月26日", "20261126", "2026/11/26 09:30",
     "2026-11-26 09:30:15", "2026-11-26T09:30:00+08:00", "2026年11月26日 9:30", " 2026 年 11 月 26 日 "],
)  # fmt: skip
def test_office_spellings_parse(text: str) -> None:
    assert parse_date(text) == DAY


def test_cells_and_numbers() -> None:
    assert parse_date(dt.datetime(2026, 11, 26, 14, 5)) == DAY
    assert parse_date(20261126) == DAY
    assert excel_serial_date(46352) == DAY
    assert excel_serial_date(46352.5) is None  # a time of day is not a date cell


@pytest.mark.parametrize("text", ["2026-13-01", "2026/02/30", "26/11/2026", "昨天", "2026-11"])
def test_bad_dates_are_refused_in_chinese(text: str) -> None:
    with pytest.raises(ValueError, match="日期"):
        parse_date(text)


def test_csv_dates_in_every_spelling_import(service: LeianService) -> None:
    lines = ["登记编号,内容,受理日期,办结日期"]
    for i, spelled in enumerate(["2026/11/26", "2026年11月26日", "2026.11.26", "20261126", "2026-11-26 10:00"]):
        lines.append(f"D-{i},群众反映小区路灯长期损坏无人维修,{spelled},2026/12/1")
    report = service.ingest_table(read_table("\n".join(lines).encode("gbk"), "csv"))
    assert report.created == 5
    case = service.get_case_by_external("D-1")
    assert (case.received_date, case.resolved_date) == ("2026-11-26", "2026-12-01")


def test_xlsx_date_cells_date_times_and_serial_numbers(service: LeianService) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["登记编号", "内容", "受理日期"])
    ws.append(["E-1", "企业拖欠货车司机运费两个月", dt.datetime(2026, 11, 26)])
    ws.append(["E-2", "货运平台扣押保证金不退", dt.datetime(2026, 11, 26, 16, 45)])
    ws.append(["E-3", "网约车平台无故封号", 46352])  # an unformatted date cell
    buf = io.BytesIO()
    wb.save(buf)
    assert service.ingest_table(read_table(buf.getvalue(), "xlsx")).created == 3
    assert {service.get_case_by_external(n).received_date for n in ("E-1", "E-2", "E-3")} == {"2026-11-26"}


def test_errors_name_the_column_as_the_file_spells_it(service: LeianService) -> None:
    data = "登记编号,信访内容,登记日期\nF-1,反映噪音扰民问题,明天\n".encode()
    with pytest.raises(InvalidInputError) as err:
        service.ingest_table(read_table(data, "csv"))
    problem = err.value.problems[0]
    assert (problem.field, problem.row) == ("登记日期", 2)
    assert "received_date" not in err.value.message and "日期格式无法识别：明天" in err.value.message
    missing = "编号,受理日期\nF-2,2026-11-26\n".encode()
    with pytest.raises(InvalidInputError) as err:
        service.ingest_table(read_table(missing, "csv"))
    assert err.value.problems[0].field == "内容"  # a column the file lacks: its Chinese label
