"""Petition workflow: routing suggestions, the case's workflow view, 诉访分离, repeats, leader packages, reports.

Dual assignment, signing, handlers, queues and workload: ``api/routes/assignments.py``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import require
from api.deps import ServiceDep
from api.downloads import case_rows, table_response
from api.schemas.common import ErrorResponse, file_responses
from api.schemas.workflow import (
    CandidateOut,
    CaseWorkflowOut,
    LeaderOut,
    LeaderPatch,
    LeaderReportOut,
    LeaderRequest,
    LitigationItem,
    LitigationStep,
    LitigationTrackOut,
    MilestoneDone,
    MilestoneRequest,
    PackageEnd,
    PackageOut,
    PackagePlan,
    PackageRequest,
    RepeatItem,
    ReportOut,
    RouteRequest,
    RouteSuggestions,
)
from kb.errors import NotFoundError
from kb.fields import export_header
from kb.service import LeianService
from kb.users import Principal
from kb.workflow import exports
from kb.workflow.packages import CONCLUSION_RATE_DEFINITION, PackageProgress
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
    leader_id: int | None = Query(default=None, description="只列该领导分管领域的案件"),
    as_of: dt.date | None = None,
    limit: int = Query(default=20, ge=1, le=200),
    user: Principal = Depends(require("workflow:read")),
) -> list[CandidateOut]:
    found = service.workflow.package_candidates(domain, as_of, limit, user, leader_id)
    return [CandidateOut.model_validate(c) for c in found]


@router.get("/leaders", response_model=list[LeaderOut], summary="领导名册：姓名、职务、单位、分管领域、未办结包案数")
def leaders(service: ServiceDep, user: Principal = Depends(require("workflow:read"))) -> list[LeaderOut]:
    return [LeaderOut.model_validate(x) for x in service.workflow.leaders(user)]


@router.post("/leaders", response_model=LeaderOut, status_code=201, summary="登记包案领导")
def register_leader(
    body: LeaderRequest, service: ServiceDep, user: Principal = Depends(require("packages:write"))
) -> LeaderOut:
    return LeaderOut.model_validate(service.workflow.register_leader(**body.model_dump(), actor=user))


@router.patch("/leaders/{leader_id}", response_model=LeaderOut, summary="修改领导分管领域或停用")
def update_leader(
    leader_id: int, body: LeaderPatch, service: ServiceDep, user: Principal = Depends(require("packages:write"))
) -> LeaderOut:
    return LeaderOut.model_validate(service.workflow.update_leader(leader_id, **body.model_dump(), actor=user))


@router.post(
    "/packages",
    response_model=PackageOut,
    status_code=201,
    summary="领导包案：名册中的领导包案其分管领域的未结案件（每人最多 3 个未办结包案，一案一包）",
)
def create_package(
    body: PackageRequest, service: ServiceDep, user: Principal = Depends(require("packages:write"))
) -> PackageOut:
    return PackageOut.model_validate(service.workflow.create_package(**body.model_dump(), actor=user))


def _report(service: LeianService, date_from: dt.date | None, date_to: dt.date | None, user: Principal) -> Any:
    start, end, rows = service.workflow.leader_report(date_from, date_to, user)
    return LeaderReportOut(date_from=start, date_to=end, definition=CONCLUSION_RATE_DEFINITION, rows=rows)  # type: ignore[arg-type]


@router.get("/packages/report", response_model=LeaderReportOut, summary="包案领导进展报告（默认最近 7 天）")
def leader_report(
    service: ServiceDep,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    user: Principal = Depends(require("workflow:read")),
) -> LeaderReportOut:
    out: LeaderReportOut = _report(service, date_from, date_to, user)
    return out


REPORT_COLUMNS = [
    "领导",
    "职务",
    "单位",
    "分管领域",
    "未办结包案",
    "已办结包案",
    "逾期包案",
    "包案案件",
    "已办结案件",
    "办结率",
    "本期办结",
    "本期到期节点",
    "本期完成节点",
    "逾期节点",
]


@router.get(
    "/packages/report/export",
    response_class=Response,
    summary="导出包案领导进展报告 XLSX / CSV（末行为指标定义）",
    responses=file_responses(MEDIA["csv"], MEDIA["xlsx"], description="包案进展报告"),
)
def export_leader_report(
    service: ServiceDep,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    format: Literal["csv", "xlsx"] = Query(default="xlsx", description="csv 或 xlsx"),
    user: Principal = Depends(require("workflow:read")),
) -> Response:
    start, end, rows = service.workflow.leader_report(date_from, date_to, user)
    table: list[list[Any]] = [
        [
            r.leader,
            r.post,
            r.unit,
            "、".join(r.domains),
            r.packages_open,
            r.packages_concluded,
            r.packages_overdue,
            r.cases,
            r.cases_concluded,
            r.conclusion_rate,
            r.concluded_in_period,
            r.milestones_due,
            r.milestones_done,
            r.milestones_overdue,
        ]
        for r in rows
    ]
    table.append([f"报告期 {start} 至 {end}；{CONCLUSION_RATE_DEFINITION}"])
    return table_response(format, "包案进展", REPORT_COLUMNS, table, "leian-package-report", "包案进展报告")


@router.get("/packages", response_model=list[PackageOut], summary="包案列表与进展")
def list_packages(
    service: ServiceDep, leader: str | None = None, user: Principal = Depends(require("workflow:read"))
) -> list[PackageOut]:
    return [PackageOut.model_validate(p) for p in service.workflow.package_list(leader, user)]


PACKAGE_COLUMNS = ["包案编号", "包案领导", "包案部门", "领域"]


def _package_rows(service: LeianService, found: list[PackageProgress], user: Principal) -> list[list[Any]]:
    """One row per case of each package (cases outside the user's scope are left out), masked."""
    rows: list[list[Any]] = []
    for p in found:
        visible = []
        for entry in p.cases:
            try:
                visible.append(service.get_case(int(str(entry["id"])), user))
            except NotFoundError:
                continue
        rows.extend(case_rows(visible, (p.id, p.leader, p.department, p.domain or "")))
    return rows


@router.get(
    "/packages/export",
    response_class=Response,
    summary="导出包案清单 CSV / XLSX：每件包案案件一行（个人信息脱敏）",
    responses=file_responses(MEDIA["csv"], MEDIA["xlsx"], description="包案清单"),
)
def export_packages(
    service: ServiceDep,
    leader: str | None = None,
    format: Literal["csv", "xlsx"] = Query(default="xlsx", description="csv 或 xlsx"),
    user: Principal = Depends(require("workflow:read")),
) -> Response:
    rows = _package_rows(service, service.workflow.package_list(leader, user), user)
    return table_response(format, "领导包案", [*PACKAGE_COLUMNS, *export_header()], rows, "leian-packages", "领导包案")


@router.get(
    "/packages/{package_id}/export",
    response_class=Response,
    summary="导出一件包案的案件清单 CSV / XLSX（个人信息脱敏）",
    responses=file_responses(MEDIA["csv"], MEDIA["xlsx"], description="包案案件清单"),
)
def export_package(
    package_id: int,
    service: ServiceDep,
    format: Literal["csv", "xlsx"] = Query(default="xlsx", description="csv 或 xlsx"),
    user: Principal = Depends(require("workflow:read")),
) -> Response:
    rows = _package_rows(service, [service.workflow.package_progress(package_id, user)], user)
    header = [*PACKAGE_COLUMNS, *export_header()]
    return table_response(format, "领导包案", header, rows, f"leian-package-{package_id}", f"包案{package_id}")


@router.get("/packages/{package_id}", response_model=PackageOut, summary="包案进展")
def package(package_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))) -> PackageOut:
    return PackageOut.model_validate(service.workflow.package_progress(package_id, user))


@router.post(
    "/packages/{package_id}/end", response_model=PackageOut, summary="办结（全部案件已办结）或撤销（需理由）包案"
)
def end_package(
    package_id: int, body: PackageEnd, service: ServiceDep, user: Principal = Depends(require("packages:write"))
) -> PackageOut:
    return PackageOut.model_validate(service.workflow.end_package(package_id, body.status, body.note, user))


@router.put("/packages/{package_id}/plan", response_model=PackageOut, summary="修改包案方案和期限")
def set_plan(
    package_id: int, body: PackagePlan, service: ServiceDep, user: Principal = Depends(require("packages:write"))
) -> PackageOut:
    return PackageOut.model_validate(service.workflow.set_package_plan(package_id, body.plan, body.deadline, user))


@router.post("/packages/{package_id}/milestones", response_model=PackageOut, status_code=201, summary="添加包案节点")
def add_milestone(
    package_id: int, body: MilestoneRequest, service: ServiceDep, user: Principal = Depends(require("packages:write"))
) -> PackageOut:
    return PackageOut.model_validate(service.workflow.add_milestone(package_id, body.title, body.due_date, user))


@router.post(
    "/packages/{package_id}/milestones/{milestone_id}/done", response_model=PackageOut, summary="节点完成（记为今天）"
)
def complete_milestone(
    package_id: int,
    milestone_id: int,
    body: MilestoneDone,
    service: ServiceDep,
    user: Principal = Depends(require("packages:write")),
) -> PackageOut:
    return PackageOut.model_validate(service.workflow.complete_milestone(package_id, milestone_id, body.note, user))


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
    return export_response(report, format, exports.file_stem(report, "weekly"))


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
    return export_response(report, format, exports.file_stem(report, "period"))


def export_response(report: Report, fmt: str, stem: str) -> Response:
    render = {"csv": exports.to_csv, "xlsx": exports.to_xlsx, "png": exports.trend_png}[fmt]
    return Response(
        render(report),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )
