"""The kinds of background job the product runs, each a thin call of the service that owns the work.

Group discovery, reindex, a case import and the weekly report; the composition root registers them
(``kb/service.py``). Each checks its own parameters with Chinese messages naming the field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from kb.cases.service import CaseService
from kb.errors import FieldProblem, InvalidInputError
from kb.groups.service import GroupService
from kb.jobs.service import JobContext, JobKind
from kb.readers import detect_format, read_table
from kb.settings import Settings
from kb.workflow.service import WorkflowService


def _only(params: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidInputError([FieldProblem(k, "未知参数") for k in unknown])


def _check_discover(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, {"mode"})
    mode = params.get("mode", "auto")
    if mode not in ("auto", "incremental", "full", "pool"):
        raise InvalidInputError([FieldProblem("mode", "应为 auto、incremental、full 或 pool")])
    return {"mode": mode}


def _check_reindex(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, {"re_encode"})
    value = params.get("re_encode", False)
    if not isinstance(value, bool):
        raise InvalidInputError([FieldProblem("re_encode", "应为 true 或 false")])
    return {"re_encode": value}


def _check_import(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, {"strict", "format"})
    strict = params.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise InvalidInputError([FieldProblem("strict", "应为 true 或 false")])
    fmt = params.get("format")
    if fmt is not None and fmt not in ("jsonl", "csv", "xlsx"):
        raise InvalidInputError([FieldProblem("format", "应为 jsonl、csv 或 xlsx")])
    return {"strict": strict, "format": fmt}


def _check_report(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, {"group_by", "week_end", "city", "weeks"})
    group_by = params.get("group_by", "department")
    if group_by not in ("department", "city"):
        raise InvalidInputError([FieldProblem("group_by", "应为 department 或 city")])
    week_end = params.get("week_end")
    if week_end is not None:
        try:
            dt.date.fromisoformat(str(week_end))
        except ValueError:
            raise InvalidInputError([FieldProblem("week_end", "日期格式应为 YYYY-MM-DD")]) from None
    weeks = params.get("weeks", 8)
    if not isinstance(weeks, int) or isinstance(weeks, bool) or not 1 <= weeks <= 52:
        raise InvalidInputError([FieldProblem("weeks", "应为 1 到 52 之间的整数")])
    city = params.get("city")
    if city is not None and not isinstance(city, str):
        raise InvalidInputError([FieldProblem("city", "应为地市名称")])
    return {"group_by": group_by, "week_end": week_end, "city": city, "weeks": weeks}


def standard_kinds(
    settings: Settings, cases: CaseService, groups: GroupService, workflow: WorkflowService
) -> list[JobKind]:
    def discover(ctx: JobContext) -> Any:
        run = groups.discover(ctx.actor, ctx.params["mode"], progress=ctx.stage)
        return dataclasses.asdict(run)

    def reindex(ctx: JobContext) -> Any:
        ctx.total = cases.cases.count()
        return {"indexed": cases.reindex(progress=ctx.advance, re_encode=ctx.params["re_encode"], actor=ctx.actor)}

    def import_cases(ctx: JobContext) -> Any:
        assert ctx.upload is not None
        name = str(ctx.params["filename"])
        strict = settings.import_strict if ctx.params.get("strict") is None else bool(ctx.params["strict"])
        ctx.stage(f"正在读取 {name}")
        table = read_table(
            ctx.upload.read_bytes(),
            ctx.params.get("format") or detect_format(name),
            settings.max_decompressed_bytes,
            strict=strict,
            max_rows=settings.max_import_rows,
        )
        ctx.total = len(table.rows)
        report = cases.ingest_table(table, progress=ctx.advance, actor=ctx.actor)
        return {"file": name, **dataclasses.asdict(report), "summary": report.summary()}

    def weekly_report(ctx: JobContext) -> Any:
        p = ctx.params
        end = dt.date.fromisoformat(p["week_end"]) if p.get("week_end") else None
        report = workflow.weekly_report(p["group_by"], end, p.get("city"), p["weeks"], actor=ctx.actor)
        return dataclasses.asdict(report)

    return [
        JobKind("discover", "类案发现", "groups:write", discover, _check_discover, provincial=True),
        # The rebuilt index replaces the old one at its end; stopping half-way would leave neither.
        JobKind("reindex", "重建索引", "system:admin", reindex, _check_reindex, cancellable=False),
        JobKind("import", "导入案件", "cases:import", import_cases, _check_import, needs_upload=True),
        JobKind("report", "周滚动督查报表", "reports:read", weekly_report, _check_report),
    ]
