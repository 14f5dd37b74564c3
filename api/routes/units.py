"""Units as master data: any signed-in user lists them; administrators add one or import a file."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool

from api.auth import CurrentUser, require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.units import UnitImportResult, UnitIn, UnitOut
from api.uploads import read_upload
from kb.users import Principal

router = APIRouter(prefix="/api/units", tags=["units"], responses={422: {"model": ErrorResponse}})


@router.get("", response_model=list[UnitOut], summary="单位名录（地市、区县、省直部门、政法单位、督查处）")
def list_units(
    service: ServiceDep,
    user: CurrentUser,
    kind: str | None = Query(default=None, max_length=16, description="单位类型，代码或中文名称，如 city 或 地级市"),
    parent: str | None = Query(default=None, max_length=64, description="上级单位，如 广州市（列出其区县）"),
) -> list[UnitOut]:
    return [UnitOut.from_unit(u) for u in service.units.list(kind, parent, actor=user)]


@router.post(
    "", response_model=UnitOut, status_code=201, summary="新增单位（管理员）", responses={409: {"model": ErrorResponse}}
)
async def add_unit(body: UnitIn, service: ServiceDep, user: Principal = Depends(require("system:admin"))) -> UnitOut:
    unit = await run_in_threadpool(
        lambda: service.units.add(body.name, body.kind, body.parent, body.aliases, body.cities, actor=user)
    )
    return UnitOut.from_unit(unit)


@router.post("/import", response_model=UnitImportResult, summary="导入单位名录 CSV（UTF-8 或 GBK）/ XLSX（管理员）")
async def import_units(
    service: ServiceDep, file: UploadFile = File(...), user: Principal = Depends(require("system:admin"))
) -> UnitImportResult:
    data = await read_upload(file, service.settings.max_library_upload_bytes)
    report = await run_in_threadpool(lambda: service.units.import_file(data, file.filename or "", actor=user))
    return UnitImportResult(created=report.created, updated=report.updated, total=len(report.names))
