"""Loading and validating evaluation datasets (JSON Lines, gzipped or not) with line/field errors."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kb.errors import FieldProblem, InvalidInputError

Row = dict[str, Any]
# Which fields each dataset kind needs (all must be non-empty strings unless noted).
REQUIRED: dict[str, tuple[str, ...]] = {
    "corpus": ("id", "text"),
    "queries": ("id", "text", "relevance"),
    "triplets": ("id", "text_a", "text_b", "text_c", "label"),
    "labelled": ("id", "text", "label"),
    "grouped": ("id", "text"),
}


def read_jsonl(path: Path | str) -> list[tuple[int, Row]]:
    """(line number, object) for every non-blank line; gzip is detected by its magic bytes."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError([FieldProblem("file", f"{path.name} 不是 UTF-8 编码：{exc.reason}")]) from exc
    rows: list[tuple[int, Row]] = []
    problems: list[FieldProblem] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(
                FieldProblem("json", f"{path.name} 不是合法的 JSON（{exc.msg}，第 {exc.colno} 列）", line_no)
            )
            continue
        if not isinstance(obj, dict):
            problems.append(FieldProblem("json", f"{path.name} 每行应为一个 JSON 对象", line_no))
            continue
        rows.append((line_no, obj))
    if problems:
        raise InvalidInputError(problems)
    if not rows:
        raise InvalidInputError([FieldProblem("file", f"{path.name} 没有数据行")])
    return rows


def _check_row(kind: str, line: int, row: Row) -> list[FieldProblem]:
    problems = []
    for name in REQUIRED[kind]:
        value = row.get(name)
        if name == "relevance":
            if not isinstance(value, dict):
                problems.append(FieldProblem(name, "应为对象：语料编号 → 相关等级（0–3）", line))
                continue
            for doc, grade in value.items():
                if not isinstance(grade, int) or isinstance(grade, bool) or not 0 <= grade <= 3:
                    problems.append(FieldProblem(name, f"语料 {doc} 的相关等级应为 0–3 的整数，实际为 {grade!r}", line))
            continue
        if name == "id" and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(FieldProblem(name, "缺失或为空" if value in (None, "") else "应为非空字符串", line))
    if kind == "triplets" and row.get("label") not in (None, "B", "C") and isinstance(row.get("label"), str):
        problems.append(FieldProblem("label", f'应为 "B" 或 "C"，实际为 {row["label"]!r}', line))
    return problems


def validate(kind: str, rows: Iterable[tuple[int, Row]]) -> list[Row]:
    """Check every row for ``kind``; raise one InvalidInputError listing the first problems."""
    out: list[Row] = []
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        found = _check_row(kind, line, row)
        key = str(row.get("id"))
        if not found and key in seen:
            found.append(FieldProblem("id", f"编号 {key} 与第 {seen[key]} 行重复", line))
        seen.setdefault(key, line)
        problems.extend(found)
        out.append({**row, "id": key})
    if problems:
        raise InvalidInputError(problems)
    return out


def load(kind: str, path: Path | str) -> list[Row]:
    """Read and validate a dataset file of ``kind`` (see ``REQUIRED``)."""
    return validate(kind, read_jsonl(path))
