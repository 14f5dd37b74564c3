"""Import and export of the model-case library: JSON, Markdown (one document per case) and XLSX."""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import FieldProblem, InvalidInputError
from kb.exportsafe import unsafe_cell, xlsx_cell
from kb.modelcases.domain import FIELD_LABELS, MC_STATUS_LABELS, MCStatus, ModelCase
from kb.modelcases.masking import masked_model_case
from kb.modelcases.store import dump
from kb.readers import loads_limited

NOTICE = "本库中的典型案例为示例性质（合成数据），仅供演示和培训参考，不代表真实案件或真实文件。"
XLSX_SHEET = "典型案例"
# Most rows a library workbook may hold, blank ones included.
MAX_LIBRARY_ROWS = 20_000
_LABEL_TO_FIELD = {v: k for k, v in FIELD_LABELS.items()}
_LIST_FIELDS = ("steps", "cautions", "tags", "source_case_ids", "group_ids")


@dataclass
class LibraryReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    codes: list[str] = field(default_factory=list)


def record(mc: ModelCase) -> dict[str, Any]:
    """The exported shape: the guidance fields plus status and version; personal data masked."""
    mc = masked_model_case(mc)
    return {**dump(mc.data), "code": mc.code, "status": mc.status, "version": mc.version}


# -- JSON ----------------------------------------------------------------------------------------
def to_json(items: Iterable[ModelCase], notice: str = NOTICE) -> str:
    return json.dumps({"notice": notice, "model_cases": [record(m) for m in items]}, ensure_ascii=False, indent=2)


def from_json(text: str) -> list[dict[str, Any]]:
    """The records of a library file (``{"model_cases": [...]}`` or a bare list); depth ≤ 32, every
    record an object (a Chinese message names the record otherwise)."""
    data = loads_limited(text, "file")
    rows = data.get("model_cases", []) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise InvalidInputError([FieldProblem("model_cases", "model_cases 应为典型案例对象的列表")])
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            message = f"第 {number} 条记录应为 JSON 对象（{{...}}），实际为 {type(row).__name__}"
            raise InvalidInputError([FieldProblem("model_cases", message, number)])
    return rows


# -- file and archive entry names ----------------------------------------------------------------
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-\u4e00-\u9fff]")


def safe_name(code: str, suffix: str = ".md") -> str:
    """A file name for ``code`` that stays in its folder whatever the code holds (old rows included).

    Path separators, ``..``, drive letters and control characters are replaced; a code that had to
    be changed gets a short hash so that two hostile codes cannot collide into one file.
    """
    text = unicodedata.normalize("NFKC", str(code))
    cleaned = _UNSAFE_NAME.sub("_", text).replace("..", "_").strip("._-")[:64] or "model-case"
    if cleaned != code or cleaned.upper() == "README":  # README.md is the export's notice
        cleaned += "-" + hashlib.sha256(str(code).encode("utf-8")).hexdigest()[:8]
    return cleaned + suffix


def confined_path(folder: Path, name: str) -> Path:
    """``folder / name`` after checking that it resolves inside ``folder`` (ValueError otherwise)."""
    root = Path(folder).resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise ValueError(f"文件名越出导出目录：{name}")
    return target


def markdown_documents(items: Iterable[ModelCase]) -> Iterator[tuple[str, str]]:
    """(entry name, document) for a Markdown export: the README first, then one per model case."""
    yield "README.md", f"# 典型案例库\n\n{NOTICE}\n"
    for mc in items:
        yield safe_name(mc.code), to_markdown(mc)


# -- Markdown ------------------------------------------------------------------------------------
_META = (
    "code",
    "category",
    "domain",
    "lead_department",
    "locality",
    "authority",
    "tags",
    "author",
    "reviewer",
    "source_case_ids",
    "group_ids",
)


def to_markdown(mc: ModelCase) -> str:
    """One model case as a Markdown document; personal data masked."""
    mc = masked_model_case(mc)
    d = mc.data
    status = MC_STATUS_LABELS.get(MCStatus(mc.status), mc.status)
    out = [f"# {d.title}", "", f"> 状态：{status} · 版本：第 {mc.version} 版", "", "| 项目 | 内容 |", "|---|---|"]
    for name in _META:
        value = mc.code if name == "code" else getattr(d, name)
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        out.append(f"| {FIELD_LABELS[name]} | {str(value or '').replace('|', '／')} |")
    out += ["", f"## {FIELD_LABELS['summary']}", "", d.summary, "", f"## {FIELD_LABELS['approach']}", "", d.approach]
    out += ["", f"## {FIELD_LABELS['steps']}", ""] + [f"{i}. {s}" for i, s in enumerate(d.steps, start=1)]
    out += ["", f"## {FIELD_LABELS['basis']}", ""] + [f"- **{b.name}**：{b.point}" for b in d.basis]
    out += ["", f"## {FIELD_LABELS['cautions']}", ""] + [f"- {c}" for c in d.cautions]
    out += ["", f"## {FIELD_LABELS['outcome']}", "", d.outcome, ""]
    return "\n".join(out)


def from_markdown(text: str) -> dict[str, Any]:
    """Parse a document written by ``to_markdown`` (hand edits to the text are kept)."""
    row: dict[str, Any] = {}
    title = re.search(r"^# (.+)$", text, re.M)
    row["title"] = title.group(1).strip() if title else ""
    status = re.search(r"^> 状态：(\S+?) ·", text, re.M)
    labels = {label: st.value for st, label in MC_STATUS_LABELS.items()}
    if status and status.group(1) in labels:
        row["status"] = labels[status.group(1)]
    for label, value in re.findall(r"^\| (.+?) \| (.*?) ?\|$", text, re.M):
        name = _LABEL_TO_FIELD.get(label.strip())
        if name is None:
            continue
        value = value.strip()
        if name in ("tags", "source_case_ids", "group_ids"):
            row[name] = [v for v in value.split("、") if v]
        elif value:
            row[name] = value
    sections = re.split(r"^## (.+)$", text, flags=re.M)
    for label, body in zip(sections[1::2], sections[2::2], strict=True):
        name = _LABEL_TO_FIELD.get(label.strip())
        body = body.strip()
        if name == "steps":
            row[name] = [re.sub(r"^\d+\.\s*", "", ln) for ln in body.splitlines() if ln.strip()]
        elif name == "cautions":
            row[name] = [ln[2:].strip() for ln in body.splitlines() if ln.startswith("- ")]
        elif name == "basis":
            found = re.findall(r"^- \*\*(.+?)\*\*：(.*)$", body, re.M)
            row[name] = [{"name": n, "point": p.strip()} for n, p in found]
        elif name in ("summary", "approach", "outcome"):
            row[name] = body
    return row


# -- XLSX ----------------------------------------------------------------------------------------
_XLSX_FIELDS = [*FIELD_LABELS, "status"]


def _cell(value: Any, name: str) -> Any:
    if name == "basis":
        value = "\n".join(f"{b['name']}：{b['point']}" for b in value)
    elif isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    return xlsx_cell(value)


def to_xlsx(items: Iterable[ModelCase]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = XLSX_SHEET
    ws.append([FIELD_LABELS.get(n, "状态") for n in _XLSX_FIELDS])
    for mc in items:
        rec = record(mc)
        ws.append([_cell(rec.get(n), n) for n in _XLSX_FIELDS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def from_xlsx(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(row number, record) pairs; headers are the Chinese labels written by ``to_xlsx``."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    ws = wb[XLSX_SHEET] if XLSX_SHEET in wb.sheetnames else wb.worksheets[0]
    # Streamed and capped: a small file may declare a million blank rows.
    rows = ws.iter_rows(values_only=True, max_row=MAX_LIBRARY_ROWS + 2)
    header = [str(h or "").strip() for h in next(rows, ())]
    names = [_LABEL_TO_FIELD.get(h, "status" if h == "状态" else h) for h in header]
    out = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_LIBRARY_ROWS + 1:
            message = f"文件超过 {MAX_LIBRARY_ROWS} 行上限（空行也计入）"
            raise InvalidInputError([FieldProblem("file", message, number)])
        if not any(v not in (None, "") for v in values):
            continue
        raw = {n: unsafe_cell(v) for n, v in zip(names, values, strict=False) if v not in (None, "")}
        if "basis" in raw:
            raw["basis"] = [
                {"name": part[0].strip(), "point": part[1].strip() if len(part) > 1 else ""}
                for part in (ln.split("：", 1) for ln in str(raw["basis"]).splitlines() if ln.strip())
            ]
        for name in _LIST_FIELDS:
            if isinstance(raw.get(name), str | int):
                raw[name] = [v for v in str(raw[name]).splitlines() if v.strip()]
        out.append((number, raw))
    return out
