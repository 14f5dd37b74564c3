"""Petition-workflow shapes: routing suggestions, dual assignment, 诉访分离, repeats, leader packages, reports.

Response models read the workflow service's dataclasses and row dicts as they are
(``from_attributes``), properties included (``Suggestion.message``, ``PackageProgress.progress``,
``UnitRow.resolution_rate``), so each route converts with ``Model.model_validate(result)``.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.assignments import AssignmentOut, HandlerOut, HandlingEventOut


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- requests ---------------------------------------------------------------------------------------------
class RouteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=20000)
    case_id: int | None = Field(default=None, ge=1)


class LitigationStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(pattern="^(flagged|handed_over|feedback|concluded|dismissed)$")
    note: str | None = Field(default=None, max_length=1000)


class PackageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    leader: str = Field(min_length=1, max_length=64, description="包案领导")
    department: str = Field(min_length=1, max_length=64, description="包案部门")
    domain: str | None = Field(default=None, max_length=64, description="领域（类别或责任部门）")
    case_ids: list[int] = Field(default_factory=list, max_length=500)
    limit: int = Field(default=10, ge=1, le=200)
    as_of: dt.date | None = None
    note: str | None = Field(default=None, max_length=1000)


# -- 智能分拣 ----------------------------------------------------------------------------------------------
class SuggestionOut(_Out):
    target: str = Field(description="department（责任部门）/ city（属地）")
    value: str | None = Field(description="建议值；已办理案件不足时为空")
    confidence: float
    alternatives: list[tuple[str, float]] = Field(description="前三备选：[值, 概率]")
    low_confidence: bool
    basis: str
    message: str
    place: str | None = Field(default=None, description="属地：文中出现的地名（优先于模型建议），如 韶关市、曲江区")
    conflict: str | None = Field(default=None, description="属地：模型建议与文中地名不一致时模型的建议值")


class RouteSuggestions(_Out):
    department: SuggestionOut
    city: SuggestionOut


# -- 重复信访 ----------------------------------------------------------------------------------------------
class LinkOut(_Out):
    kind: str = Field(description="repeat / exact / joint")
    other_id: int | None = Field(description="关联案件编号；不在本单位权限范围内时为空")
    other_external_no: str = Field(description="关联案件登记编号；不在本单位权限范围内时为“其他单位案件”")
    other_visible: bool = Field(description="关联案件是否在本单位权限范围内")
    similarity: float
    repeat_count: int
    label: str
    manual: bool = Field(default=False, description="人工关联（识别不会覆盖）")
    note: str | None = Field(default=None, description="人工关联说明")


class RepeatItem(_Out):
    case_id: int
    external_no: str
    city: str | None
    received_date: str
    kind: str = Field(description="repeat / exact / joint")
    other_id: int | None = Field(description="关联案件编号；不在本单位权限范围内时为空")
    other_external_no: str = Field(description="关联案件登记编号；不在本单位权限范围内时为“其他单位案件”")
    other_visible: bool = Field(description="关联案件是否在本单位权限范围内")
    similarity: float
    repeat_count: int
    label: str


# -- 诉访分离 ----------------------------------------------------------------------------------------------
class EvidenceOut(_Out):
    rule: str
    phrase: str
    strength: str = Field(description="strong / medium / weak / negative")


class LitigationEventOut(_Out):
    status: str
    note: str | None
    actor: str
    at: str
    status_label: str


class LitigationTrackOut(_Out):
    case_id: int
    score: float
    evidence: list[EvidenceOut]
    channel: str
    status: str
    updated_by: str
    updated_at: str
    status_label: str
    events: list[LitigationEventOut]


class LitigationItem(_Out):
    case_id: int
    external_no: str
    title: str
    city: str | None
    status: str
    score: float
    channel: str
    updated_at: str
    status_label: str


class CaseWorkflowOut(_Out):
    case_id: int
    assignments: list[AssignmentOut] = Field(description="当前有效的交办，含各单位的签收、化解情况与指导意见")
    handlers: list[HandlerOut] = Field(description="各单位的经办人")
    history: list[HandlingEventOut] = Field(description="交办、签收、退回、答复、经办人变更记录")
    links: list[LinkOut]
    later_repeats: int = Field(description="此后被识别为本案重复信访的案件数")
    flags: list[str]
    litigation: LitigationTrackOut | None


# -- 领导包案 ----------------------------------------------------------------------------------------------
class CandidateOut(_Out):
    case_id: int
    external_no: str
    title: str
    city: str | None
    department: str | None
    category: str | None
    status: str
    open_days: int
    repeat_count: int
    departments: int
    score: float
    reasons: list[str]


class PackageCaseOut(_Out):
    id: int
    external_no: str
    title: str
    city: str | None
    department: str | None
    status: str
    resolved_date: str | None
    updated_at: str
    reasons: str


class PackageOut(_Out):
    id: int
    leader: str
    department: str
    domain: str | None
    city: str | None
    created_by: str
    created_at: str
    total: int
    by_status: dict[str, int]
    concluded: int
    cases: list[PackageCaseOut]
    progress: float = Field(description="已办结案件占比")


# -- 督查督办 ----------------------------------------------------------------------------------------------
class UnitRowOut(_Out):
    unit: str
    received: int
    resolved: int
    cohort_resolved: int
    repeats: int
    backlog: int
    change_resolution_rate: float | None
    change_repeat_rate: float | None
    lowest: bool
    resolution_rate: float | None = Field(description="化解率")
    repeat_rate: float | None = Field(description="再次信访率")
    acceptance_due: int = Field(description="受理期限落在本期内的案件数")
    accepted_on_time: int = Field(description="其中按期作出受理或不予受理决定的件数")
    handling_due: int = Field(description="办理期限（含按期批准的延期）落在本期内的案件数")
    replied_on_time: int = Field(description="其中按期书面答复的件数")
    on_time_acceptance_rate: float | None = Field(description="按期受理率")
    on_time_reply_rate: float | None = Field(description="按期办结率")
    replied: int = Field(default=0, description="本期答复的案件数")
    evaluated: int = Field(default=0, description="其中信访人已评价的案件数（截至期末）")
    satisfied: int = Field(default=0, description="其中评价为满意或基本满意的案件数")
    evaluation_rate: float | None = Field(default=None, description="参评率 = 已评价 ÷ 本期答复")
    satisfaction_rate: float | None = Field(default=None, description="满意率 = (满意 + 基本满意) ÷ 已评价")


class TrendPointOut(_Out):
    week_end: str
    received: int
    resolution_rate: float | None
    repeat_rate: float | None


class ReportOut(_Out):
    title: str
    group_by: str
    date_from: str
    date_to: str
    city: str | None
    rows: list[UnitRowOut]
    total: UnitRowOut
    trend: list[TrendPointOut]
    definitions: dict[str, str] = Field(description="各项指标的统计口径")
