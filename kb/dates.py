"""Dates as offices write them: ISO, slashes, dots, 年月日, eight digits, Excel cells, date-times.

Registry exports spell one day many ways (``2026-11-26``, ``2026/11/26``, ``2026.11.26``,
``2026年11月26日``, ``20261126``, ``2026-11-26 09:30:00``); a spreadsheet gives a date cell as a
``datetime`` and an unformatted one as a serial day number. ``parse_date`` turns each of them into a
``date`` and raises ``ValueError`` with a Chinese message listing the accepted spellings otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# Shown on the import page and in the format description (``GET /api/cases/import/format``).
DATE_EXAMPLES = ("2026-11-26", "2026/11/26", "2026.11.26", "2026年11月26日", "20261126")
DATE_HINT = "、".join(DATE_EXAMPLES) + "，或 Excel 日期单元格；带时间（如 2026-11-26 09:30）时只取日期"

_TIME = r"(?:[ T]+\d{1,2}(?::|时)\d{1,2}(?:(?::|分)\d{1,2}(?:\.\d+)?秒?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_SEPARATED = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
# Excel's day 1 is 1900-01-01 and it counts a 1900-02-29 that never was: serials count from 1899-12-30.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_SERIALS = range(1, 2958466)  # up to 9999-12-31


def parse_date(value: Any) -> dt.date:
    """One cell or JSON value as a date; ``ValueError`` (in Chinese) when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"日期格式无法识别（可用 {DATE_HINT}）")
    text = value.strip()
    match = _SEPARATED.fullmatch(text) or _COMPACT.fullmatch(text)
    if match is None:
        raise ValueError(f"日期格式无法识别：{text}（可用 {DATE_HINT}）")
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"日期不存在：{text}") from None


def excel_serial_date(value: float) -> dt.date | None:
    """An unformatted Excel date cell (a day number such as 46352) as a date, if it is one."""
    if isinstance(value, bool) or not float(value).is_integer() or int(value) not in _EXCEL_SERIALS:
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=int(value))
