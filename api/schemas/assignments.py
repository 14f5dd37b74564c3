"""Dual assignment v2 shapes: assignments with their 签收 / 退回 / 答复, handlers, history, queues, workload.

Response models read ``kb.workflow.assignment_service`` dataclasses as they are (``from_attributes``),
properties included (``status_label``, ``kind_label``, ``action_label``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ---------------------------------------------------------------------------------------------
class AssignRequest(_In):
    locality: str | None = Field(default=None, max_length=32, description="属地（地市或区县）")
    departments: list[str] = Field(default_factory=list, max_length=20, description="行业部门")
    lead: str | None = Field(default=None, max_length=64, description="主责单位（多个部门时必填）")
    note: str | None = Field(default=None, max_length=500)


class ReturnRequest(_In):
    reason: str = Field(max_length=1000, description="退回理由（必填）")


class AnswerRequest(_In):
    text: str = Field(max_length=5000, description="属地：化解情况；行业部门：指导意见")
    resolved: bool | None = Field(default=None, description="属地答复必填：是否已化解；行业部门不填")


class HandlerRequest(_In):
    username: str = Field(min_length=1, max_length=64, description="接手的经办人（须为本单位账号）")
    unit: str | None = Field(default=None, max_length=64, description="经办单位（默认本账号所属单位）")


# -- responses --------------------------------------------------------------------------------------------
class AssignmentOut(_Out):
    id: int
    case_id: int
    kind: str = Field(description="locality（属地）/ department（行业部门）")
    kind_label: str
    unit: str
    lead: bool
    active: bool
    note: str | None
    assigned_by: str
    assigned_at: str
    assigned_by_unit: str | None = Field(description="交办单位；为空表示省级")
    ended_by: str | None
    ended_at: str | None
    end_reason: str | None = Field(
        default=None, description="结束原因：重新交办，或案件已终结 / 已化解时关闭待签收交办"
    )
    status: str = Field(description="pending_sign（待签收）/ signed（已签收）/ returned（已退回）")
    status_label: str
    sign_due: str | None = Field(description="签收期限（日期）")
    signed_by: str | None
    signed_at: str | None
    returned_by: str | None
    returned_at: str | None
    return_reason: str | None
    outcome_text: str | None = Field(description="属地的化解情况")
    resolved: bool | None = Field(description="属地答复：是否已化解")
    guidance: str | None = Field(description="行业部门的指导意见")
    answered_by: str | None
    answered_at: str | None
    handler: str | None = Field(description="本单位经办人")


class HandlerOut(_Out):
    case_id: int
    unit: str
    username: str
    since: str
    by: str


class HandlingEventOut(_Out):
    id: int
    case_id: int
    assignment_id: int | None
    unit: str | None
    action: str = Field(description="assigned / ended / lead / signed / returned / answered / handler")
    action_label: str
    detail: str | None
    actor: str
    actor_unit: str | None
    at: str


class QueueItemOut(_Out):
    case_id: int
    external_no: str
    title: str = Field(description="标题（个人信息已脱敏）")
    city: str | None
    department: str | None
    status: str
    stage: str = Field(description="办理阶段（见案件生命周期）")
    unit: str
    kind: str = Field(description="sign（待签收的交办）/ case（本人经办的案件）")
    assignment_id: int | None
    deadline: str | None
    deadline_label: str
    overdue: bool
    near_due: bool


class QueueOut(_Out):
    pending_sign: list[QueueItemOut] = Field(description="待签收")
    todo: list[QueueItemOut] = Field(description="待办（本人经办、未办结）")
    near_due: list[QueueItemOut] = Field(description="即将超期")
    overdue: list[QueueItemOut] = Field(description="已超期")
    counts: dict[str, int]


class UnitLoadOut(_Out):
    unit: str
    kind: str
    kind_label: str
    active: int = Field(description="现行交办数")
    pending_sign: int
    signed: int
    returned: int
    answered: int
    sign_overdue: int = Field(description="超期未签收")
    open_cases: int = Field(description="未办结案件")
    overdue: int = Field(description="已超期未办结")


class UserLoadOut(_Out):
    username: str
    unit: str
    open_cases: int
    overdue: int
    near_due: int


class WorkloadOut(_Out):
    by: str = Field(description="unit（按单位）/ user（按经办人）")
    units: list[UnitLoadOut]
    users: list[UserLoadOut]
