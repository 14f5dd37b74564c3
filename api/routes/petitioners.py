"""信访人视图 and manual repeat links: thin doors onto ``service.petitioners``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.petitioners import CaseLinksOut, LinkRequest, PetitionerOut
from kb.users import Principal

router = APIRouter(tags=["petitioners"], responses={422: {"model": ErrorResponse}})


@router.get(
    "/api/petitioners/{key}",
    response_model=PetitionerOut,
    summary="信访人视图：本辖区内该信访人的全部案件、关联与结果（按匿名键，脱敏）",
)
def petitioner(key: str, service: ServiceDep, user: Principal = Depends(require("cases:read"))) -> PetitionerOut:
    return PetitionerOut.from_view(service.petitioners.view(key, actor=user))


@router.get("/api/workflow/cases/{case_id}/links", response_model=CaseLinksOut, summary="案件关联与人工关联记录")
def case_links(case_id: int, service: ServiceDep, user: Principal = Depends(require("workflow:read"))) -> CaseLinksOut:
    return CaseLinksOut.model_validate(service.petitioners.case_links(case_id, actor=user))


@router.post(
    "/api/workflow/cases/{case_id}/links",
    response_model=CaseLinksOut,
    status_code=201,
    summary="人工关联重复信访（较晚一件记为较早一件的重复）",
)
def link(
    case_id: int, body: LinkRequest, service: ServiceDep, user: Principal = Depends(require("workflow:write"))
) -> CaseLinksOut:
    return CaseLinksOut.model_validate(service.petitioners.link(case_id, body.other_id, body.note, actor=user))


@router.delete(
    "/api/workflow/cases/{case_id}/links/{other_id}",
    response_model=CaseLinksOut,
    summary="解除两案之间的关联（此后自动识别不再关联这两件）",
)
def unlink(
    case_id: int,
    other_id: int,
    service: ServiceDep,
    reason: str | None = Query(default=None, max_length=500, description="解除原因"),
    user: Principal = Depends(require("workflow:write")),
) -> CaseLinksOut:
    return CaseLinksOut.model_validate(service.petitioners.unlink(case_id, other_id, reason, actor=user))
