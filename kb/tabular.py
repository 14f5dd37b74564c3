"""Tables as files: CSV (UTF-8 with BOM, opens in Excel) and XLSX, with formula-safe text cells.

Case lists, group members and leader packages are exported through these two writers (reports have
their own layout in ``kb/workflow/exports.py``). Every text cell passes ``kb.exportsafe.safe_row``
(``xlsx_row`` in workbooks, which also drops control characters), so a title typed as
``=HYPERLINK(...)`` stays text. Numbers stay numbers; a column listed in
``percent_columns`` holds fractions (0.833) shown with Excel's percent format (83.3%).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from kb.exportsafe import safe_row, xlsx_row

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PERCENT_FORMAT = "0.0%"


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(list(header)))
    for row in rows:
        writer.writerow(safe_row(["" if v is None else v for v in row]))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(
    sheet_title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    percent_columns: Collection[int] = (),
    widths: dict[int, int] | None = None,
) -> bytes:
    """One sheet: a bold, frozen header row, then the rows (``percent_columns`` by 0-based index)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]  # Excel's limit
    sheet.append(xlsx_row(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append(xlsx_row(row))
        for index in percent_columns:
            sheet.cell(row=sheet.max_row, column=index + 1).number_format = PERCENT_FORMAT
    for index, width in (widths or {}).items():
        sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(fmt: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    if fmt == "csv":
        return to_csv(header, rows)
    if fmt == "xlsx":
        return to_xlsx(sheet_title, header, rows)
    from kb.errors import FieldProblem, InvalidInputError

    raise InvalidInputError([FieldProblem("format", f"格式应为 {'、'.join(FORMATS)} 之一")])
