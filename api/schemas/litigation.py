"""诉访分离 hand-over on the HTTP API (``/api/litigation``): requests are checked here, answers are the
service's dictionaries (kb/zhengfa/service.py) as they are."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReferRequest(_In):
    unit: str = Field(min_length=1, max_length=64, description="接收的政法单位（法院、检察院、公安、司法；名称或简称）")
    note: str | None = Field(default=None, max_length=4000, description="移交说明")
    feedback_days: int | None = Field(default=None, ge=1, le=365, description="反馈期限（天，默认 30）")


class HandoverRequest(ReferRequest):
    """并案: a case group's litigation-related members, or the listed cases, in one hand-over."""

    group_id: int | None = Field(default=None, description="类案组编号（涉众群体）")
    case_ids: list[int] | None = Field(default=None, max_length=500, description="案件编号")


class StepRequest(_In):
    action: str = Field(description="check 核查 / correct 纠错 / resolve 化解 / return 退回 / conclude 依法终结")
    text: str = Field(default="", max_length=4000, description="核查情况、纠错内容、化解情况、退回理由或终结意见")


class ChecklistItem(_In):
    item: str = Field(description="reasonable / unreasonable / hardship / illegal")
    applies: bool = True
    done: bool = False
    note: str | None = Field(default=None, max_length=4000)


class ChecklistRequest(_In):
    items: list[ChecklistItem] = Field(min_length=1, max_length=4)


class AidRequest(_In):
    applicant: str = Field(min_length=1, max_length=64, description="申请人")
    amount: float = Field(gt=0, description="申请金额（元）")
    reason: str | None = Field(default=None, max_length=4000)


class AidDecision(_In):
    decision: str = Field(description="granted 予以救助 / partly 部分救助 / refused 不予救助")
    amount: float | None = Field(default=None, gt=0, description="决定金额（元）；部分救助必填")
    note: str | None = Field(default=None, max_length=4000)


# -- answers ----------------------------------------------------------------------------------------------
class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ZhengfaUnitOut(_Out):
    name: str
    city: str | None
    type: str | None = Field(description="court / procuratorate / police / justice")
    type_label: str


class AllowedStepOut(_Out):
    action: str
    label: str
    needs: str


class StepOut(_Out):
    action: str
    label: str
    from_status: str | None
    to_status: str
    to_status_label: str
    text: str | None
    actor: str
    actor_unit: str | None
    at: str


class ReferralOut(_Out):
    id: int
    handover_id: int
    case_id: int
    external_no: str
    title: str
    city: str | None
    unit: str
    unit_type: str | None
    unit_type_label: str
    supervisor: str
    group_id: int | None
    status: str
    status_label: str
    open: bool
    feedback_due: str
    answered_at: str | None
    overdue: bool
    overdue_days: int
    referred_by: str
    referred_by_unit: str | None
    referred_at: str
    note: str | None
    can_act: bool = Field(description="当前账号是接收单位且移交未结束")
    allowed: list[AllowedStepOut]
    steps: list[StepOut]


class HandoverOut(_Out):
    id: int
    unit: str
    supervisor: str
    group_id: int | None
    note: str | None
    feedback_due: str
    created_by: str
    created_by_unit: str | None
    created_at: str
    case_ids: list[int]
    referrals: list[ReferralOut]


class ChecklistOut(_Out):
    item: str
    label: str
    applies: bool | None
    done: bool
    note: str | None
    actor: str | None
    actor_unit: str | None
    at: str | None


class AidOut(_Out):
    id: int
    referral_id: int
    applicant: str | None
    amount: float
    reason: str | None
    requested_by: str
    requested_by_unit: str | None
    requested_at: str
    decision: str | None
    decision_label: str
    decided_amount: float | None
    decision_note: str | None
    decided_by: str | None
    decided_at: str | None


class DossierOut(_Out):
    case_id: int
    external_no: str
    title: str
    city: str | None
    stage: str
    status: str
    track_status: str | None
    track_status_label: str
    may_refer: bool
    current: ReferralOut | None
    referrals: list[ReferralOut]
    checklist: list[ChecklistOut]
    checklist_gaps: list[str]
    judicial_aid: list[AidOut]
