"""Case CRUD, filtered listing and export, and file import."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from api.auth import require
from api.deps import ServiceDep
from api.downloads import CSV, XLSX, attachment, case_rows, table_response
from api.schemas.cases import CaseOut, CasePage, ImportFormat, ImportProgressOut, ImportResult, filter_definitions
from api.schemas.common import ErrorResponse, file_responses
from api.uploads import read_upload
from kb.cases import progress
from kb.domain import CaseIn, CaseUpdate, SearchFilters
from kb.errors import FieldProblem, InvalidInputError, NotFoundError
from kb.fields import export_header, filters_from_params
from kb.import_format import TEMPLATE_NAME, template_xlsx
from kb.import_format import describe as import_description
from kb.readers import detect_format, read_table
from kb.users import Principal

router = APIRouter(prefix="/api/cases", tags=["cases"], responses={422: {"model": ErrorResponse}})
EXPORT_PAGE = 500  # rows fetched per page while streaming an export


def _filter_parameters() -> list[inspect.Parameter]:
    """Query parameters of the table's filters, with the limits of the search body's filters."""
    out = []
    for name, (annotation, spec) in filter_definitions().items():
        limit = next((m.max_length for m in spec.metadata if hasattr(m, "max_length")), None)
        many = spec.default_factory is list
        query = Query(max_length=limit, description=spec.description) if many else Query(description=spec.description)
        default: Any = [] if many else None
        kind = inspect.Parameter.KEYWORD_ONLY
        out.append(inspect.Parameter(name, kind, default=default, annotation=Annotated[annotation, query]))
    return out


def _case_filters_dependency() -> Callable[..., SearchFilters]:
    """A dependency reading every filter of the field table from the query string (same as a search body)."""

    def case_filters(**params: Any) -> SearchFilters:
        return SearchFilters(by_field=filters_from_params(params))

    case_filters.__signature__ = inspect.Signature(_filter_parameters())  # type: ignore[attr-defined]
    return case_filters


case_filters = _case_filters_dependency()


@router.post("", response_model=CaseOut, status_code=201, summary="登记一件信访案件（按登记编号幂等）")
async def create_case(body: CaseIn, service: ServiceDep, user: Principal = Depends(require("cases:write"))) -> CaseOut:
    case = await run_in_threadpool(service.create_case, body, user)
    return CaseOut.from_case(case)


@router.get("", response_model=CasePage, summary="按条件列出案件")
def list_cases(
    service: ServiceDep,
    user: Principal = Depends(require("cases:read")),
    filters: SearchFilters = Depends(case_filters),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> CasePage:
    """Filters are those of the field table (``kb/fields.py``), the same as in a search body."""
    items, total = service.list_cases(filters, limit, offset, actor=user)
    return CasePage(total=total, items=[CaseOut.from_case(c) for c in items])


@router.get(
    "/export",
    response_class=Response,
    summary="按条件导出案件 CSV / XLSX（表头为中文字段名，可再导入；个人信息脱敏）",
    responses=file_responses(CSV, XLSX, description="UTF-8（带 BOM）CSV 或 Excel 工作簿"),
)
def export_cases(
    service: ServiceDep,
    user: Principal = Depends(require("cases:read")),
    filters: SearchFilters = Depends(case_filters),
    limit: int = Query(default=10_000, ge=1),
    format: Literal["csv", "xlsx"] = Query(default="csv", description="csv 或 xlsx"),
) -> Response:
    """The exported columns are the field table's ``export`` rows, masked as on screen; the same
    filters as the list. Audited as an export."""
    most = service.settings.max_export_rows
    if limit > most:
        raise InvalidInputError([FieldProblem("limit", f"一次最多导出 {most} 件（LEIAN_MAX_EXPORT_ROWS）")])
    rows: list[list[Any]] = []
    offset = 0
    while offset < limit:
        items, total = service.list_cases(filters, min(EXPORT_PAGE, limit - offset), offset, actor=user)
        rows.extend(case_rows(items))
        offset += len(items)
        if not items or offset >= total:
            break
    return table_response(format, "案件清单", export_header(), rows, "leian-cases", "案件清单")


@router.get(
    "/import/format",
    response_model=ImportFormat,
    summary="导入说明：支持的文件格式、可用的中文表头及别名、日期写法、其他列的处理",
)
def import_format(user: Principal = Depends(require("cases:read"))) -> ImportFormat:
    return ImportFormat.model_validate(import_description())


@router.get(
    "/import/template",
    response_class=Response,
    summary="下载导入模板（XLSX：中文表头、一行示例、填写说明）",
    responses=file_responses(XLSX, description="导入模板"),
)
def import_template(user: Principal = Depends(require("cases:read"))) -> Response:
    return Response(template_xlsx(), media_type=XLSX, headers=attachment(TEMPLATE_NAME, "导入模板.xlsx"))


@router.post(
    "/import", response_model=ImportResult, summary="导入 JSONL / CSV（UTF-8 或 GBK）/ XLSX 文件，全部成功或全部不写入"
)
async def import_cases(
    service: ServiceDep,
    file: UploadFile = File(...),
    strict: bool | None = Query(
        default=None, description="严格模式：含字段表以外的列时拒绝导入（默认 LEIAN_IMPORT_STRICT，否则忽略并列出）"
    ),
    import_id: str | None = Query(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="客户端自选的导入标识：导入期间用 GET /api/cases/import/progress/{import_id} 查看进度和剩余时间",
    ),
    user: Principal = Depends(require("cases:import")),
) -> ImportResult:
    data = await read_upload(file, service.settings.max_upload_bytes)
    fmt = detect_format(file.filename or "")
    chosen = service.settings.import_strict if strict is None else strict
    settings = service.settings
    # Parsing is CPU-bound (a 34 KB XLSX may declare a million rows): off the event loop, row-limited.
    table = await run_in_threadpool(
        lambda: read_table(data, fmt, settings.max_decompressed_bytes, strict=chosen, max_rows=settings.max_import_rows)
    )
    if not table.rows:
        raise InvalidInputError([FieldProblem("file", "文件中没有数据行")])
    if import_id is None:
        report = await run_in_threadpool(lambda: service.ingest_table(table, actor=user))
    else:
        tracker = await run_in_threadpool(
            lambda: service.import_progress.start(import_id, user.username, len(table.rows))
        )
        try:
            report = await run_in_threadpool(lambda: service.ingest_table(table, actor=user, progress=tracker.advance))
        except Exception:
            await run_in_threadpool(lambda: tracker.finish(progress.FAILED))
            raise
        await run_in_threadpool(lambda: tracker.finish(progress.DONE))
    return ImportResult(
        created=report.created,
        updated=report.updated,
        reembedded=report.reembedded,
        unchanged=report.unchanged,
        total=len(table.rows),
        ignored_columns=report.ignored_columns,
        message=report.summary(),
    )


@router.get(
    "/import/progress/{import_id}",
    response_model=ImportProgressOut,
    summary="导入进度：已编码件数、总行数、阶段、已用时间和预计剩余时间（秒，按已完成比例推算）",
)
def import_progress(
    import_id: str, service: ServiceDep, user: Principal = Depends(require("cases:import"))
) -> ImportProgressOut:
    found = service.import_progress.get(import_id, user.username)
    if found is None:
        raise NotFoundError(f"没有进行中的导入：{import_id}")
    return ImportProgressOut.model_validate(found)


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
