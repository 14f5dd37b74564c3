"""File downloads: media types, a ``Content-Disposition`` that keeps a Chinese file name, and
table exports of cases (masked as on screen) as CSV or XLSX.

``attachment("leian-cases.xlsx", "案件清单.xlsx")`` sends the ASCII name for old clients and the
Chinese one as RFC 6266 ``filename*`` (UTF-8, percent-encoded), which browsers prefer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Response

from kb.domain import Case
from kb.fields import export_cells
from kb.tabular import MEDIA_TYPES, render

CSV = MEDIA_TYPES["csv"]
XLSX = MEDIA_TYPES["xlsx"]


def attachment(ascii_name: str, display_name: str | None = None) -> dict[str, str]:
    value = f'attachment; filename="{ascii_name}"'
    if display_name and display_name != ascii_name:
        value += f"; filename*=UTF-8''{quote(display_name)}"
    return {"Content-Disposition": value}


def case_rows(cases: Iterable[Case], lead: Sequence[Any] = ()) -> list[list[Any]]:
    """Export rows of cases, masked as on screen (``CaseOut``); ``lead`` cells come first in each."""
    from api.schemas.cases import CaseOut

    return [[*lead, *export_cells(CaseOut.from_case(c).model_dump())] for c in cases]


def table_response(
    fmt: str, sheet: str, header: Sequence[str], rows: list[list[Any]], ascii_stem: str, stem: str
) -> Response:
    """A CSV or XLSX download of one table (text cells formula-safe, ``kb.tabular``)."""
    data = render(fmt, sheet, header, rows)
    return Response(data, media_type=MEDIA_TYPES[fmt], headers=attachment(f"{ascii_stem}.{fmt}", f"{stem}.{fmt}"))
