"""The in-app inbox: my items (assignments to sign, returns, near-due and overdue cases, reminders,
orders), unread counts for every page's badge, and marking items read."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.inbox import InboxItemOut, InboxSummaryOut, ReadOut, ReadRequest
from kb.users import Principal

router = APIRouter(prefix="/api/inbox", tags=["inbox"], responses={422: {"model": ErrorResponse}})


@router.get("", response_model=list[InboxItemOut], summary="我的收件箱（未读在前）")
def inbox(
    service: ServiceDep,
    unread: bool = Query(default=False, description="只看未读"),
    kind: str | None = Query(default=None, max_length=32, description="事项类别"),
    user: Principal = Depends(require("workflow:read")),
) -> list[InboxItemOut]:
    return [InboxItemOut.model_validate(i) for i in service.inbox.items(user, unread_only=unread, kind=kind)]


@router.get("/summary", response_model=InboxSummaryOut, summary="未读数（总数与各类）")
def summary(service: ServiceDep, user: Principal = Depends(require("workflow:read"))) -> InboxSummaryOut:
    return InboxSummaryOut.model_validate(service.inbox.summary(user))


@router.post("/read", response_model=ReadOut, summary="标记为已读")
def mark_read(body: ReadRequest, service: ServiceDep, user: Principal = Depends(require("workflow:read"))) -> ReadOut:
    marked = service.inbox.mark_read(user, body.keys)
    found = service.inbox.summary(user)
    return ReadOut(marked=marked, unread=found.unread, total=found.total, by_kind=found.by_kind)
