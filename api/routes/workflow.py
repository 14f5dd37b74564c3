"""Petition workflow: routing suggestions, the case's workflow view, 诉访分离, repeats, leader packages, reports.

Dual assignment, signing, handlers, queues and workload: ``api/routes/assignments.py``."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse, file_responses
from api.schemas.workflow import (
    CandidateOut,
    CaseWorkflowOut,
    LitigationItem,
    LitigationStep,
    LitigationTrackOut,
    PackageOut,
    PackageRequest,
    RepeatItem,
    ReportOut,
    RouteRequest,
    RouteSuggestions,
)
from kb.users import Principal
from kb.workflow import exports
from kb.workflow.reports import Report

router = APIRouter(prefix="/api/workflow", tags=["workflow"], responses={422: {"model": ErrorResponse}})
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
}


@router.post("/route", response_model=RouteSuggestions, summary="智能分拣：建议责任部门和属地（含置信度与前三备选）")
async def route(
    body: RouteRequest, service: ServiceDep, user: Principal = Depends(require("workflow:read"))
) -> RouteSuggestions:
    found = await run_in_threadpool(service.workflow.suggest, text=body.text, case_id=body.case_id, actor=user)
    return RouteSuggestions.model_validate(found)


@router.get("/cases/{case_id}", response_model=CaseWorkflowOut, summary="案件的交办、重复信访、诉访分离情况")
def case_workflow(
    case_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))
) -> CaseWorkflowOut:
    return CaseWorkflowOut.model_validate(service.workflow.case_workflow(case_id, user))


@router.get("/litigation", response_model=list[LitigationItem], summary="诉访分离案件列表")
def litigation_list(
    service: ServiceDep,
    status: str | None = Query(default=None, pattern="^(flagged|handed_over|feedback|concluded|dismissed)$"),
    limit: int = Query(default=100, ge=1, le=1000),
    user: Principal = Depends(require("workflow:read")),
) -> list[LitigationItem]:
    return [LitigationItem.model_validate(t) for t in service.workflow.litigation_list(status, limit, user)]


@router.get(
    "/litigation/{case_id}", response_model=LitigationTrackOut, summary="诉访分离跟踪：识别依据与移交、反馈、办结记录"
)
def litigation_track(
    case_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))
) -> LitigationTrackOut:
    return LitigationTrackOut.model_validate(service.workflow.litigation_track(case_id, user))


@router.post(
    "/litigation/{case_id}", response_model=LitigationTrackOut, summary="诉访分离状态推进：已识别→已移交→已反馈→已办结"
)
def litigation_step(
    case_id: int, body: LitigationStep, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> LitigationTrackOut:
    return LitigationTrackOut.model_validate(service.workflow.litigation_step(case_id, body.status, body.note, user))


@router.get("/repeats", response_model=list[RepeatItem], summary="重复信访、重复提交、疑似联名案件")
def repeats(
    service: ServiceDep,
    kind: str | None = Query(default=None, pattern="^(repeat|exact|joint)$"),
    limit: int = Query(default=100, ge=1, le=1000),
    user: Principal = Depends(require("workflow:read")),
) -> list[RepeatItem]:
    return [RepeatItem.model_validate(r) for r in service.workflow.repeat_list(kind, limit, user)]


@router.get(
    "/packages/candidates", response_model=list[CandidateOut], summary="领导包案候选：长期未结、重复、跨部门的积案"
)
def package_candidates(
    service: ServiceDep,
    domain: str | None = None,
    as_of: dt.date | None = None,
    limit: int = Query(default=20, ge=1, le=200),
    user: Principal = Depends(require("workflow:read")),
) -> list[CandidateOut]:
    return [CandidateOut.model_validate(c) for c in service.workflow.package_candidates(domain, as_of, limit, user)]


@router.post("/packages", response_model=PackageOut, status_code=201, summary="领导包案：指定包案领导和部门")
def create_package(
    body: PackageRequest, service: ServiceDep, user: Principal = Depends(require("packages:write"))
) -> PackageOut:
    return PackageOut.model_validate(service.workflow.create_package(**body.model_dump(), actor=user))


@router.get("/packages", response_model=list[PackageOut], summary="包案列表与进展")
def list_packages(
    service: ServiceDep, leader: str | None = None, user: Principal = Depends(require("workflow:read"))
) -> list[PackageOut]:
    return [PackageOut.model_validate(p) for p in service.workflow.package_list(leader, user)]


@router.get("/packages/{package_id}", response_model=PackageOut, summary="包案进展")
def package(package_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))) -> PackageOut:
    return PackageOut.model_validate(service.workflow.package_progress(package_id, user))


@router.get("/reports/period", response_model=ReportOut, summary="督查报表：任意时段按部门或地市统计")
def period_report(
    service: ServiceDep,
    date_from: dt.date,
    date_to: dt.date,
    group_by: str = Query(default="department", pattern="^(department|city)$"),
    city: str | None = None,
    backlog_days: int = Query(default=60, ge=1, le=3650),
    user: Principal = Depends(require("reports:read")),
) -> ReportOut:
    return ReportOut.model_validate(
        service.workflow.period_report(group_by, date_from, date_to, city, backlog_days, user)
    )


@router.get("/reports/weekly", response_model=ReportOut, summary="周滚动督查报表（环比、排名靠后单位）")
def weekly_report(
    service: ServiceDep,
    group_by: str = Query(default="department", pattern="^(department|city)$"),
    week_end: dt.date | None = None,
    city: str | None = None,
    weeks: int = Query(default=8, ge=1, le=104),
    user: Principal = Depends(require("reports:read")),
) -> ReportOut:
    return ReportOut.model_validate(service.workflow.weekly_report(group_by, week_end, city, weeks, user))


@router.get(
    "/reports/weekly/export",
    response_class=Response,
    responses=file_responses(*MEDIA.values()),
    summary="导出周报：csv / xlsx / png（趋势图）",
)
def export_weekly(
    service: ServiceDep,
    format: str = Query(default="xlsx", pattern="^(csv|xlsx|png)$"),
    group_by: str = Query(default="department", pattern="^(department|city)$"),
    week_end: dt.date | None = None,
    city: str | None = None,
    weeks: int = Query(default=8, ge=1, le=104),
    user: Principal = Depends(require("reports:export")),
) -> Response:
    report = service.workflow.weekly_report(group_by, week_end, city, weeks, user)
    return export_response(report, format, f"weekly-{report.date_to}")


@router.get(
    "/reports/period/export",
    response_class=Response,
    responses=file_responses(MEDIA["csv"], MEDIA["xlsx"]),
    summary="导出时段报表：csv / xlsx",
)
def export_period(
    service: ServiceDep,
    date_from: dt.date,
    date_to: dt.date,
    format: str = Query(default="xlsx", pattern="^(csv|xlsx)$"),
    group_by: str = Query(default="department", pattern="^(department|city)$"),
    city: str | None = None,
    user: Principal = Depends(require("reports:export")),
) -> Response:
    report = service.workflow.period_report(group_by, date_from, date_to, city, 60, user)
    return export_response(report, format, f"report-{date_from}-{date_to}")


def export_response(report: Report, fmt: str, stem: str) -> Response:
    render = {"csv": exports.to_csv, "xlsx": exports.to_xlsx, "png": exports.trend_png}[fmt]
    return Response(
        render(report),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )
