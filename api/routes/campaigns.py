"""积案化解攻坚 campaigns: thin doors onto ``service.campaigns`` (kb/campaigns/service.py).

Every read is scoped by the caller's account (a city sees its own entries, notice rows and letters);
notices once issued are stored and answered as issued.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.auth import require
from api.deps import ServiceDep
from api.downloads import XLSX, attachment
from api.schemas.campaigns import (
    AddedOut,
    CampaignOrderOut,
    CampaignOut,
    CampaignRequest,
    CasesRequest,
    EntryOut,
    LetterOut,
    LetterRequest,
    NoticeOut,
    NoticeSummaryOut,
    OrderLink,
    ProgressOut,
    ReplyRequest,
    StatusOut,
    VisitOut,
    VisitRequest,
)
from api.schemas.common import ErrorResponse, file_responses
from api.uploads import read_upload
from kb.users import Principal

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"], responses={422: {"model": ErrorResponse}})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKDOWN = "text/markdown; charset=utf-8"
Read = Depends(require("reports:read"))
Write = Depends(require("workflow:write"))
Export = Depends(require("reports:export"))


@router.get("", response_model=list[CampaignOut], summary="攻坚活动列表")
def list_campaigns(service: ServiceDep, user: Principal = Read) -> list[CampaignOut]:
    return [CampaignOut.model_validate(c) for c in service.campaigns.list_all(user)]


@router.post("", response_model=CampaignOut, status_code=201, summary="新建攻坚活动（省级督查）")
def create(body: CampaignRequest, service: ServiceDep, user: Principal = Write) -> CampaignOut:
    c = service.campaigns.create(
        body.name,
        body.deadline.isoformat(),
        description=body.description,
        starts_on=body.starts_on.isoformat() if body.starts_on else None,
        resolution_line=body.resolution_line,
        repeat_line=body.repeat_line,
        actor=user,
    )
    return CampaignOut.model_validate(c)


@router.get("/{campaign_id}", response_model=CampaignOut, summary="攻坚活动")
def get(campaign_id: int, service: ServiceDep, user: Principal = Read) -> CampaignOut:
    return CampaignOut.model_validate(service.campaigns.get(campaign_id, user))


@router.post("/{campaign_id}/close", response_model=CampaignOut, summary="结束活动：冻结各单位数字")
def close(campaign_id: int, service: ServiceDep, user: Principal = Write) -> CampaignOut:
    return CampaignOut.model_validate(service.campaigns.close(campaign_id, user))


@router.get("/{campaign_id}/cases", response_model=list[EntryOut], summary="积案清单（本账号范围内）")
def entries(campaign_id: int, service: ServiceDep, user: Principal = Read) -> list[EntryOut]:
    return [EntryOut.model_validate(e) for e in service.campaigns.entries(campaign_id, user)]


@router.post("/{campaign_id}/cases", response_model=AddedOut, summary="选择案件列入清单")
def add_cases(campaign_id: int, body: CasesRequest, service: ServiceDep, user: Principal = Write) -> AddedOut:
    return AddedOut(added=service.campaigns.add_cases(campaign_id, body.case_ids, user))


@router.post(
    "/{campaign_id}/cases/import",
    response_model=AddedOut,
    summary="导入交办清单 CSV / XLSX（登记编号、属地、责任部门、牵头单位、化解期限）",
)
async def import_cases(
    campaign_id: int, service: ServiceDep, file: UploadFile = File(...), user: Principal = Write
) -> AddedOut:
    data = await read_upload(file, service.settings.max_upload_bytes)
    added = await run_in_threadpool(
        lambda: service.campaigns.import_list(campaign_id, data, file.filename or "", actor=user)
    )
    return AddedOut(added=added)


@router.get(
    "/{campaign_id}/progress", response_model=ProgressOut, summary="各牵头单位进度（任一日期；已结束的活动为冻结数字）"
)
def progress(
    campaign_id: int, service: ServiceDep, as_of: dt.date | None = None, user: Principal = Read
) -> ProgressOut:
    return ProgressOut.model_validate(service.campaigns.progress(campaign_id, as_of, user))


@router.get("/{campaign_id}/letters", response_model=list[LetterOut], summary="责任状及完成情况")
def letters(
    campaign_id: int, service: ServiceDep, as_of: dt.date | None = None, user: Principal = Read
) -> list[LetterOut]:
    return [LetterOut.model_validate(r) for r in service.campaigns.letters(campaign_id, as_of, user)]


@router.post(
    "/{campaign_id}/letters",
    response_model=LetterOut,
    status_code=201,
    summary="登记责任状（每单位一份，再次登记即更新）",
)
def sign_letter(campaign_id: int, body: LetterRequest, service: ServiceDep, user: Principal = Write) -> LetterOut:
    row = service.campaigns.sign_letter(
        campaign_id,
        body.unit,
        resolution_target=body.resolution_target,
        repeat_target=body.repeat_target,
        deadline=body.deadline.isoformat(),
        signed_on=body.signed_on.isoformat(),
        signatory=body.signatory,
        actor=user,
    )
    return LetterOut.model_validate(row)


@router.get(
    "/{campaign_id}/letters/export",
    response_class=Response,
    summary="导出责任状完成情况 XLSX",
    responses=file_responses(XLSX, description="责任状完成情况"),
)
def export_letters(
    campaign_id: int, service: ServiceDep, as_of: dt.date | None = None, user: Principal = Export
) -> Response:
    data = service.campaigns.letters_xlsx(campaign_id, as_of, user)
    return Response(data, media_type=XLSX, headers=attachment(f"letters-{campaign_id}.xlsx", "责任状完成情况.xlsx"))


@router.get("/{campaign_id}/notices", response_model=list[NoticeSummaryOut], summary="已印发的周滚动通报")
def notices(campaign_id: int, service: ServiceDep, user: Principal = Read) -> list[NoticeSummaryOut]:
    return [NoticeSummaryOut.model_validate(n) for n in service.campaigns.notices(campaign_id, user)]


@router.get(
    "/{campaign_id}/notices/{week_end}",
    response_model=NoticeOut,
    summary="某周的通报：已印发的为存档，未印发的为预览（format=md / docx 为文件）",
    responses=file_responses(MARKDOWN, DOCX, description="通报 JSON，或 Markdown / Word 文档"),
)
def notice(
    campaign_id: int,
    week_end: dt.date,
    service: ServiceDep,
    format: str = Query(default="json", pattern="^(json|md|docx)$"),
    user: Principal = Read,
) -> NoticeOut | Response:
    if format == "docx":
        user.require("reports:export")
        data = service.campaigns.notice_docx(campaign_id, week_end, user)
        name = f"notice-{campaign_id}-{week_end.isoformat()}.docx"
        return Response(data, media_type=DOCX, headers=attachment(name, f"周滚动通报-{week_end.isoformat()}.docx"))
    content = service.campaigns.notice(campaign_id, week_end, actor=user)
    if format == "md":
        return Response(content["markdown"], media_type=MARKDOWN)
    return NoticeOut.model_validate(content)


@router.post(
    "/{campaign_id}/notices", response_model=NoticeOut, status_code=201, summary="印发某周通报（存档后不再改变）"
)
def issue_notice(
    campaign_id: int, service: ServiceDep, week_end: dt.date = Query(...), user: Principal = Write
) -> NoticeOut:
    return NoticeOut.model_validate(service.campaigns.notice(campaign_id, week_end, issue=True, actor=user))


@router.post(
    "/{campaign_id}/notices/{week_end}/replies",
    response_model=StatusOut,
    status_code=201,
    summary="上榜单位提交整改回复",
)
def reply(
    campaign_id: int, week_end: dt.date, body: ReplyRequest, service: ServiceDep, user: Principal = Write
) -> StatusOut:
    service.campaigns.reply(campaign_id, week_end, body.unit, body.text, user)
    return StatusOut()


@router.get("/{campaign_id}/visits", response_model=list[VisitOut], summary="督查组")
def visits(campaign_id: int, service: ServiceDep, user: Principal = Read) -> list[VisitOut]:
    return [VisitOut.model_validate(v) for v in service.campaigns.visits(campaign_id, user)]


@router.post(
    "/{campaign_id}/visits",
    response_model=VisitOut,
    status_code=201,
    summary="登记督查组（被督查单位、发现问题、日期）",
)
def add_visit(campaign_id: int, body: VisitRequest, service: ServiceDep, user: Principal = Write) -> VisitOut:
    visit = service.campaigns.add_visit(
        campaign_id,
        team=body.team,
        units=body.units,
        findings=body.findings,
        starts_on=body.starts_on.isoformat(),
        ends_on=body.ends_on.isoformat(),
        actor=user,
    )
    return VisitOut.model_validate(visit)


@router.get("/{campaign_id}/orders", response_model=list[CampaignOrderOut], summary="关联的督办单")
def orders(campaign_id: int, service: ServiceDep, user: Principal = Read) -> list[CampaignOrderOut]:
    return [CampaignOrderOut.model_validate(o) for o in service.campaigns.orders(campaign_id, user)]


@router.post("/{campaign_id}/orders", response_model=StatusOut, status_code=201, summary="把督办单关联到活动")
def link_order(campaign_id: int, body: OrderLink, service: ServiceDep, user: Principal = Write) -> StatusOut:
    service.campaigns.link_order(campaign_id, body.order_id, user)
    return StatusOut()
