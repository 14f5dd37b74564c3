"""Typical-case knowledge base: model cases with guidance, versions, publishing, promotion, look-up."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse, file_responses
from api.schemas.modelcases import (
    DiffOut,
    GuidanceHitOut,
    GuidanceRequest,
    GuidanceResponse,
    HistoryOut,
    LibraryImportResult,
    ModelCaseOut,
    ModelCasePage,
    PromoteRequest,
)
from api.uploads import read_upload
from kb.modelcases import library
from kb.modelcases.domain import ModelCaseIn, ModelCaseUpdate
from kb.modelcases.guidance import look_up
from kb.users import Principal

router = APIRouter(prefix="/api/modelcases", tags=["modelcases"], responses={422: {"model": ErrorResponse}})
MEDIA = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "application/zip",
}


@router.get("", response_model=ModelCasePage, summary="列出典型案例（默认仅已发布）")
def list_model_cases(
    service: ServiceDep,
    user: Principal = Depends(require("modelcases:read")),
    status: list[Literal["draft", "published", "retired"]] = Query(default=[]),
    category: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
) -> ModelCasePage:
    items, total = service.modelcases.page(user, list(status) or None, category, limit, offset)
    return ModelCasePage(total=total, items=[ModelCaseOut.from_mc(m) for m in items])


@router.post("", response_model=ModelCaseOut, status_code=201, summary="新建典型案例草稿")
def create_model_case(
    body: ModelCaseIn, service: ServiceDep, user: Principal = Depends(require("modelcases:draft"))
) -> ModelCaseOut:
    return ModelCaseOut.from_mc(service.modelcases.create(body, user))


@router.post("/guidance", response_model=GuidanceResponse, summary="操作指引查询：按文本、案件或类案组匹配典型案例")
async def guidance(
    body: GuidanceRequest, service: ServiceDep, user: Principal = Depends(require("modelcases:read"))
) -> GuidanceResponse:
    def run() -> GuidanceResponse:
        query, hits = look_up(
            service.modelcases,
            text=body.text,
            case_id=body.case_id,
            group_id=body.group_id,
            k=body.k,
            mode=body.mode,
            actor=user,
        )
        marks: dict[int, bool] = {}
        if body.group_id is None and user.can("search"):
            query_text = service.feedback.query_text(user, body.text, body.case_id)
            marks = service.feedback.marked(user, "modelcase", query_text, [h.model_case.id for h in hits])
        out = [GuidanceHitOut.from_hit(h).model_copy(update={"my_mark": marks.get(h.model_case.id)}) for h in hits]
        return GuidanceResponse(query_terms=query.shown_terms, category=query.category, hits=out)

    return await run_in_threadpool(run)


@router.post("/promote", response_model=ModelCaseOut, status_code=201, summary="由已化解案件或类案组批量决定生成草稿")
def promote(
    body: PromoteRequest, service: ServiceDep, user: Principal = Depends(require("modelcases:draft"))
) -> ModelCaseOut:
    if body.case_id is not None:
        return ModelCaseOut.from_mc(service.modelcases.promote_case(body.case_id, user))
    assert body.group_id is not None
    return ModelCaseOut.from_mc(service.modelcases.promote_group(body.group_id, user))


@router.post("/import", response_model=LibraryImportResult, summary="导入案例库（JSON / Markdown 或其 zip / XLSX）")
async def import_library(
    service: ServiceDep,
    file: UploadFile = File(...),
    publish: bool = False,
    user: Principal = Depends(require("modelcases:write")),
) -> LibraryImportResult:
    data = await read_upload(file, service.settings.max_library_upload_bytes)
    fmt = library.format_of(file.filename or "")
    rows = await run_in_threadpool(library.read_library, data, fmt)  # CPU-bound: off the event loop
    report = await run_in_threadpool(library.import_rows, service.modelcases, rows, user, publish)
    return LibraryImportResult(
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        published=report.published,
        total=len(rows),
    )


@router.get(
    "/export",
    response_class=Response,
    responses=file_responses(*MEDIA.values()),
    summary="导出案例库：json、xlsx 或 md（每件一个 Markdown 文档，打包为 zip）",
)
def export_library(
    service: ServiceDep,
    format: Literal["json", "xlsx", "md"] = "json",
    status: list[Literal["draft", "published", "retired"]] = Query(default=[]),
    user: Principal = Depends(require("modelcases:read")),
) -> Response:
    data = library.export(service.modelcases, format, user, list(status) or None)
    name = f"model_cases.{'zip' if format == 'md' else format}"
    return Response(data, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{ref}", response_model=ModelCaseOut, summary="查看典型案例（编号或内部 id；可指定版本）")
def get_model_case(
    ref: str,
    service: ServiceDep,
    version: int | None = Query(default=None, ge=1),
    reveal: bool = False,
    user: Principal = Depends(require("modelcases:read")),
) -> ModelCaseOut:
    return ModelCaseOut.from_mc(service.modelcases.get(ref, user, version), reveal and user.can("pii:read"))


@router.patch("/{ref}", response_model=ModelCaseOut, summary="修改典型案例（生成新版本）")
def update_model_case(
    ref: str, body: ModelCaseUpdate, service: ServiceDep, user: Principal = Depends(require("modelcases:draft"))
) -> ModelCaseOut:
    return ModelCaseOut.from_mc(service.modelcases.update(ref, body, user))


@router.post("/{ref}/publish", response_model=ModelCaseOut, summary="审核发布（默认发布最新版本）")
def publish(
    ref: str,
    service: ServiceDep,
    version: int | None = Query(default=None, ge=1),
    user: Principal = Depends(require("modelcases:publish")),
) -> ModelCaseOut:
    return ModelCaseOut.from_mc(service.modelcases.publish(ref, user, version))


@router.post("/{ref}/retire", response_model=ModelCaseOut, summary="停用（不再向经办人提供）")
def retire(
    ref: str, service: ServiceDep, note: str = "", user: Principal = Depends(require("modelcases:publish"))
) -> ModelCaseOut:
    return ModelCaseOut.from_mc(service.modelcases.retire(ref, user, note))


@router.get("/{ref}/history", response_model=HistoryOut, summary="版本与操作记录")
def history(ref: str, service: ServiceDep, user: Principal = Depends(require("modelcases:draft"))) -> HistoryOut:
    versions, events = service.modelcases.history(ref, user)
    return HistoryOut(versions=versions, events=events)


@router.get("/{ref}/diff", response_model=DiffOut, summary="两个版本之间的逐字段差异")
def diff(
    ref: str,
    service: ServiceDep,
    a: int = Query(ge=1, alias="from"),
    b: int = Query(ge=1, alias="to"),
    user: Principal = Depends(require("modelcases:draft")),
) -> DiffOut:
    return DiffOut(from_version=a, to_version=b, fields=service.modelcases.diff(ref, a, b, user))
