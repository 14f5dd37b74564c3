"""Group families (issue 19): the issue-type level above matter-level groups; read-only."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.groups import FamilyDetailOut, FamilyOut, GroupOut
from kb.users import Principal

router = APIRouter(prefix="/api/group-families", tags=["groups"], responses={404: {"model": ErrorResponse}})


@router.get("", response_model=list[FamilyOut], summary="列出类案组族（同一问题类型；地市用户只看到含本地市案件的族）")
def list_families(
    service: ServiceDep, include_retired: bool = False, user: Principal = Depends(require("groups:read"))
) -> list[FamilyOut]:
    return [FamilyOut.of(f) for f in service.groups.families(user, include_retired)]


@router.get("/{family_id}", response_model=FamilyDetailOut, summary="类案组族详情：其下各事项类案组")
def get_family(
    family_id: int, service: ServiceDep, user: Principal = Depends(require("groups:read"))
) -> FamilyDetailOut:
    family, groups = service.groups.family(family_id, user)
    return FamilyDetailOut(**FamilyOut.of(family).model_dump(), members=[GroupOut.of(g) for g in groups])
