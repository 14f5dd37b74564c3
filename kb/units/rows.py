"""Unit files: the columns of a unit table (bundled CSV or an import), each row to a ``Unit``, and the
checks that a set of units is consistent (names and aliases unique, parents and cities known).

Problems name the row and the column as the file spells it (``类型`` or ``kind``), in Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from kb.errors import FieldProblem, InvalidInputError
from kb.readers import RawRow, read_rows
from kb.units.catalog import KIND_LABELS, PARENT_KINDS, PARENT_REQUIRED, Unit, clean_name, kinds_text

BUNDLED = "guangdong.csv"
MAX_NAME = 64
# Column -> the headers a file may use for it (English first, then Chinese).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "单位名称", "单位"),
    "kind": ("kind", "类型", "单位类型"),
    "parent": ("parent", "上级单位", "上级"),
    "aliases": ("aliases", "别名", "简称"),
    "cities": ("cities", "覆盖地市", "督查地市"),
    "active": ("active", "启用"),
}
REQUIRED_COLUMNS = ("name", "kind")
KIND_BY_TEXT: dict[str, str] = {**{k: k for k in KIND_LABELS}, **{v: k for k, v in KIND_LABELS.items()}}
_YES_NO = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
_LIST_SPLIT = re.compile(r"[、,，;；|/\s]+")
_HEADER_OF = {h.lower(): column for column, headers in COLUMNS.items() for h in headers}


@dataclass(frozen=True)
class UnitRow:
    """One row of a unit file: the unit, whether it is active, and where it came from."""

    unit: Unit
    active: bool
    row: int | None
    headers: Mapping[str, str]  # column -> the header as the file spells it

    def at(self, column: str) -> str:
        return self.headers.get(column, COLUMNS[column][1])


def split_list(value: Any) -> tuple[str, ...]:
    """A list cell: ``广州市、深圳市`` (also , ; | or spaces) or a JSON list; blanks dropped, order kept."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else _LIST_SPLIT.split(str(value))
    return tuple(dict.fromkeys(clean_name(str(v)) for v in items if clean_name(str(v))))


def headers_of(raw_headers: Iterable[str]) -> tuple[dict[str, str], list[FieldProblem]]:
    """Column -> header spelling, and problems for unknown, repeated or missing columns (row 1)."""
    found: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for header in raw_headers:
        spelled = str(header).strip().lstrip("\ufeff")
        column = _HEADER_OF.get(spelled.lower())
        if column is None:
            accepted = "、".join(hs[1] for hs in COLUMNS.values())
            problems.append(FieldProblem(spelled or "（空表头）", f"未知的列，可用的列为：{accepted}", 1))
        elif column in found:
            problems.append(FieldProblem(spelled, f"与“{found[column]}”是同一列，重复", 1))
        else:
            found[column] = spelled
    for column in REQUIRED_COLUMNS:
        if column not in found:
            problems.append(FieldProblem(COLUMNS[column][1], f"缺少必填列（{'或'.join(COLUMNS[column][:2])}）", 1))
    return found, problems


def parse_row(
    row_no: int | None, raw: Mapping[str, Any], headers: Mapping[str, str]
) -> tuple[UnitRow | None, list[FieldProblem]]:
    """One raw row (keyed by the file's headers) as a unit, or the problems with it."""

    def cell(column: str) -> Any:
        header = headers.get(column)
        value = raw.get(header) if header is not None else None
        return value.strip() if isinstance(value, str) else value

    problems: list[FieldProblem] = []
    at = {c: headers.get(c, COLUMNS[c][1]) for c in COLUMNS}
    name = clean_name(str(cell("name") or ""))
    if not name:
        problems.append(FieldProblem(at["name"], "单位名称不能为空", row_no))
    elif len(name) > MAX_NAME:
        problems.append(FieldProblem(at["name"], f"单位名称超过 {MAX_NAME} 字", row_no))
    kind_text = clean_name(str(cell("kind") or ""))
    kind = KIND_BY_TEXT.get(kind_text)
    if kind is None:
        shown = f"“{kind_text}”" if kind_text else "为空"
        problems.append(
            FieldProblem(at["kind"], f"单位类型{shown}无效，应为 {'、'.join(KIND_LABELS.values())} 之一", row_no)
        )
    parent = clean_name(str(cell("parent") or "")) or None
    aliases = split_list(cell("aliases"))
    cities = split_list(cell("cities"))
    too_long = [a for a in (*aliases, *cities, parent or "") if len(a) > MAX_NAME]
    if too_long:
        problems.append(FieldProblem(at["aliases"], f"名称超过 {MAX_NAME} 字：{too_long[0][:20]}…", row_no))
    active_value = cell("active")
    active = True
    if active_value not in (None, ""):
        flag = _YES_NO.get(str(active_value).strip().lower()) if not isinstance(active_value, bool) else active_value
        if flag is None:
            problems.append(FieldProblem(at["active"], "应为 是/否", row_no))
        else:
            active = flag
    if problems or kind is None:
        return None, problems
    aliases = tuple(a for a in aliases if a != name)
    return UnitRow(Unit(name, kind, parent, aliases, cities), active, row_no, at), []


def parse_rows(rows: Sequence[RawRow], raw_headers: Iterable[str]) -> tuple[list[UnitRow], list[FieldProblem]]:
    """Every row of a unit file as a unit, and the problems of the rows that are not one. A header
    problem (unknown or missing column) or an empty file raises InvalidInputError at once."""
    headers, problems = headers_of(raw_headers)
    if problems:
        raise InvalidInputError(problems)
    parsed: list[UnitRow] = []
    for row_no, raw in rows:
        unit_row, row_problems = parse_row(row_no, raw, headers)
        problems += row_problems
        if unit_row is not None:
            parsed.append(unit_row)
    if not parsed and not problems:
        raise InvalidInputError([FieldProblem("file", "文件中没有单位")])
    return parsed, problems


def read_unit_file(data: bytes, fmt: str) -> tuple[list[UnitRow], list[FieldProblem]]:
    """A unit file (CSV, XLSX or JSON Lines) as rows and row problems; headers kept as the file spells them."""
    rows = list(read_rows(data, fmt, header=lambda h: h.strip().lstrip("\ufeff")))
    raw_headers: dict[str, None] = {}
    for _, raw in rows:
        raw_headers.update(dict.fromkeys(raw))
    if not rows:
        raise InvalidInputError([FieldProblem("file", "文件中没有单位")])
    return parse_rows(rows, raw_headers)


def bundled_rows() -> list[UnitRow]:
    """The master data shipped with Leian: 广东省 cities, districts, departments and the bureau."""
    data = resources.files("kb.units").joinpath("data", BUNDLED).read_bytes()
    parsed, problems = read_unit_file(data, "csv")
    if problems:
        raise InvalidInputError(problems)
    return parsed


def resolve(incoming: Sequence[UnitRow], existing: Iterable[Unit] = ()) -> tuple[list[UnitRow], list[FieldProblem]]:
    """``incoming`` checked against ``existing`` overlaid with it (a row with a known name replaces that
    unit): names and aliases unique, parents and covered cities known units of the right kind, given by
    name or alias (returned as canonical names). Problems are reported on the incoming rows."""
    merged: dict[str, Unit] = {u.name: u for u in existing}
    first_row: dict[str, UnitRow] = {}
    problems: list[FieldProblem] = []
    for r in incoming:
        if r.unit.name in first_row:
            earlier = first_row[r.unit.name].row
            problems.append(FieldProblem(r.at("name"), f"单位“{r.unit.name}”与第 {earlier} 行重复", r.row))
            continue
        first_row[r.unit.name] = r
        merged[r.unit.name] = r.unit
    spelled: dict[str, str] = {name: name for name in merged}
    for unit in merged.values():
        for alias in unit.aliases:
            owner = spelled.setdefault(alias, unit.name)
            if owner != unit.name:
                clash = first_row.get(unit.name) or first_row.get(owner)
                if clash is not None:
                    message = f"别名“{alias}”已是单位“{owner}”的名称或别名"
                    problems.append(FieldProblem(clash.at("aliases"), message, clash.row))
    resolved: list[UnitRow] = []
    for r in first_row.values():
        unit = replace(
            r.unit,
            parent=spelled.get(r.unit.parent, r.unit.parent) if r.unit.parent else None,
            cities=tuple(dict.fromkeys(spelled.get(c, c) for c in r.unit.cities)),
        )
        merged[unit.name] = unit
        resolved.append(replace(r, unit=unit))
    for r in resolved:
        problems += _links(r, merged)
        problems += _dependents(r, merged, set(first_row))
    return resolved, problems


def _dependents(r: UnitRow, merged: Mapping[str, Unit], incoming: set[str]) -> list[FieldProblem]:
    """A stored unit's parent or covered city must keep a kind that fits when a row replaces it."""
    name, kind = r.unit.name, r.unit.kind
    broken = [
        u.name
        for u in merged.values()
        if u.name not in incoming
        and ((u.parent == name and kind not in PARENT_KINDS[u.kind]) or (name in u.cities and kind != "city"))
    ]
    if not broken:
        return []
    more = f"等 {len(broken)} 个单位" if len(broken) > 3 else ""
    message = f"改为{KIND_LABELS[kind]}后，{'、'.join(broken[:3])}{more}的上级单位或覆盖地市不再有效"
    return [FieldProblem(r.at("kind"), message, r.row)]


def _links(r: UnitRow, merged: Mapping[str, Unit]) -> list[FieldProblem]:
    unit, problems = r.unit, []
    allowed = PARENT_KINDS[unit.kind]
    if unit.parent is None and unit.kind in PARENT_REQUIRED:
        problems.append(
            FieldProblem(r.at("parent"), f"{unit.kind_label}须填写上级单位（{kinds_text(allowed)}）", r.row)
        )
    elif unit.parent is not None:
        parent = merged.get(unit.parent)
        if not allowed:
            problems.append(FieldProblem(r.at("parent"), f"{unit.kind_label}不设上级单位", r.row))
        elif unit.parent == unit.name:
            problems.append(FieldProblem(r.at("parent"), "上级单位不能是自身", r.row))
        elif parent is None:
            problems.append(FieldProblem(r.at("parent"), f"上级单位“{unit.parent}”不存在", r.row))
        elif parent.kind not in allowed:
            message = f"上级单位“{unit.parent}”是{parent.kind_label}，应为{kinds_text(allowed)}"
            problems.append(FieldProblem(r.at("parent"), message, r.row))
    if unit.cities and unit.kind != "division":
        problems.append(FieldProblem(r.at("cities"), "只有督查处可填写覆盖地市", r.row))
    for city in unit.cities if unit.kind == "division" else ():
        known = merged.get(city)
        if known is None or known.kind != "city":
            problems.append(FieldProblem(r.at("cities"), f"覆盖地市“{city}”不是已知地级市", r.row))
    return problems
