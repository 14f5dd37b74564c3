"""How every `leian` command prints: tables with headers, ``--json``, and what an empty result says.

Commands adopt three helpers so the CLI reads the same everywhere:

- ``@json_option`` adds ``--json`` (the flag arrives as ``as_json``); ``emit_json(data)`` prints
  dataclasses, pydantic models, dates and enums as indented UTF-8 JSON.
- ``emit_table(headers, rows)`` prints an aligned table with a header row and a rule; Chinese
  characters count as two columns, so columns line up in a terminal. ``emit_record(pairs)`` prints
  one record as ``标签：值`` lines.
- ``empty_result(what, choices)`` is the one message for an empty result:
  ``没有符合条件的包案候选（可选值：劳动保障、城乡建设）`` — it names what was looked for and, when
  the caller knows them, the values that would have found something. Printed on stdout (exit 0);
  with ``--json`` the command prints ``[]`` instead.

Example::

    @click.command()
    @json_option
    def show(as_json: bool) -> None:
        rows = [...]
        if as_json:
            emit_json(rows)
        elif not rows:
            click.echo(empty_result("包案", ["劳动保障"]))
        else:
            emit_table(["编号", "领导"], [[r.id, r.leader] for r in rows])
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
MAX_CHOICES = 12  # choices listed in an empty-result message before "等 N 项"

json_option = click.option("--json", "as_json", is_flag=True, help="输出 JSON")


def _plain(value: Any) -> Any:
    """A value as JSON can carry it: dataclasses and pydantic models as objects, dates as ISO text."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def emit_json(data: Any) -> None:
    click.echo(json.dumps(_plain(data), ensure_ascii=False, indent=2, default=str))


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK) and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value).replace("\n", " ")


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An aligned text table: header, a rule, then one line per row; numbers are right-aligned."""
    raw = [list(row) for row in rows]
    body = [[_cell(v) for v in row] for row in raw]
    widths = [display_width(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    numeric = [
        bool(raw) and all(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in raw)
        for i in range(len(headers))
    ]
    lines = ["  ".join(_pad(h, widths[i], numeric[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(_pad(c, widths[i], numeric[i]) for i, c in enumerate(row)).rstrip() for row in body)
    return "\n".join(lines)


def emit_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    if title:
        click.echo(title)
    click.echo(format_table(headers, rows))


def emit_record(pairs: Iterable[tuple[str, Any]]) -> None:
    """One record as aligned ``标签：值`` lines (empty values are left out)."""
    items = [(label, _cell(value)) for label, value in pairs if value not in (None, "", [], {})]
    width = max((display_width(label) for label, _ in items), default=0) + 2
    for label, value in items:
        click.echo(f"{_pad(label + '：', width, False)}{value}")


def empty_result(what: str, choices: Iterable[str] = (), *, qualifier: str = "符合条件的") -> str:
    """``没有符合条件的{what}（可选值：…）``; the choices are those that would find something."""
    values = [c for c in dict.fromkeys(choices) if c]
    text = f"没有{qualifier}{what}"
    if values:
        shown = "、".join(values[:MAX_CHOICES])
        more = f" 等 {len(values)} 项" if len(values) > MAX_CHOICES else ""
        text += f"（可选值：{shown}{more}）"
    return text


def percent(value: float | None) -> str:
    """A rate as the reports print it: ``83.3%``, or ``-`` when there is none."""
    return "-" if value is None else f"{value:.1%}"
