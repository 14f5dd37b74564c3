"""Report exports: CSV (UTF-8 with BOM, opens in Excel), XLSX, and a PNG trend chart.

Rates are numbers with a percent format in XLSX and ``83.3%`` in CSV; week-on-week changes are
percentage points, written ``上升 16.7 个百分点`` (never ``+16.7pp``). File names carry the grouping
(``weekly-city-…`` / ``weekly-department-…``) so the two workbooks of one week do not collide.

Every text cell goes through ``kb.exportsafe.safe_cell``: a unit name or title typed as
``=HYPERLINK(...)`` is written as text, never as a live formula.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from kb.exportsafe import safe_row, xlsx_row
from kb.workflow.reports import GROUPS, Report, UnitRow

log = logging.getLogger(__name__)
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei")


@dataclass(frozen=True)
class Column:
    """One report column: its title, how to read it from a row, and what kind of figure it is.

    ``rate`` cells are fractions (0.833): CSV and text show ``83.3%``, XLSX stores the number with a
    percent format. ``change`` cells are differences of two rates: written in percentage points as
    ``上升 16.7 个百分点`` / ``下降 2.0 个百分点`` / ``持平``, and in XLSX as a number (16.7) whose
    format shows the same words. A new report figure is one more row here.
    """

    title: str
    value: Callable[[UnitRow], Any]
    kind: Literal["text", "count", "rate", "change", "flag"] = "count"


COLUMNS: tuple[Column, ...] = (
    Column("受理数", lambda r: r.received),
    Column("本期化解数", lambda r: r.resolved),
    Column("应化解数", lambda r: r.due),
    Column("已化解数", lambda r: r.cohort_resolved),
    Column("化解率", lambda r: r.resolution_rate, "rate"),
    Column("化解率环比", lambda r: r.change_resolution_rate, "change"),
    Column("化解观察数", lambda r: r.repeat_base),
    Column("再次信访数", lambda r: r.repeats),
    Column("再次信访率", lambda r: r.repeat_rate, "rate"),
    Column("再次信访率环比", lambda r: r.change_repeat_rate, "change"),
    Column("积案数", lambda r: r.backlog),
    Column("应受理数", lambda r: r.acceptance_due),
    Column("按期受理率", lambda r: r.on_time_acceptance_rate, "rate"),
    Column("应办结数", lambda r: r.handling_due),
    Column("按期办结率", lambda r: r.on_time_reply_rate, "rate"),
    Column("答复数", lambda r: r.replied),
    Column("参评率", lambda r: r.evaluation_rate, "rate"),
    Column("满意率", lambda r: r.satisfaction_rate, "rate"),
    Column("参与排名", lambda r: r.ranked, "flag"),
    Column("排名靠后", lambda r: r.lowest, "flag"),
    Column("再次信访率偏高", lambda r: r.repeat_alert, "flag"),
)
PERCENT_FORMAT = "0.0%"
# Number format of a change in percentage points (the cell holds 16.7 for +16.7 points).
POINTS_FORMAT = '"上升 "0.0" 个百分点";"下降 "0.0" 个百分点";"持平"'


def header(report: Report) -> list[str]:
    return [GROUPS[report.group_by], *(c.title for c in COLUMNS)]


def percent_text(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def points_text(value: float | None) -> str:
    """A change of a rate in words: ``上升 16.7 个百分点``, ``下降 2.0 个百分点``, ``持平``."""
    if value is None:
        return ""
    points = round(value * 100, 1)
    if points == 0:
        return "持平"
    return f"{'上升' if points > 0 else '下降'} {abs(points):.1f} 个百分点"


def _text(column: Column, value: Any) -> Any:
    if column.kind == "rate":
        return percent_text(value)
    if column.kind == "change":
        return points_text(value)
    if column.kind == "flag":
        return "是" if value else ""
    return value


def cells(row: UnitRow) -> list[Any]:
    """A row as CSV and the terminal show it (rates and changes in words)."""
    return [row.unit, *(_text(c, c.value(row)) for c in COLUMNS)]


def _xlsx_value(column: Column, value: Any) -> Any:
    if column.kind == "change":
        return None if value is None else round(value * 100, 1)
    if column.kind == "flag":
        return "是" if value else ""
    return value


def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row([report.title]))
    writer.writerow(safe_row(header(report)))
    for row in [*report.rows, report.total]:
        writer.writerow(safe_row(cells(row)))
    writer.writerow([])
    writer.writerow(safe_row(["指标", "口径"]))
    for name, meaning in report.definitions.items():
        writer.writerow(safe_row([name, meaning]))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(report: Report) -> bytes:
    """The report as a workbook: counts and rates as numbers (rates with a percent format), changes
    as numbers of percentage points shown as ``上升 16.7 个百分点``; a 趋势 sheet for weekly reports."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "督查报表"
    sheet.append(xlsx_row([report.title]))
    sheet.append(xlsx_row(header(report)))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    low = PatternFill("solid", fgColor="FFF2CC")
    for row in [*report.rows, report.total]:
        sheet.append(xlsx_row([row.unit, *(_xlsx_value(c, c.value(row)) for c in COLUMNS)]))
        line = sheet[sheet.max_row]
        for column, cell in zip(COLUMNS, line[1:], strict=True):
            if column.kind == "rate":
                cell.number_format = PERCENT_FORMAT
            elif column.kind == "change":
                cell.number_format = POINTS_FORMAT
        if row.lowest:
            for cell in line:
                cell.fill = low
    if report.trend:
        trend = book.create_sheet("趋势")
        trend.append(["周截止日", "受理数", "应化解数", "化解率", "再次信访率"])
        for p in report.trend:
            trend.append(xlsx_row([p.week_end, p.received, p.due, p.resolution_rate, p.repeat_rate]))
            for cell in trend[trend.max_row][3:]:
                cell.number_format = PERCENT_FORMAT
    notes = book.create_sheet("口径")
    notes.append(["指标", "口径"])
    for name, meaning in report.definitions.items():
        notes.append(xlsx_row([name, meaning]))
    sheet.column_dimensions["A"].width = 24
    for index in range(2, len(COLUMNS) + 2):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_stem(report: Report, kind: str) -> str:
    """A file name that tells workbooks apart: ``weekly-city-2026-11-30``, ``period-department-…``."""
    span = report.date_to if kind == "weekly" else f"{report.date_from}-{report.date_to}"
    return f"{kind}-{report.group_by}-{span}"


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


def chart_caption(report: Report, zh: bool = True, width: int = 70) -> str:
    """The 化解率 and 再次信访率 definitions the trend chart states under its plot (wrapped); without a CJK
    font, a pointer to them in English."""
    if not zh:
        return "Rate definitions: see the report's definitions (rows after the CSV table, the XLSX definitions sheet)."
    lines = []
    for name in ("化解率", "再次信访率", "已化解状态"):
        if name in report.definitions:
            text = f"{name}：{report.definitions[name]}"  # CJK: cut every ``width`` characters, not at spaces
            lines += [text[i : i + width] for i in range(0, len(text), width)]
    return "\n".join(lines)


def trend_png(report: Report) -> bytes:
    """Weekly 化解率 and 再次信访率 lines; English labels when no CJK font is installed."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("需要 matplotlib：pip install 'leian[reports]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _cjk_font()
    if font is None:
        log.warning("no CJK font found (apt-get install fonts-noto-cjk); chart labels fall back to English")
    zh = font is not None
    labels = (
        ("化解率", "再次信访率", "周截止日", report.title)
        if zh
        else ("resolution rate", "repeat rate", "week ending", f"weekly trend {report.date_from}..{report.date_to}")
    )
    weeks = [p.week_end[5:] for p in report.trend]
    with plt.rc_context({"font.family": [font] if font else ["DejaVu Sans"], "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(8, 5.6 if zh else 4.4), dpi=100)
        ax.plot(weeks, [(p.resolution_rate or 0) * 100 for p in report.trend], marker="o", label=labels[0])
        ax.plot(weeks, [(p.repeat_rate or 0) * 100 for p in report.trend], marker="s", label=labels[1])
        ax.set_ylabel("%")
        ax.set_xlabel(labels[2])
        ax.set_title(labels[3], fontsize=10)
        ax.legend()
        ax.grid(alpha=0.3)
        # Every rate shown states its definition: the chart carries the report's words for its two lines.
        fig.tight_layout(rect=(0, 0.2 if zh else 0.08, 1, 1))
        fig.text(0.02, 0.02, chart_caption(report, zh), fontsize=7, va="bottom", ha="left", wrap=False)
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close(fig)
    return out.getvalue()
