"""后台任务: long work (group discovery, reindex, imports, reports) submitted, watched and cancelled."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.jobs import JobIn, JobOut
from api.uploads import read_upload
from kb.users import Principal

router = APIRouter(
    prefix="/api/jobs",
    tags=["jobs"],
    responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
Status = Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]


@router.get("", response_model=list[JobOut], summary="后台任务列表（管理员看全部，其他用户看本人提交的）")
def list_jobs(
    service: ServiceDep,
    status: Status | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    user: Principal = Depends(require("cases:read")),
) -> list[JobOut]:
    return [JobOut.model_validate(j) for j in service.jobs.list(user, status, limit)]


@router.post("", response_model=JobOut, status_code=202, summary="提交后台任务（类案发现、重建索引、周报）")
def submit_job(body: JobIn, service: ServiceDep, user: Principal = Depends(require("cases:read"))) -> JobOut:
    return JobOut.model_validate(service.jobs.submit(body.kind, body.params, user))


@router.post(
    "/import",
    response_model=JobOut,
    status_code=202,
    summary="提交导入任务：上传文件后在后台导入（全部成功或全部不写入）",
)
async def submit_import(
    service: ServiceDep,
    file: UploadFile = File(...),
    strict: bool | None = Query(default=None, description="严格模式（默认 LEIAN_IMPORT_STRICT）"),
    user: Principal = Depends(require("cases:import")),
) -> JobOut:
    data = await read_upload(file, service.settings.max_upload_bytes)
    job = service.jobs.submit("import", {"strict": strict}, user, upload=data, filename=file.filename or "upload")
    return JobOut.model_validate(job)


@router.get("/{job_id}", response_model=JobOut, summary="后台任务进度与结果")
def get_job(job_id: int, service: ServiceDep, user: Principal = Depends(require("cases:read"))) -> JobOut:
    return JobOut.model_validate(service.jobs.get(job_id, user))


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    summary="取消后台任务（排队中立即取消；执行中在下一进度点停止，不写入数据）",
)
def cancel_job(job_id: int, service: ServiceDep, user: Principal = Depends(require("cases:read"))) -> JobOut:
    return JobOut.model_validate(service.jobs.cancel(job_id, user))


@router.post(
    "/{job_id}/resubmit", response_model=JobOut, status_code=202, summary="以相同参数重新提交（失败、取消或中断后）"
)
def resubmit_job(job_id: int, service: ServiceDep, user: Principal = Depends(require("cases:read"))) -> JobOut:
    return JobOut.model_validate(service.jobs.resubmit(job_id, user))
