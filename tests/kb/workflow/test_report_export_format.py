"""Report workbooks people can compute with: rates are numbers in a percent format, changes are
written in 个百分点, and city and department workbooks have distinct names (issue 15, item 20)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from kb.workflow import exports
from kb.workflow.reports import Report, TrendPoint, UnitRow


def _report(group_by: str = "city") -> Report:
    up = UnitRow("广州市", received=6, resolved=5, due=6, cohort_resolved=5, repeat_base=5, repeats=1, backlog=2,
                 change_resolution_rate=0.1667, change_repeat_rate=-0.02, lowest=True)  # fmt: skip
    flat = UnitRow("深圳市", received=4, due=4, cohort_resolved=2, change_resolution_rate=0.0)
    total = UnitRow("合计", received=10, resolved=5, due=10, cohort_resolved=7, repeat_base=5, repeats=1, backlog=2)
    trend = [TrendPoint("2026-11-29", 10, 0.7, 0.1)]
    return Report("周滚动督查报表", group_by, "2026-11-23", "2026-11-29", None, [up, flat], total, trend)


def test_xlsx_rates_are_numbers_with_a_percent_format_and_changes_are_points() -> None:
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(_report())))["督查报表"]
    header = [c.value for c in sheet[2]]
    rate, change, repeat_change = (header.index(t) + 1 for t in ("化解率", "化解率环比", "再次信访率环比"))
    cell = sheet.cell(row=3, column=rate)
    assert cell.value == 0.8333 and cell.number_format == "0.0%"
    moved = sheet.cell(row=3, column=change)
    assert moved.value == 16.7 and "个百分点" in moved.number_format and "上升" in moved.number_format
    assert sheet.cell(row=3, column=repeat_change).value == -2.0
    trend = load_workbook(io.BytesIO(exports.to_xlsx(_report())))["趋势"]
    assert trend["C1"].value == "应化解数" and trend["D2"].value == 0.7 and trend["D2"].number_format == "0.0%"


def test_csv_and_text_say_changes_in_points() -> None:
    cells = [c for line in csv.reader(io.StringIO(exports.to_csv(_report()).decode("utf-8-sig"))) for c in line]
    assert "上升 16.7 个百分点" in cells and "下降 2.0 个百分点" in cells and "持平" in cells
    assert "83.3%" in cells and not any(c.endswith("pp") for c in cells)


def test_city_and_department_workbooks_have_distinct_names() -> None:
    names = {exports.file_stem(_report(by), kind) for by in ("city", "department") for kind in ("weekly", "period")}
    assert len(names) == 4 and "weekly-city-2026-11-29" in names
