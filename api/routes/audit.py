"""The audit log for administrators: query with filters, export as CSV."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from api.auth import require
from api.deps import ServiceDep
from api.schemas.audit import AuditEventOut, AuditPage
from api.schemas.common import ErrorResponse, file_responses
from kb.audit import AuditFilter
from kb.users import Principal

router = APIRouter(prefix="/api/audit", tags=["audit"], responses={422: {"model": ErrorResponse}})


def audit_filter(
    username: str | None = Query(default=None, max_length=64),
    action: str | None = Query(
        default=None, max_length=64, description="动作，如 cases.update；cases 匹配全部 cases.*"
    ),
    record_type: str | None = Query(default=None, max_length=64),
    record_id: str | None = Query(default=None, max_length=64),
    since: dt.date | None = Query(default=None, description="起始日期（含）"),
    until: dt.date | None = Query(default=None, description="截止日期（含）"),
) -> AuditFilter:
    return AuditFilter(
        username,
        action,
        record_type,
        record_id,
        since.isoformat() if since else None,
        until.isoformat() if until else None,
    )


@router.get("", response_model=AuditPage, summary="查询审计日志（管理员）")
def list_events(
    service: ServiceDep,
    filters: AuditFilter = Depends(audit_filter),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    user: Principal = Depends(require("audit:read")),
) -> AuditPage:
    items, total = service.audit.query(filters, limit, offset, actor=user)
    return AuditPage(total=total, items=[AuditEventOut(**e) for e in items])


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses=file_responses("text/csv"),
    summary="导出审计日志 CSV（管理员；导出本身也被记录）",
)
def export_events(
    service: ServiceDep,
    filters: AuditFilter = Depends(audit_filter),
    user: Principal = Depends(require("audit:read")),
) -> StreamingResponse:
    service.audit.record(user, "audit.export", "audit", None, {"filters": filters.__dict__})
    return StreamingResponse(
        service.audit.export_csv(filters, actor=user),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="leian-audit.csv"'},
    )
