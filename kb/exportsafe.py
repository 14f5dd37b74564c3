"""Spreadsheet-safe cells: text that Excel or LibreOffice would run as a formula is neutralised.

Every CSV and XLSX writer passes its cells through ``safe_cell`` (or ``safe_row``). A text cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, which
spreadsheets show as plain text; numbers, dates and booleans stay typed values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Full-width forms are folded to ASCII by some spreadsheet locales before evaluation.
_WIDE = ("＝", "＋", "－", "＠")
# A signed figure such as "-2.5pp" or "+3%" (the reports' change columns) is not a formula.
_SIGNED_FIGURE = re.compile(r"[+-]\d+(?:\.\d+)?(?:%|pp)?")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text a spreadsheet would evaluate; then ``'`` + text."""
    if not isinstance(value, str) or not value.startswith((*FORMULA_PREFIXES, *_WIDE)):
        return value
    return value if _SIGNED_FIGURE.fullmatch(value) else "'" + value


def unsafe_cell(value: Any) -> Any:
    """The inverse for re-import: drop the ``'`` that ``safe_cell`` added (round trips stay exact)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith((*FORMULA_PREFIXES, *_WIDE)):
        return value[1:]
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def xlsx_cell(value: Any) -> Any:
    """``safe_cell`` for a workbook: text also loses the control characters openpyxl refuses (one
    ``\x1d`` in a stored title or a typed filter would otherwise fail the whole download)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)


def xlsx_row(values: Iterable[Any]) -> list[Any]:
    return [xlsx_cell(v) for v in values]
