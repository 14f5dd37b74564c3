"""诉访分离 hand-over: thin doors onto ``service.handover`` (kb/zhengfa) under ``/api/litigation``.

The older ``GET /api/workflow/litigation`` (the detection tracks) stays as it was."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.litigation import (
    AidDecision,
    AidRequest,
    ChecklistRequest,
    DossierOut,
    HandoverOut,
    HandoverRequest,
    ReferralOut,
    ReferRequest,
    StepRequest,
    ZhengfaUnitOut,
)
from kb.errors import FieldProblem, InvalidInputError
from kb.users import Principal

router = APIRouter(prefix="/api/litigation", tags=["litigation"], responses={422: {"model": ErrorResponse}})
STATUS = "^(referred|checked|corrected|resolved|returned|concluded)$"
Reader = Depends(require("workflow:read"))
Writer = Depends(require("workflow:write"))


@router.get("/units", response_model=list[ZhengfaUnitOut], summary="可移交的政法单位（法院、检察院、公安、司法）")
def units(service: ServiceDep, user: Principal = Reader) -> list[ZhengfaUnitOut]:
    return [ZhengfaUnitOut.model_validate(u) for u in service.handover.units()]


@router.get(
    "/referrals",
    response_model=list[ReferralOut],
    summary="诉访分离移交列表（按权限范围；可筛选单位、状态、逾期、本人移交）",
)
def referrals(
    service: ServiceDep,
    unit: str | None = None,
    status: str | None = Query(default=None, pattern=STATUS),
    overdue: bool = False,
    mine: bool = False,
    limit: int = Query(default=200, ge=1, le=1000),
    user: Principal = Reader,
) -> list[dict[str, Any]]:
    return service.handover.referrals(unit=unit, status=status, overdue=overdue, mine=mine, limit=limit, actor=user)


@router.post(
    "/handovers",
    response_model=HandoverOut,
    status_code=201,
    summary="并案移交：一个类案组（涉众群体）或多件案件一次移交",
)
def handover(body: HandoverRequest, service: ServiceDep, user: Principal = Writer) -> dict[str, Any]:
    if (body.group_id is None) == (not body.case_ids):
        raise InvalidInputError([FieldProblem("group_id", "请提供类案组编号或案件编号之一")])
    if body.group_id is not None:
        return service.handover.refer_group(
            body.group_id, unit=body.unit, note=body.note, feedback_days=body.feedback_days, actor=user
        )
    return service.handover.refer(
        body.case_ids or [], unit=body.unit, note=body.note, feedback_days=body.feedback_days, actor=user
    )


@router.get("/handovers/{handover_id}", response_model=HandoverOut, summary="一次移交的记录及其案件")
def handover_record(handover_id: int, service: ServiceDep, user: Principal = Reader) -> dict[str, Any]:
    return service.handover.handover(handover_id, user)


@router.post(
    "/referrals/{referral_id}/steps",
    response_model=DossierOut,
    summary="接收单位记录：核查、纠错、化解、退回、依法终结",
)
def step(referral_id: int, body: StepRequest, service: ServiceDep, user: Principal = Writer) -> dict[str, Any]:
    return service.handover.step(referral_id, body.action, body.text, user)


@router.post(
    "/aid/{aid_id}/decision", response_model=DossierOut, summary="司法救助决定（予以救助、部分救助、不予救助）"
)
def decide_aid(aid_id: int, body: AidDecision, service: ServiceDep, user: Principal = Writer) -> dict[str, Any]:
    return service.handover.decide_aid(aid_id, decision=body.decision, amount=body.amount, note=body.note, actor=user)


@router.get("/{case_id}", response_model=DossierOut, summary="案件的诉访分离档案：移交、步骤、三到位一处理、司法救助")
def dossier(case_id: int, service: ServiceDep, reveal: bool = False, user: Principal = Reader) -> dict[str, Any]:
    return service.handover.dossier(case_id, user, reveal)


@router.post(
    "/{case_id}/referrals",
    response_model=HandoverOut,
    status_code=201,
    summary="移交政法单位（法院、检察院、公安、司法），政法委督办",
)
def refer(case_id: int, body: ReferRequest, service: ServiceDep, user: Principal = Writer) -> dict[str, Any]:
    return service.handover.refer(
        [case_id], unit=body.unit, note=body.note, feedback_days=body.feedback_days, actor=user
    )


@router.put("/{case_id}/checklist", response_model=DossierOut, summary="三到位一处理清单（接收单位填写）")
def checklist(case_id: int, body: ChecklistRequest, service: ServiceDep, user: Principal = Writer) -> dict[str, Any]:
    return service.handover.record_checklist(case_id, [i.model_dump() for i in body.items], user)


@router.post("/{case_id}/aid", response_model=DossierOut, status_code=201, summary="登记司法救助申请（申请人、金额）")
def request_aid(case_id: int, body: AidRequest, service: ServiceDep, user: Principal = Writer) -> dict[str, Any]:
    return service.handover.request_aid(
        case_id, applicant=body.applicant, amount=body.amount, reason=body.reason, actor=user
    )
