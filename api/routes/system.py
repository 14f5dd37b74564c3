"""Health and facets."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.auth import require
from api.deps import ServiceDep
from api.schemas.system import Facets, Health
from kb.fields import facet_fields
from kb.users import Principal

router = APIRouter(prefix="/api", tags=["system"])


@router.get("/health", response_model=Health, summary="服务状态：编码器、索引后端、数量")
def health(service: ServiceDep) -> Health:
    return Health(**service.health())


@router.get(
    "/facets",
    response_model=Facets,
    summary="筛选项：字段表中可分面的字段（地市、部门、类别、状态、渠道……）的取值及数量",
)
def facets(service: ServiceDep, user: Principal = Depends(require("cases:read"))) -> Facets:
    return Facets.model_validate(
        {
            f.name: [{"value": v, "count": n} for v, n in service.cases.facet(f.column, user.scope)]
            for f in facet_fields()
        }
    )
