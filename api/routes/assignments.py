"""Dual assignment v2 over HTTP: 交办, 签收, 退回, 答复, hand-over, my queues and workload.

Thin: every rule (who may assign, sign, return, answer, hand over) is checked in
``service.assignments`` so the CLI behaves the same.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from api.auth import require
from api.deps import ServiceDep
from api.schemas.assignments import (
    AnswerRequest,
    AssignmentOut,
    AssignRequest,
    HandlerOut,
    HandlerRequest,
    HandlingEventOut,
    QueueOut,
    ReturnRequest,
    WorkloadOut,
)
from api.schemas.common import ErrorResponse
from kb.users import Principal

router = APIRouter(
    prefix="/api/workflow",
    tags=["assignments"],
    responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)


@router.put(
    "/cases/{case_id}/assignments",
    response_model=list[AssignmentOut],
    summary="双向交办：指定属地和行业部门（多部门时指定主责单位）；只有交办单位或督查督办人员可重新交办",
)
def assign(
    case_id: int, body: AssignRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> list[AssignmentOut]:
    done = service.assignments.assign(
        case_id, locality=body.locality, departments=body.departments, lead=body.lead, note=body.note, actor=user
    )
    return [AssignmentOut.model_validate(a) for a in done]


@router.get("/cases/{case_id}/assignments", response_model=list[AssignmentOut], summary="交办记录（含历史）")
def assignments(
    case_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))
) -> list[AssignmentOut]:
    return [AssignmentOut.model_validate(a) for a in service.assignments.history(case_id, user)]


@router.get(
    "/cases/{case_id}/history",
    response_model=list[HandlingEventOut],
    summary="办理记录：交办、签收、退回、答复、经办人变更（谁、何时）",
)
def history(
    case_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))
) -> list[HandlingEventOut]:
    return [HandlingEventOut.model_validate(e) for e in service.assignments.events(case_id, user)]


@router.post("/assignments/{assignment_id}/sign", response_model=AssignmentOut, summary="签收交办（本单位账号）")
def sign(
    assignment_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> AssignmentOut:
    return AssignmentOut.model_validate(service.assignments.sign(assignment_id, user))


@router.post(
    "/assignments/{assignment_id}/return", response_model=AssignmentOut, summary="退回交办（须说明理由），回到交办单位"
)
def return_assignment(
    assignment_id: int, body: ReturnRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> AssignmentOut:
    return AssignmentOut.model_validate(service.assignments.return_assignment(assignment_id, body.reason, user))


@router.post(
    "/assignments/{assignment_id}/answer",
    response_model=AssignmentOut,
    summary="答复交办：属地填写化解情况（是否化解），行业部门填写指导意见",
)
def answer(
    assignment_id: int, body: AnswerRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> AssignmentOut:
    return AssignmentOut.model_validate(service.assignments.answer(assignment_id, body.text, body.resolved, user))


@router.put("/cases/{case_id}/handler", response_model=list[HandlerOut], summary="移交经办人（限本单位账号之间）")
def set_handler(
    case_id: int, body: HandlerRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> list[HandlerOut]:
    found = service.assignments.set_handler(case_id, body.username, body.unit, user)
    return [HandlerOut.model_validate(h) for h in found]


@router.get("/queue", response_model=QueueOut, summary="我的待办：待签收、待办、即将超期、已超期")
def queue(service: ServiceDep, user: Principal = Depends(require("workflow:read"))) -> QueueOut:
    return QueueOut.model_validate(service.assignments.queue(user))


@router.get("/workload", response_model=WorkloadOut, summary="工作量：按单位或按经办人统计（限本单位权限范围）")
def workload(
    service: ServiceDep,
    by: str = Query(default="unit", pattern="^(unit|user)$"),
    user: Principal = Depends(require("workflow:read")),
) -> WorkloadOut:
    return WorkloadOut.model_validate(service.assignments.workload(by, user))
