"""What a case import accepts, as data: file formats, column headers, date spellings, extra columns.

The import page (``api/web``), ``GET /api/cases/import/format``, the downloadable template
(``GET /api/cases/import/template``) and the README all describe the same thing, so it is built
here once, from the field table (``kb/fields.py``) and the date parser (``kb/dates.py``).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from kb.dates import DATE_EXAMPLES, DATE_HINT
from kb.fields import STATUS_LABELS, CaseField, Status, input_fields

FILE_FORMATS = (
    ("xlsx", "Excel 工作簿（.xlsx），读取第一个工作表，第一行为表头"),
    ("csv", "CSV（.csv），UTF-8（可带 BOM）或 GBK/GB18030 编码，第一行为表头"),
    ("jsonl", "JSON Lines（.jsonl/.json），每行一个对象，键为字段名或中文表头"),
)
GZIP_NOTE = "以上格式均可再用 gzip 压缩（.gz）"
EXTRA_COLUMNS_NOTE = (
    "表中其他列（如 序号、备注）不读取，导入结果会列出“已忽略列”；"
    "严格模式（leian ingest --strict、LEIAN_IMPORT_STRICT=true 或上传时 strict=true）下拒绝导入"
)
TEMPLATE_NAME = "leian-import-template.xlsx"
# One illustrative row of the template (synthetic: no real person or case).
EXAMPLE_ROW: dict[str, Any] = {
    "external_no": "XF-2026-000001",
    "title": "工地拖欠农民工工资",
    "content": "本人在某工地务工三个月，包工头以工程款未结清为由拖欠工资两万元，多次讨要未果，请求协调支付。",
    "received_date": dt.date(2026, 11, 26),
    "channel": "来访",
    "city": "广州市",
    "district": "天河区",
    "department": "省人力资源社会保障厅",
    "category": "劳动保障",
    "status": STATUS_LABELS[Status.pending],
    "litigation": "否",
    "petitioner_name": "张某某",
    "participants": 1,
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    header: str
    aliases: tuple[str, ...]
    required: bool
    accepts: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "header": self.header,
            "aliases": list(self.aliases),
            "required": self.required,
            "accepts": self.accepts,
        }


def _accepts(f: CaseField) -> str:
    if f.type is Status:
        return f"{' / '.join(STATUS_LABELS.values())}（或 {' / '.join(s.value for s in Status)}）"
    if f.choices:
        return " / ".join(f.choices)
    if f.type is dt.date:
        return DATE_HINT
    if f.type is bool:
        return "是 / 否"
    if f.type is int:
        bounds = f"{f.ge if f.ge is not None else ''}–{f.le if f.le is not None else ''}"
        return f"整数（{bounds}）" if f.ge is not None or f.le is not None else "整数"
    limit = f"，最多 {f.max_length} 字" if f.max_length else ""
    return f"文本{limit}"


def columns() -> list[ColumnSpec]:
    """Every column an import reads, in the field table's order (the template's order)."""
    return [ColumnSpec(f.name, f.label, (f.name, *f.aliases), f.required, f"{f.describe()}；{_accepts(f)}")
            for f in input_fields()]  # fmt: skip


def describe() -> dict[str, Any]:
    """The whole description as JSON-ready data (``GET /api/cases/import/format``)."""
    return {
        "formats": [{"format": fmt, "description": text} for fmt, text in FILE_FORMATS],
        "compression": GZIP_NOTE,
        "columns": [c.as_dict() for c in columns()],
        "date_formats": list(DATE_EXAMPLES),
        "date_note": DATE_HINT,
        "extra_columns": EXTRA_COLUMNS_NOTE,
        "all_or_nothing": "任一行有误则整个文件不写入，错误按行号和表头列名指出",
        "idempotent": "按登记编号幂等：再次导入时更新有变化的案件，未变化的行计为“未变化”",
        "template": TEMPLATE_NAME,
    }


def template_xlsx() -> bytes:
    """An import template: the Chinese headers, one example row, and a sheet explaining each column."""
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "案件"
    specs = columns()
    sheet.append([c.header for c in specs])
    sheet.append([EXAMPLE_ROW.get(c.name) for c in specs])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for col, spec in enumerate(specs, start=1):
        letter = sheet.cell(row=1, column=col).column_letter
        sheet.column_dimensions[letter].width = 40 if spec.name == "content" else max(12, 2 * len(spec.header) + 4)
        if spec.name in ("received_date", "resolved_date"):
            sheet.cell(row=2, column=col).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("说明")
    notes.append(["表头", "必填", "也可写作", "填写说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for spec in specs:
        notes.append([spec.header, "是" if spec.required else "", "、".join(spec.aliases), spec.accepts])
    notes.append([])
    notes.append(["日期", "", "", DATE_HINT])
    notes.append(["其他列", "", "", EXTRA_COLUMNS_NOTE])
    for letter, width in (("A", 12), ("B", 6), ("C", 30), ("D", 80)):
        notes.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
