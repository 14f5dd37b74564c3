"""催办 / 督办单 and 满意度评价 / 回访: thin doors onto ``service.supervision`` and ``service.evaluations``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.supervision import (
    EvaluationRequest,
    EvaluationStateOut,
    FollowupRequest,
    OrderOut,
    OrderRequest,
    ReminderOut,
    ReminderRequest,
    ReplyRequest,
)
from kb.users import Principal

router = APIRouter(prefix="/api/workflow", tags=["supervision"], responses={422: {"model": ErrorResponse}})
DIRECTION = "^(received|issued)$"


# -- 催办 ----------------------------------------------------------------------------------------------------
@router.post(
    "/cases/{case_id}/reminders", response_model=ReminderOut, status_code=201, summary="催办：提醒某单位办理此案"
)
def remind(
    case_id: int, body: ReminderRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> ReminderOut:
    return ReminderOut.model_validate(service.supervision.remind(case_id, unit=body.unit, text=body.text, actor=user))


@router.get("/cases/{case_id}/reminders", response_model=list[ReminderOut], summary="本案的催办记录")
def case_reminders(
    case_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))
) -> list[ReminderOut]:
    return [ReminderOut.model_validate(r) for r in service.supervision.reminders(case_id=case_id, actor=user)]


@router.get("/reminders", response_model=list[ReminderOut], summary="催办列表：本单位收到或发出的催办")
def reminders(
    service: ServiceDep,
    direction: str | None = Query(default=None, pattern=DIRECTION, description="received 收到的 / issued 发出的"),
    status: str | None = Query(
        default=None, pattern="^(pending|replied)$", description="pending 待回复 / replied 已回复"
    ),
    limit: int = Query(default=200, ge=1, le=1000),
    user: Principal = Depends(require("workflow:read")),
) -> list[ReminderOut]:
    found = service.supervision.reminders(direction=direction, status=status, limit=limit, actor=user)
    return [ReminderOut.model_validate(r) for r in found]


@router.post("/reminders/{reminder_id}/reply", response_model=ReminderOut, summary="回复催办（被催办单位）")
def reply_reminder(
    reminder_id: int, body: ReplyRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> ReminderOut:
    return ReminderOut.model_validate(service.supervision.reply_reminder(reminder_id, body.text, actor=user))


# -- 督办单 --------------------------------------------------------------------------------------------------
@router.post(
    "/cases/{case_id}/orders", response_model=OrderOut, status_code=201, summary="下发督办单：督办要求与回复期限"
)
def issue_order(
    case_id: int, body: OrderRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> OrderOut:
    order = service.supervision.issue_order(
        case_id, unit=body.unit, requirement=body.requirement, deadline=body.deadline, actor=user
    )
    return OrderOut.model_validate(order)


@router.get("/orders", response_model=list[OrderOut], summary="督办单列表（待回复 / 已回复 / 逾期未回复）")
def orders(
    service: ServiceDep,
    status: str | None = Query(
        default=None,
        pattern="^(pending|replied|overdue)$",
        description="pending 待回复 / replied 已回复 / overdue 逾期未回复",
    ),
    unit: str | None = Query(default=None, max_length=64, description="督办对象单位"),
    case_id: int | None = Query(default=None, ge=1),
    direction: str | None = Query(default=None, pattern=DIRECTION, description="received 收到的 / issued 发出的"),
    limit: int = Query(default=200, ge=1, le=1000),
    user: Principal = Depends(require("workflow:read")),
) -> list[OrderOut]:
    found = service.supervision.orders(
        status=status, unit=unit, case_id=case_id, direction=direction, limit=limit, actor=user
    )
    return [OrderOut.model_validate(o) for o in found]


@router.get("/orders/{order_id}", response_model=OrderOut, summary="督办单详情")
def order(order_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))) -> OrderOut:
    return OrderOut.model_validate(service.supervision.order(order_id, actor=user))


@router.post("/orders/{order_id}/reply", response_model=OrderOut, summary="回复督办单（督办对象单位）")
def reply_order(
    order_id: int, body: ReplyRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> OrderOut:
    return OrderOut.model_validate(service.supervision.reply_order(order_id, body.text, actor=user))


# -- 满意度评价 / 回访 ----------------------------------------------------------------------------------------
@router.get("/cases/{case_id}/evaluations", response_model=EvaluationStateOut, summary="满意度评价与回访记录")
def evaluations(
    case_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))
) -> EvaluationStateOut:
    return EvaluationStateOut.model_validate(service.evaluations.state(case_id, actor=user))


@router.post(
    "/cases/{case_id}/evaluations",
    response_model=EvaluationStateOut,
    status_code=201,
    summary="录入信访人对最近一次答复的满意度评价（每次答复一次）",
)
def evaluate(
    case_id: int, body: EvaluationRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> EvaluationStateOut:
    return EvaluationStateOut.model_validate(service.evaluations.evaluate(case_id, body.rating, body.note, actor=user))


@router.post("/cases/{case_id}/followups", response_model=EvaluationStateOut, status_code=201, summary="录入回访记录")
def follow_up(
    case_id: int, body: FollowupRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> EvaluationStateOut:
    return EvaluationStateOut.model_validate(service.evaluations.follow_up(case_id, body.method, body.note, actor=user))
