"""积案化解攻坚 campaigns on the HTTP API: requests, and the answers of ``service.campaigns``
(kb/campaigns/service.py) as they are — the ``Campaign`` dataclass (``from_attributes``) and the
dicts of list entries, progress, letters, notices, visits and linked 督办单.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ---------------------------------------------------------------------------------------------
class CampaignRequest(_In):
    name: str = Field(max_length=200, description="活动名称，如“2026 年重复信访积案化解攻坚”")
    deadline: dt.date = Field(description="活动截止日期（清单案件默认化解期限）")
    description: str = Field(default="", max_length=4000)
    starts_on: dt.date | None = None
    resolution_line: float = Field(default=0.8, ge=0, le=1, description="化解率通报线：低于此线的单位上通报")
    repeat_line: float = Field(default=0.1, ge=0, le=1, description="再次信访率通报线：高于此线的单位上通报")


class CasesRequest(_In):
    case_ids: list[int] = Field(min_length=1, max_length=10000)


class LetterRequest(_In):
    unit: str = Field(max_length=100)
    resolution_target: float = Field(ge=0, le=1, description="化解率目标")
    repeat_target: float = Field(ge=0, le=1, description="再次信访率上限")
    deadline: dt.date
    signed_on: dt.date
    signatory: str = Field(max_length=100)


class ReplyRequest(_In):
    unit: str = Field(max_length=100)
    text: str = Field(max_length=4000, description="整改回复")


class VisitRequest(_In):
    team: str = Field(max_length=200, description="督查组")
    units: list[str] = Field(min_length=1, max_length=100, description="被督查单位")
    findings: str = Field(max_length=4000, description="督查发现的问题与要求")
    starts_on: dt.date
    ends_on: dt.date


class OrderLink(_In):
    order_id: int


# -- answers ----------------------------------------------------------------------------------------------
class CampaignOut(_Out):
    id: int
    name: str
    description: str
    starts_on: str
    deadline: str
    resolution_line: float = Field(description="化解率通报线")
    repeat_line: float = Field(description="再次信访率通报线")
    status: str = Field(description="open 进行中 / closed 已结束（数字冻结）")
    created_by: str
    created_at: str
    closed_at: str | None
    cases: int = Field(default=0, description="清单案件数")


class AddedOut(BaseModel):
    added: int = Field(description="新列入清单的案件数")


class StatusOut(BaseModel):
    status: str = "ok"


class EntryOut(_Out):
    case_id: int
    external_no: str
    title: str
    locality: str = Field(description="属地")
    department: str | None = Field(description="责任部门")
    lead_unit: str = Field(description="牵头单位")
    target_date: str = Field(description="化解期限")
    outcome: str = Field(description="已化解 / 未化解（截至今天）")
    resolved_on: str | None


class UnitProgressOut(_Out):
    unit: str = Field(description="牵头单位（合计行为“合计”）")
    listed: int = Field(description="列入件数")
    resolved: int = Field(description="已化解")
    resolution_rate: float | None = Field(description="化解率")
    repeat_base: int
    repeat_followed: int
    repeat_rate: float | None = Field(description="再次信访率")
    overdue: int = Field(description="超过化解期限仍未化解")
    ranked: bool = Field(description="件数够多、参与排名")


class ProgressOut(_Out):
    campaign_id: int
    as_of: str = Field(description="统计日")
    units: list[UnitProgressOut]
    total: UnitProgressOut
    definitions: dict[str, str] = Field(description="指标定义")
    frozen: bool = Field(description="已结束的活动：冻结数字")


class LetterOut(_Out):
    id: int
    unit: str
    resolution_target: float
    repeat_target: float
    deadline: str
    signed_on: str
    signatory: str
    recorded_by: str
    recorded_at: str
    as_of: str = Field(description="统计日")
    listed: int
    resolved: int
    resolution_rate: float | None
    repeat_rate: float | None
    resolution_met: bool = Field(description="化解率达标")
    repeat_met: bool = Field(description="再次信访率达标")
    gap_cases: int = Field(description="距化解率目标尚差件数")
    definitions: dict[str, str] = Field(default_factory=dict, description="化解率、再次信访率等指标的统计口径")


class NoticeRowOut(UnitProgressOut):
    reasons: list[str] = Field(description="上通报的原因")
    weeks: int = Field(description="连续上通报的周数")
    change_resolution_rate: float | None = Field(description="化解率较上周变化")
    change_repeat_rate: float | None = Field(description="再次信访率较上周变化")


class NoticeReplyOut(_Out):
    unit: str
    text: str
    filed_by: str
    filed_at: str


class NoticeOut(_Out):
    id: int | None = Field(description="已印发通报的编号（预览为空）")
    campaign_id: int
    campaign: str
    title: str
    week_start: str
    week_end: str
    resolution_line: float
    repeat_line: float
    rows: list[NoticeRowOut] = Field(description="上通报的单位")
    all_units: list[UnitProgressOut]
    total: UnitProgressOut
    previous_notice: str | None = Field(description="上一期已印发通报的周末日期")
    replies: list[NoticeReplyOut] = Field(description="上一期上榜单位的整改回复")
    missing_replies: list[str] = Field(description="上一期上榜而尚未回复的单位")
    filed_replies: list[NoticeReplyOut] = Field(
        default_factory=list, description="本期（已印发）上榜单位已提交的整改回复；预览为空"
    )
    definitions: dict[str, str]
    issued: bool
    issued_note: str
    issued_at: str | None = None
    markdown: str


class NoticeSummaryOut(_Out):
    id: int
    week_end: str
    issued_at: str
    issued_by: str
    units: list[str] = Field(description="上通报的单位")


class VisitOut(_Out):
    id: int
    campaign_id: int
    team: str = Field(description="督查组")
    units: list[str] = Field(description="被督查单位")
    findings: str
    starts_on: str
    ends_on: str
    recorded_by: str
    recorded_at: str


class CampaignOrderOut(_Out):
    id: int
    case_id: int
    unit: str = Field(description="督办对象单位")
    requirement: str
    deadline: str
    issued_at: str
    replied_at: str | None
