"""Bulk operations on the library: validated all-or-nothing import, export, the bundled sample library."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kb.errors import FieldProblem, InvalidInputError
from kb.modelcases import io as mcio
from kb.modelcases.domain import MCStatus, ModelCase, ModelCaseIn
from kb.modelcases.service import ModelCaseService
from kb.users import SYSTEM, Principal

SAMPLE_LIBRARY = Path(__file__).resolve().parents[2] / "data" / "samples" / "model_cases.json"
FORMATS = ("json", "md", "xlsx")


def read_library(data: bytes, fmt: str) -> list[tuple[int | None, dict[str, Any]]]:
    """Rows of a library file; ``md`` is one document, or a zip of documents."""
    try:
        if fmt == "json":
            return list(enumerate(mcio.from_json(data.decode("utf-8-sig")), start=1))
        if fmt == "xlsx":
            return [(n, r) for n, r in mcio.from_xlsx(data)]
        if fmt == "md":
            if data[:2] == b"PK":
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    names = sorted(n for n in zf.namelist() if n.endswith(".md") and not n.endswith("README.md"))
                    return [(i, mcio.from_markdown(zf.read(n).decode("utf-8"))) for i, n in enumerate(names, 1)]
            return [(1, mcio.from_markdown(data.decode("utf-8-sig")))]
    except (ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InvalidInputError([FieldProblem("file", f"无法读取 {fmt} 文件：{exc}")]) from None
    raise InvalidInputError([FieldProblem("format", f"格式应为 {'、'.join(FORMATS)} 之一")])


def format_of(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    fmt = {"markdown": "md", "zip": "md"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise InvalidInputError([FieldProblem("file", f"无法识别的文件类型 .{suffix}（支持 json、md、zip、xlsx）")])
    return fmt


def import_rows(
    mcs: ModelCaseService,
    rows: list[tuple[int | None, dict[str, Any]]],
    actor: Principal = SYSTEM,
    publish: bool = False,
) -> mcio.LibraryReport:
    """Validate every row first, then write all in one transaction; codes make re-imports idempotent.

    A row's ``status`` (published / retired) is applied when the actor may publish; ``publish``
    publishes every imported row.
    """
    actor.require("modelcases:write")
    valid: list[tuple[ModelCaseIn, str | None]] = []
    problems: list[FieldProblem] = []
    seen: dict[str, int | None] = {}
    for row_no, raw in rows:
        raw = dict(raw)
        status = raw.pop("status", None)
        raw.pop("version", None)
        try:
            data = ModelCaseIn.model_validate(raw)
        except ValidationError as exc:
            from kb.messages import problems_from

            problems.extend(problems_from(exc, row_no))
            continue
        if data.code and data.code in seen:
            problems.append(FieldProblem("code", f"与第 {seen[data.code]} 行编号重复", row_no))
        if data.code:
            seen[data.code] = row_no
        wanted = MCStatus.published.value if publish else status
        if wanted is not None and wanted not in MCStatus.__members__:
            problems.append(FieldProblem("status", "状态应为 draft、published 或 retired", row_no))
        if wanted == MCStatus.published.value:
            problems.extend(FieldProblem(p.field, p.message, row_no) for p in data.publish_problems())
        valid.append((data, wanted))
    if problems:
        raise InvalidInputError(problems)
    if any(w in (MCStatus.published.value, MCStatus.retired.value) for _, w in valid):
        actor.require("modelcases:publish")
    report = mcio.LibraryReport()
    mcs.index.ready = False  # rebuilt once afterwards, not per row
    try:
        with mcs.db.transaction():
            for data, wanted in valid:
                mc_id = mcs.repo.id_for_code(data.code) if data.code else None
                if mc_id is None:
                    mc_id = mcs.create(data, actor, note="导入").id
                    report.created += 1
                elif mcs.replace(mc_id, data, actor, "导入更新"):
                    report.updated += 1
                else:
                    report.unchanged += 1
                current = mcs.get(mc_id, SYSTEM)
                if wanted == MCStatus.published.value and current.published_version != current.current_version:
                    mcs.publish(mc_id, actor)
                    report.published += 1
                elif wanted == MCStatus.retired.value and current.status != MCStatus.retired:
                    mcs.retire(mc_id, actor)
                report.codes.append(current.code)
    finally:
        mcs.index.rebuild()
    return report


def export(mcs: ModelCaseService, fmt: str, actor: Principal = SYSTEM, statuses: list[str] | None = None) -> bytes:
    """The library as one file: JSON, XLSX, or a zip of Markdown documents (one per model case)."""
    items, _ = mcs.page(actor, statuses, limit=1_000_000)
    if fmt == "json":
        return mcio.to_json(items).encode("utf-8")
    if fmt == "xlsx":
        return mcio.to_xlsx(items)
    if fmt == "md":
        return markdown_zip(items)
    raise InvalidInputError([FieldProblem("format", f"格式应为 {'、'.join(FORMATS)} 之一")])


def markdown_zip(items: list[ModelCase]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, doc in mcio.markdown_documents(items):  # entry names confined (no zip-slip)
            zf.writestr(name, doc)
    return buffer.getvalue()


def load_samples(mcs: ModelCaseService, path: Path = SAMPLE_LIBRARY) -> mcio.LibraryReport:
    """Load and publish the bundled illustrative library where it is missing; used by ``leian demo``.

    Only model cases whose code the library does not hold yet are imported: a case already there
    (bundled earlier, then edited, published or retired by a reviewer) is never overwritten. The
    report counts those as ``unchanged``.
    """
    rows = read_library(path.read_bytes(), "json")
    missing = [(n, r) for n, r in rows if not (r.get("code") and mcs.repo.id_for_code(str(r["code"])) is not None)]
    report = import_rows(mcs, missing, SYSTEM, publish=True) if missing else mcio.LibraryReport()
    report.unchanged += len(rows) - len(missing)
    return report


def load_demo_library(mcs: ModelCaseService) -> str:
    """Load the bundled illustrative library where it is missing; a one-line summary."""
    if not SAMPLE_LIBRARY.exists():
        return "未找到示例典型案例库，跳过"
    report = load_samples(mcs)
    kept = f"，已有 {report.unchanged} 件保持不变（不覆盖已编辑的内容）" if report.unchanged else ""
    return f"示例典型案例库：新增并发布 {report.created} 件{kept}"
