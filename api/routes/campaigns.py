"""积案化解攻坚 campaigns: thin doors onto ``service.campaigns`` (kb/campaigns/service.py).

Every read is scoped by the caller's account (a city sees its own entries, notice rows and letters);
notices once issued are stored and answered as issued.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.auth import require
from api.deps import ServiceDep
from api.downloads import XLSX, attachment
from api.schemas.common import ErrorResponse
from kb.errors import FieldProblem, InvalidInputError
from kb.settings import describe_bytes
from kb.users import Principal

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"], responses={422: {"model": ErrorResponse}})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
Read = Depends(require("reports:read"))
Write = Depends(require("workflow:write"))
Export = Depends(require("reports:export"))


class CampaignRequest(BaseModel):
    name: str = Field(max_length=200, description="活动名称，如“2026 年重复信访积案化解攻坚”")
    deadline: dt.date = Field(description="活动截止日期（清单案件默认化解期限）")
    description: str = Field(default="", max_length=4000)
    starts_on: dt.date | None = None
    resolution_line: float = Field(default=0.8, ge=0, le=1, description="化解率通报线：低于此线的单位上通报")
    repeat_line: float = Field(default=0.1, ge=0, le=1, description="再次信访率通报线：高于此线的单位上通报")


class CasesRequest(BaseModel):
    case_ids: list[int] = Field(min_length=1, max_length=10000)


class LetterRequest(BaseModel):
    unit: str = Field(max_length=100)
    resolution_target: float = Field(ge=0, le=1, description="化解率目标")
    repeat_target: float = Field(ge=0, le=1, description="再次信访率上限")
    deadline: dt.date
    signed_on: dt.date
    signatory: str = Field(max_length=100)


class ReplyRequest(BaseModel):
    unit: str = Field(max_length=100)
    text: str = Field(max_length=4000, description="整改回复")


class VisitRequest(BaseModel):
    team: str = Field(max_length=200, description="督查组")
    units: list[str] = Field(min_length=1, max_length=100, description="被督查单位")
    findings: str = Field(max_length=4000, description="督查发现的问题与要求")
    starts_on: dt.date
    ends_on: dt.date


class OrderLink(BaseModel):
    order_id: int


@router.get("", summary="攻坚活动列表")
def list_campaigns(service: ServiceDep, user: Principal = Read) -> list[dict[str, Any]]:
    return [dataclasses.asdict(c) for c in service.campaigns.list_all(user)]


@router.post("", status_code=201, summary="新建攻坚活动（省级督查）")
def create(body: CampaignRequest, service: ServiceDep, user: Principal = Write) -> dict[str, Any]:
    c = service.campaigns.create(
        body.name,
        body.deadline.isoformat(),
        description=body.description,
        starts_on=body.starts_on.isoformat() if body.starts_on else None,
        resolution_line=body.resolution_line,
        repeat_line=body.repeat_line,
        actor=user,
    )
    return dataclasses.asdict(c)


@router.get("/{campaign_id}", summary="攻坚活动")
def get(campaign_id: int, service: ServiceDep, user: Principal = Read) -> dict[str, Any]:
    return dataclasses.asdict(service.campaigns.get(campaign_id, user))


@router.post("/{campaign_id}/close", summary="结束活动：冻结各单位数字")
def close(campaign_id: int, service: ServiceDep, user: Principal = Write) -> dict[str, Any]:
    return dataclasses.asdict(service.campaigns.close(campaign_id, user))


@router.get("/{campaign_id}/cases", summary="积案清单（本账号范围内）")
def entries(campaign_id: int, service: ServiceDep, user: Principal = Read) -> list[dict[str, Any]]:
    return service.campaigns.entries(campaign_id, user)


@router.post("/{campaign_id}/cases", summary="选择案件列入清单")
def add_cases(campaign_id: int, body: CasesRequest, service: ServiceDep, user: Principal = Write) -> dict[str, int]:
    return {"added": service.campaigns.add_cases(campaign_id, body.case_ids, user)}


@router.post(
    "/{campaign_id}/cases/import", summary="导入交办清单 CSV / XLSX（登记编号、属地、责任部门、牵头单位、化解期限）"
)
async def import_cases(
    campaign_id: int, service: ServiceDep, file: UploadFile = File(...), user: Principal = Write
) -> dict[str, int]:
    limit = service.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInputError([FieldProblem("file", f"文件超过 {describe_bytes(limit)} 上限")])
    added = await run_in_threadpool(
        lambda: service.campaigns.import_list(campaign_id, data, file.filename or "", actor=user)
    )
    return {"added": added}


@router.get("/{campaign_id}/progress", summary="各牵头单位进度（任一日期；已结束的活动为冻结数字）")
def progress(
    campaign_id: int, service: ServiceDep, as_of: dt.date | None = None, user: Principal = Read
) -> dict[str, Any]:
    return service.campaigns.progress(campaign_id, as_of, user)


@router.get("/{campaign_id}/letters", summary="责任状及完成情况")
def letters(
    campaign_id: int, service: ServiceDep, as_of: dt.date | None = None, user: Principal = Read
) -> list[dict[str, Any]]:
    return service.campaigns.letters(campaign_id, as_of, user)


@router.post("/{campaign_id}/letters", status_code=201, summary="登记责任状（每单位一份，再次登记即更新）")
def sign_letter(campaign_id: int, body: LetterRequest, service: ServiceDep, user: Principal = Write) -> dict[str, Any]:
    return service.campaigns.sign_letter(
        campaign_id,
        body.unit,
        resolution_target=body.resolution_target,
        repeat_target=body.repeat_target,
        deadline=body.deadline.isoformat(),
        signed_on=body.signed_on.isoformat(),
        signatory=body.signatory,
        actor=user,
    )


@router.get("/{campaign_id}/letters/export", response_class=Response, summary="导出责任状完成情况 XLSX")
def export_letters(
    campaign_id: int, service: ServiceDep, as_of: dt.date | None = None, user: Principal = Export
) -> Response:
    data = service.campaigns.letters_xlsx(campaign_id, as_of, user)
    return Response(data, media_type=XLSX, headers=attachment(f"letters-{campaign_id}.xlsx", "责任状完成情况.xlsx"))


@router.get("/{campaign_id}/notices", summary="已印发的周滚动通报")
def notices(campaign_id: int, service: ServiceDep, user: Principal = Read) -> list[dict[str, Any]]:
    return service.campaigns.notices(campaign_id, user)


@router.get("/{campaign_id}/notices/{week_end}", summary="某周的通报：已印发的为存档，未印发的为预览")
def notice(
    campaign_id: int,
    week_end: dt.date,
    service: ServiceDep,
    format: str = Query(default="json", pattern="^(json|md|docx)$"),
    user: Principal = Read,
) -> Any:
    if format == "docx":
        user.require("reports:export")
        data = service.campaigns.notice_docx(campaign_id, week_end, user)
        name = f"notice-{campaign_id}-{week_end.isoformat()}.docx"
        return Response(data, media_type=DOCX, headers=attachment(name, f"周滚动通报-{week_end.isoformat()}.docx"))
    content = service.campaigns.notice(campaign_id, week_end, actor=user)
    if format == "md":
        return Response(content["markdown"], media_type="text/markdown; charset=utf-8")
    return content


@router.post("/{campaign_id}/notices", status_code=201, summary="印发某周通报（存档后不再改变）")
def issue_notice(
    campaign_id: int, service: ServiceDep, week_end: dt.date = Query(...), user: Principal = Write
) -> dict[str, Any]:
    return service.campaigns.notice(campaign_id, week_end, issue=True, actor=user)


@router.post("/{campaign_id}/notices/{week_end}/replies", status_code=201, summary="上榜单位提交整改回复")
def reply(
    campaign_id: int, week_end: dt.date, body: ReplyRequest, service: ServiceDep, user: Principal = Write
) -> dict[str, str]:
    service.campaigns.reply(campaign_id, week_end, body.unit, body.text, user)
    return {"status": "ok"}


@router.get("/{campaign_id}/visits", summary="督查组")
def visits(campaign_id: int, service: ServiceDep, user: Principal = Read) -> list[dict[str, Any]]:
    return service.campaigns.visits(campaign_id, user)


@router.post("/{campaign_id}/visits", status_code=201, summary="登记督查组（被督查单位、发现问题、日期）")
def add_visit(campaign_id: int, body: VisitRequest, service: ServiceDep, user: Principal = Write) -> dict[str, Any]:
    return service.campaigns.add_visit(
        campaign_id,
        team=body.team,
        units=body.units,
        findings=body.findings,
        starts_on=body.starts_on.isoformat(),
        ends_on=body.ends_on.isoformat(),
        actor=user,
    )


@router.get("/{campaign_id}/orders", summary="关联的督办单")
def orders(campaign_id: int, service: ServiceDep, user: Principal = Read) -> list[dict[str, Any]]:
    return service.campaigns.orders(campaign_id, user)


@router.post("/{campaign_id}/orders", status_code=201, summary="把督办单关联到活动")
def link_order(campaign_id: int, body: OrderLink, service: ServiceDep, user: Principal = Write) -> dict[str, str]:
    service.campaigns.link_order(campaign_id, body.order_id, user)
    return {"status": "ok"}
