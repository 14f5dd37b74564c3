"""A case's lifecycle: ``GET`` its stage, due date, allowed steps and transitions; ``POST`` one step."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.lifecycle import LifecycleOut, LifecycleRequest
from kb.users import Principal

router = APIRouter(prefix="/api/cases", tags=["lifecycle"], responses={422: {"model": ErrorResponse}})


@router.get("/{case_id}/lifecycle", response_model=LifecycleOut, summary="办理流程：阶段、期限、可执行步骤与办理记录")
def lifecycle_state(
    case_id: int, service: ServiceDep, reveal: bool = False, user: Principal = Depends(require("workflow:read"))
) -> LifecycleOut:
    """`reveal=true` shows the texts unmasked to roles holding `pii:read`."""
    return LifecycleOut.model_validate(service.lifecycle.state(case_id, user, reveal))


@router.post("/{case_id}/lifecycle", response_model=LifecycleOut, summary="办理一步（受理、延期、答复、复查……终结）")
def lifecycle_step(
    case_id: int, body: LifecycleRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> LifecycleOut:
    """A step not allowed now is refused (422) with the allowed next steps."""
    state = service.lifecycle.transition(
        case_id,
        body.action,
        actor=user,
        reason=body.reason,
        text=body.text,
        approver=body.approver,
        days=body.days,
    )
    return LifecycleOut.model_validate(state)
