"""Health and facets."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.auth import require
from api.deps import ServiceDep
from api.schemas.system import Facets, Health
from kb.users import Principal

router = APIRouter(prefix="/api", tags=["system"])


@router.get("/health", response_model=Health, summary="服务状态：编码器、索引后端、数量")
def health(service: ServiceDep) -> Health:
    return Health(**service.health())


@router.get("/facets", response_model=Facets, summary="筛选项：地市、部门、类别、状态、渠道及数量")
def facets(service: ServiceDep, user: Principal = Depends(require("cases:read"))) -> Facets:
    return Facets.model_validate(
        {
            col: [{"value": v, "count": n} for v, n in service.cases.facet(col, user.city)]
            for col in ("city", "department", "category", "status", "channel")
        }
    )
