"""专项小组: special groups owning case groups, with member units, a lead unit and a policy document."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from api.auth import require
from api.deps import ServiceDep
from api.downloads import CSV, XLSX, table_response
from api.schemas.common import ErrorResponse, file_responses
from api.schemas.groups import GroupOut, SpecialGroupIn, SpecialGroupOut, SpecialGroupPatch
from kb.groups.special import EXPORT_HEADER, export_table
from kb.users import Principal

router = APIRouter(
    prefix="/api/special-groups",
    tags=["special-groups"],
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)


@router.get("", response_model=list[SpecialGroupOut], summary="专项小组列表")
def list_special_groups(
    service: ServiceDep, user: Principal = Depends(require("groups:read"))
) -> list[SpecialGroupOut]:
    return [SpecialGroupOut.model_validate(s) for s in service.special_groups.list(user)]


@router.post(
    "", response_model=SpecialGroupOut, status_code=201, summary="成立专项小组（牵头单位、成员单位、政策文件、类案组）"
)
def create_special_group(
    body: SpecialGroupIn, service: ServiceDep, user: Principal = Depends(require("groups:decide"))
) -> SpecialGroupOut:
    made = service.special_groups.create(
        name=body.name,
        lead_unit=body.lead_unit,
        member_units=body.member_units,
        policy={
            "title": body.policy_title,
            "number": body.policy_number,
            "date": body.policy_date,
            "text": body.policy_text,
        },
        group_ids=body.group_ids,
        actor=user,
    )
    return SpecialGroupOut.model_validate(made)


@router.get("/{special_id}", response_model=SpecialGroupOut, summary="专项小组详情（含各类案组后加入案件数）")
def special_group(
    special_id: int, service: ServiceDep, user: Principal = Depends(require("groups:read"))
) -> SpecialGroupOut:
    return SpecialGroupOut.model_validate(service.special_groups.get(special_id, user))


@router.get(
    "/{special_id}/export",
    response_class=Response,
    summary="导出专项小组：每件成员案件一行（批量决定、改后状态、变更时间、给信访人的答复；个人信息脱敏）",
    responses=file_responses(CSV, XLSX, description="专项小组成员案件与批量决定"),
)
def export_special_group(
    special_id: int,
    service: ServiceDep,
    format: Literal["csv", "xlsx"] = Query(default="xlsx", description="csv 或 xlsx"),
    user: Principal = Depends(require("groups:read")),
) -> Response:
    lines, rows = export_table(service.special_groups, special_id, user)
    rows.extend([line] for line in lines)
    stem = f"专项小组{special_id}"
    return table_response(format, "专项小组", list(EXPORT_HEADER), rows, f"leian-special-group-{special_id}", stem)


@router.patch("/{special_id}", response_model=SpecialGroupOut, summary="修改政策文件、成员单位、状态，或纳入类案组")
def update_special_group(
    special_id: int, body: SpecialGroupPatch, service: ServiceDep, user: Principal = Depends(require("groups:decide"))
) -> SpecialGroupOut:
    if body.add_group_ids:
        service.special_groups.add_groups(special_id, body.add_group_ids, user)
    policy = None
    if body.policy_title is not None:
        policy = {
            "title": body.policy_title,
            "number": body.policy_number,
            "date": body.policy_date,
            "text": body.policy_text,
        }
    made = service.special_groups.update(
        special_id, policy=policy, member_units=body.member_units, status=body.status, actor=user
    )
    return SpecialGroupOut.model_validate(made)


@router.post(
    "/{special_id}/groups/{group_id}/batch",
    response_model=GroupOut,
    summary="以专项小组的牵头单位和政策文件启动类案组的批量处理",
)
def start_batch(
    special_id: int, group_id: int, service: ServiceDep, user: Principal = Depends(require("groups:decide"))
) -> GroupOut:
    return GroupOut.of(service.special_groups.start_batch(special_id, group_id, user))
