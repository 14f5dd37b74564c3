"""Report exports: CSV (UTF-8 with BOM, opens in Excel), XLSX, and a PNG trend chart.

Every text cell goes through ``kb.exportsafe.safe_cell``: a unit name or title typed as
``=HYPERLINK(...)`` is written as text, never as a live formula.
"""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from kb.exportsafe import safe_row
from kb.workflow.reports import GROUPS, Report, UnitRow

log = logging.getLogger(__name__)
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei")


def header(report: Report) -> list[str]:
    return [
        GROUPS[report.group_by],
        "受理数",
        "化解数",
        "化解率",
        "化解率环比",
        "重复信访数",
        "再次信访率",
        "再次信访率环比",
        "积案数",
        "应受理数",
        "按期受理率",
        "应办结数",
        "按期办结率",
        "答复数",
        "参评率",
        "满意率",
        "排名靠后",
    ]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value * 100:+.1f}pp"


def cells(row: UnitRow) -> list[Any]:
    return [
        row.unit,
        row.received,
        row.resolved,
        _pct(row.resolution_rate),
        _signed(row.change_resolution_rate),
        row.repeats,
        _pct(row.repeat_rate),
        _signed(row.change_repeat_rate),
        row.backlog,
        row.acceptance_due,
        _pct(row.on_time_acceptance_rate),
        row.handling_due,
        _pct(row.on_time_reply_rate),
        row.replied,
        _pct(row.evaluation_rate),
        _pct(row.satisfaction_rate),
        "是" if row.lowest else "",
    ]


def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row([report.title]))
    writer.writerow(safe_row(header(report)))
    for row in [*report.rows, report.total]:
        writer.writerow(safe_row(cells(row)))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "督查报表"
    sheet.append(safe_row([report.title]))
    sheet.append(safe_row(header(report)))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    low = PatternFill("solid", fgColor="FFF2CC")
    for row in [*report.rows, report.total]:
        sheet.append(safe_row(cells(row)))
        if row.lowest:
            for cell in sheet[sheet.max_row]:
                cell.fill = low
    if report.trend:
        trend = book.create_sheet("趋势")
        trend.append(["周截止日", "受理数", "化解率", "再次信访率"])
        for p in report.trend:
            trend.append(safe_row([p.week_end, p.received, _pct(p.resolution_rate), _pct(p.repeat_rate)]))
    notes = book.create_sheet("口径")
    notes.append(["指标", "口径"])
    for name, meaning in report.definitions.items():
        notes.append(safe_row([name, meaning]))
    sheet.column_dimensions["A"].width = 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


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
        fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
        ax.plot(weeks, [(p.resolution_rate or 0) * 100 for p in report.trend], marker="o", label=labels[0])
        ax.plot(weeks, [(p.repeat_rate or 0) * 100 for p in report.trend], marker="s", label=labels[1])
        ax.set_ylabel("%")
        ax.set_xlabel(labels[2])
        ax.set_title(labels[3], fontsize=10)
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close(fig)
    return out.getvalue()
