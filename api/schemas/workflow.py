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
    leader_id: int = Field(description="包案领导（领导名册中的编号）")
    case_ids: list[int] = Field(default_factory=list, max_length=500, description="为空时按难度自动选取")
    limit: int = Field(default=3, ge=1, le=50, description="自动选取的案件数")
    as_of: dt.date | None = None
    plan: str | None = Field(default=None, max_length=4000, description="包案方案")
    deadline: dt.date | None = Field(default=None, description="包案期限（不早于今天）")
    note: str | None = Field(default=None, max_length=1000)


class LeaderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64, description="领导姓名")
    post: str = Field(max_length=64, description="职务")
    unit: str = Field(max_length=64, description="所在单位（单位目录中的名称或别名）")
    domains: list[str] = Field(max_length=20, description="分管领域：案件类别（或责任部门）")


class LeaderPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domains: list[str] | None = Field(default=None, max_length=20)
    active: bool | None = None


class LeaderOut(_Out):
    id: int
    name: str
    post: str
    unit: str
    domains: list[str]
    city: str | None
    active: bool
    open_packages: int = Field(description="未办结包案数")
    created_at: str


class PackageEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(description="concluded（办结：全部案件已办结）或 withdrawn（撤销：需理由）")
    note: str | None = Field(default=None, max_length=1000)


class PackagePlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: str | None = Field(default=None, max_length=4000)
    deadline: dt.date | None = None


class MilestoneRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200, description="节点名称")
    due_date: dt.date = Field(description="计划完成日期")


class MilestoneDone(BaseModel):
    model_config = ConfigDict(extra="forbid")
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
    evidence: list[str] = Field(
        default_factory=list, description="识别依据（同一信访人、复访用语、同类别同地区、同一被反映对象与金额）"
    )


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
    evidence: list[str] = Field(
        default_factory=list, description="识别依据（同一信访人、复访用语、同类别同地区、同一被反映对象与金额）"
    )


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
    participants: int
    litigation: bool
    overdue: bool
    group_size: int
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


class MilestoneOut(_Out):
    id: int
    title: str
    due_date: str
    done_date: str | None
    done_at: str | None
    done_by: str | None
    note: str | None
    overdue: bool


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
    leader_id: int | None = None
    plan: str | None = None
    deadline: str | None = None
    status: str = Field(description="open / concluded / withdrawn")
    status_label: str
    ended_at: str | None = None
    overdue: bool = Field(description="未办结且已过包案期限")
    milestones: list[MilestoneOut]


class LeaderReportRowOut(_Out):
    leader_id: int | None
    leader: str
    post: str
    unit: str
    domains: list[str]
    packages_open: int
    packages_concluded: int
    packages_overdue: int
    cases: int
    cases_concluded: int
    concluded_in_period: int
    milestones_due: int
    milestones_done: int
    milestones_overdue: int
    conclusion_rate: float


class LeaderReportOut(BaseModel):
    date_from: dt.date
    date_to: dt.date
    definition: str
    rows: list[LeaderReportRowOut]


# -- 督查督办 ----------------------------------------------------------------------------------------------
class UnitRowOut(_Out):
    unit: str
    received: int
    resolved: int = Field(description="本期化解的案件数（截至期末，按状态记录日期）")
    due: int = Field(description="化解期限落在本期内的案件数（化解率的分母）")
    cohort_resolved: int = Field(description="其中截至期末已化解的件数（化解率的分子）")
    repeat_base: int = Field(description="再次信访率的分母：观察期内化解的案件数")
    repeats: int = Field(description="其中化解后窗口期内再次信访的件数")
    backlog: int
    change_resolution_rate: float | None
    change_repeat_rate: float | None
    lowest: bool
    ranked: bool = Field(description="案件数达到最低件数且单位已指定，参与排名")
    repeat_alert: bool = Field(description="再次信访率高于预警线")
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
    due: int
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
