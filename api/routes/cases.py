"""Case CRUD and file import."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool

from api.auth import require
from api.deps import ServiceDep
from api.schemas.cases import CaseOut, CasePage, ImportResult
from api.schemas.common import ErrorResponse
from kb.domain import CaseIn, CaseUpdate, SearchFilters, Status
from kb.errors import FieldProblem, InvalidInputError
from kb.readers import detect_format, read_rows
from kb.settings import describe_bytes
from kb.users import Principal

router = APIRouter(prefix="/api/cases", tags=["cases"], responses={422: {"model": ErrorResponse}})


@router.post("", response_model=CaseOut, status_code=201, summary="登记一件信访案件（按登记编号幂等）")
async def create_case(body: CaseIn, service: ServiceDep, user: Principal = Depends(require("cases:write"))) -> CaseOut:
    case = await run_in_threadpool(service.create_case, body, user)
    return CaseOut.from_case(case)


@router.get("", response_model=CasePage, summary="按条件列出案件")
def list_cases(
    service: ServiceDep,
    user: Principal = Depends(require("cases:read")),
    city: list[str] = Query(default=[]),
    department: list[str] = Query(default=[]),
    category: list[str] = Query(default=[]),
    status: list[Status] = Query(default=[]),
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> CasePage:
    filters = SearchFilters(city, department, category, [s.value for s in status], [], date_from, date_to)
    items, total = service.list_cases(filters, limit, offset, actor=user)
    return CasePage(total=total, items=[CaseOut.from_case(c) for c in items])


@router.post(
    "/import", response_model=ImportResult, summary="导入 JSONL / CSV（UTF-8 或 GBK）/ XLSX 文件，全部成功或全部不写入"
)
async def import_cases(
    service: ServiceDep, file: UploadFile = File(...), user: Principal = Depends(require("cases:import"))
) -> ImportResult:
    limit = service.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInputError([FieldProblem("file", f"文件超过 {describe_bytes(limit)} 上限")])
    fmt = detect_format(file.filename or "")
    rows = list(read_rows(data, fmt, max_decompressed_bytes=service.settings.max_decompressed_bytes))
    if not rows:
        raise InvalidInputError([FieldProblem("file", "文件中没有数据行")])
    report = await run_in_threadpool(lambda: service.ingest(rows, actor=user))
    return ImportResult(created=report.created, updated=report.updated, reembedded=report.reembedded, total=len(rows))


@router.get("/by-external/{external_no}", response_model=CaseOut, summary="按登记编号查看案件")
def get_by_external(
    external_no: str, service: ServiceDep, reveal: bool = False, user: Principal = Depends(require("cases:read"))
) -> CaseOut:
    return CaseOut.from_case(service.get_case_by_external(external_no, user), reveal and user.can("pii:read"))


@router.get("/{case_id}", response_model=CaseOut, summary="查看案件")
def get_case(
    case_id: int, service: ServiceDep, reveal: bool = False, user: Principal = Depends(require("cases:read"))
) -> CaseOut:
    """`reveal=true` shows personal data to roles holding `pii:read`; everyone else sees it masked."""
    return CaseOut.from_case(service.get_case(case_id, user), reveal and user.can("pii:read"))


@router.patch("/{case_id}", response_model=CaseOut, summary="修改案件")
async def update_case(
    case_id: int, body: CaseUpdate, service: ServiceDep, user: Principal = Depends(require("cases:write"))
) -> CaseOut:
    case = await run_in_threadpool(service.update_case, case_id, body, user)
    return CaseOut.from_case(case)


@router.delete("/{case_id}", status_code=204, summary="删除案件")
async def delete_case(case_id: int, service: ServiceDep, user: Principal = Depends(require("cases:write"))) -> None:
    await run_in_threadpool(service.delete_case, case_id, user)
