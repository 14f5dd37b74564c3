"""Homogeneous case groups: list, detail, members, profile, reviewer edits, batch handling, discovery."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import require
from api.deps import ServiceDep
from api.downloads import CSV, XLSX, case_rows, table_response
from api.schemas.cases import CaseOut
from api.schemas.common import ErrorResponse, file_responses
from api.schemas.groups import (
    BatchIn,
    DecisionIn,
    DecisionOut,
    DecisionRecordOut,
    DiscoverIn,
    GroupOut,
    GroupProfileOut,
    LockIn,
    MemberPage,
    MergeIn,
    MoveIn,
    PreviewIn,
    PreviewOut,
    RenameIn,
    RunOut,
    SimilarGroupOut,
    SplitIn,
)
from kb.fields import export_header
from kb.users import Principal

router = APIRouter(
    prefix="/api/groups",
    tags=["groups"],
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)


@router.get("", response_model=list[GroupOut], summary="列出类案组（地市用户只看到含本地市案件的组）")
def list_groups(
    service: ServiceDep,
    include_retired: bool = False,
    spread: bool = Query(default=False, description="同时给出各组的地市分布与月度趋势（一次请求）"),
    user: Principal = Depends(require("groups:read")),
) -> list[GroupOut]:
    groups = service.groups.list_groups(user, include_retired)
    spreads = service.groups.spread(user) if spread else {}
    return [GroupOut.of(g, spreads.get(g.id), with_spread=spread) for g in groups]


@router.get("/by-case/{case_id}", response_model=GroupOut | None, summary="案件所属的类案组（未归组时为空）")
def group_of_case(
    case_id: int, service: ServiceDep, user: Principal = Depends(require("groups:read"))
) -> GroupOut | None:
    group = service.groups.of_case(case_id, user)
    return GroupOut.of(group) if group is not None else None


@router.get("/unassigned", response_model=MemberPage, summary="未归组案件（待人工审核）")
def unassigned(
    service: ServiceDep,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    user: Principal = Depends(require("groups:read")),
) -> MemberPage:
    items, total = service.groups.unassigned(user, limit, offset)
    return MemberPage(total=total, items=[CaseOut.from_case(c) for c in items])


@router.post("/discover", response_model=RunOut, summary="发现类案组（默认增量；全量或仅未归组/近期案件）")
async def discover(body: DiscoverIn, service: ServiceDep, user: Principal = Depends(require("groups:write"))) -> RunOut:
    chosen = (("threshold", body.threshold), ("min_size", body.min_size), ("max_fit", body.max_fit))
    params: dict[str, Any] = {k: v for k, v in chosen if v is not None}
    report = await run_in_threadpool(service.groups.discover, user, body.mode, **params)
    return RunOut.of(report)


@router.get("/{group_id}", response_model=GroupOut, summary="类案组详情")
def get_group(group_id: int, service: ServiceDep, user: Principal = Depends(require("groups:read"))) -> GroupOut:
    return GroupOut.of(service.groups.get(group_id, user))


@router.get("/{group_id}/members", response_model=MemberPage, summary="类案组成员（地市用户只看到本地市案件）")
def members(
    group_id: int,
    service: ServiceDep,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    user: Principal = Depends(require("groups:read")),
) -> MemberPage:
    items, total = service.groups.members(group_id, user, limit, offset)
    late = service.groups.late_members(group_id)
    shown = [CaseOut.from_case(c) for c in items]
    return MemberPage(total=total, items=shown, late_ids=sorted(c.id for c in items if c.id in late))


@router.get(
    "/{group_id}/members/export",
    response_class=Response,
    summary="导出类案组成员 CSV / XLSX（个人信息脱敏；地市用户只导出本地市案件）",
    responses=file_responses(CSV, XLSX, description="类案组成员清单"),
)
def export_members(
    group_id: int,
    service: ServiceDep,
    format: Literal["csv", "xlsx"] = Query(default="xlsx", description="csv 或 xlsx"),
    user: Principal = Depends(require("groups:read")),
) -> Response:
    """Every member the user may see, with the case-export columns (the importer reads them back)."""
    group = service.groups.get(group_id, user)
    items, _ = service.groups.members(group_id, user, limit=10_000_000)
    header = ["类案组编号", "类案组名称", *export_header()]
    rows = case_rows(items, (group.id, group.name))
    return table_response(format, "类案组成员", header, rows, f"leian-group-{group.id}", f"类案组{group.id}成员")


@router.get(
    "/{group_id}/similar", response_model=list[SimilarGroupOut], summary="其他类案组，与本组最相似的在前（合并时选择）"
)
def similar(
    group_id: int, service: ServiceDep, user: Principal = Depends(require("groups:read"))
) -> list[SimilarGroupOut]:
    return [SimilarGroupOut(group=GroupOut.of(g), similarity=s) for g, s in service.groups.similar(group_id, user)]


@router.post(
    "/{group_id}/undo", response_model=GroupOut, summary="撤销本组最近一次审查操作（重命名、锁定、合并、拆分等）"
)
async def undo_last(group_id: int, service: ServiceDep, user: Principal = Depends(require("groups:write"))) -> GroupOut:
    return GroupOut.of(await run_in_threadpool(service.groups.undo_last, group_id, user))


@router.get("/{group_id}/profile", response_model=GroupProfileOut, summary="类案组画像：关键词、分布、代表案件")
def profile(group_id: int, service: ServiceDep, user: Principal = Depends(require("groups:read"))) -> GroupProfileOut:
    return GroupProfileOut.of(service.groups.profile(group_id, user))


@router.post("/{group_id}/rename", response_model=GroupOut, summary="重命名（重新发现后保留）")
def rename(
    group_id: int, body: RenameIn, service: ServiceDep, user: Principal = Depends(require("groups:write"))
) -> GroupOut:
    return GroupOut.of(service.groups.rename(group_id, body.name, user))


@router.post("/{group_id}/merge", response_model=GroupOut, summary="把其他类案组并入本组")
async def merge(
    group_id: int, body: MergeIn, service: ServiceDep, user: Principal = Depends(require("groups:write"))
) -> GroupOut:
    return GroupOut.of(await run_in_threadpool(service.groups.merge, group_id, body.sources, user))


@router.post("/{group_id}/split", response_model=GroupOut, status_code=201, summary="按所选案件拆分出新组")
async def split(
    group_id: int, body: SplitIn, service: ServiceDep, user: Principal = Depends(require("groups:write"))
) -> GroupOut:
    return GroupOut.of(await run_in_threadpool(service.groups.split, group_id, body.case_ids, body.name, user))


@router.post("/move", response_model=GroupOut, summary="把一件案件移入指定类案组，或移回未归组池（返回原所在组）")
async def move(body: MoveIn, service: ServiceDep, user: Principal = Depends(require("groups:write"))) -> GroupOut:
    return GroupOut.of(await run_in_threadpool(service.groups.move, body.case_id, body.group_id, user))


@router.post("/{group_id}/lock", response_model=GroupOut, summary="锁定/解锁（锁定后重新发现不改动该组）")
def lock(
    group_id: int, body: LockIn, service: ServiceDep, user: Principal = Depends(require("groups:write"))
) -> GroupOut:
    return GroupOut.of(service.groups.lock(group_id, body.locked, user))


@router.post("/{group_id}/batch", response_model=GroupOut, summary="启动批量处理：主责单位与政策意见")
def start_batch(
    group_id: int, body: BatchIn, service: ServiceDep, user: Principal = Depends(require("groups:decide"))
) -> GroupOut:
    return GroupOut.of(service.groups.start_batch(group_id, body.lead_department, body.policy_note, user))


@router.post(
    "/{group_id}/decision",
    response_model=DecisionOut,
    summary="应用已预览的批量决定：恰好变更预览所列案件（同一事务），逐案记录答复；预览后类案组有变化则拒绝",
)
def decide(
    group_id: int, body: DecisionIn, service: ServiceDep, user: Principal = Depends(require("groups:decide"))
) -> DecisionOut:
    out = service.groups.decide(
        group_id,
        body.decision,
        body.status,
        user,
        token=body.token,
        reply=body.reply,
        leave_alone=body.leave_alone,
        replies=body.replies,
    )
    return DecisionOut(**out)


@router.post(
    "/{group_id}/decision/preview",
    response_model=PreviewOut,
    summary="批量决定预览：列出将变更、保留不变和已是目标状态的案件，返回应用时须提交的 token",
)
def preview(
    group_id: int, body: PreviewIn, service: ServiceDep, user: Principal = Depends(require("groups:decide"))
) -> PreviewOut:
    return PreviewOut.model_validate(service.groups.preview(group_id, body.status, body.leave_alone, user))


@router.get(
    "/{group_id}/decisions",
    response_model=list[DecisionRecordOut],
    summary="批量决定记录：每件案件的原状态、新状态、答复和变更时间",
)
def decisions(
    group_id: int, service: ServiceDep, user: Principal = Depends(require("groups:read"))
) -> list[DecisionRecordOut]:
    return [DecisionRecordOut.model_validate(d) for d in service.groups.decisions(group_id, user)]
