"""催办 / 督办单 and 满意度评价 / 回访 on the HTTP API.

Response models read the services' dataclasses as they are (``from_attributes``), properties
included (``Order.status_label``, ``EvaluationState.review_hint``).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ---------------------------------------------------------------------------------------------
class ReminderRequest(_In):
    unit: str = Field(min_length=1, max_length=64, description="被催办单位（单位目录中的名称或简称）")
    text: str = Field(min_length=1, max_length=2000, description="催办内容")


class OrderRequest(_In):
    unit: str = Field(min_length=1, max_length=64, description="督办对象单位")
    requirement: str = Field(min_length=1, max_length=2000, description="督办要求")
    deadline: dt.date = Field(description="回复期限（须晚于今天）")


class ReplyRequest(_In):
    text: str = Field(min_length=1, max_length=4000, description="回复内容")


class EvaluationRequest(_In):
    rating: str = Field(
        min_length=1,
        max_length=32,
        description="满意度：satisfied 满意 / basically_satisfied 基本满意 / unsatisfied 不满意",
    )
    note: str | None = Field(default=None, max_length=2000, description="说明")


class FollowupRequest(_In):
    method: str = Field(min_length=1, max_length=16, description="回访方式：phone 电话 / visit 上门 / sms 短信")
    note: str | None = Field(default=None, max_length=2000, description="回访情况")


# -- 催办 / 督办单 -----------------------------------------------------------------------------------------
class ReminderOut(_Out):
    id: int
    case_id: int
    case: str = Field(description="案件登记编号与标题（脱敏）")
    unit: str = Field(description="被催办单位")
    text: str
    issued_by: str
    issued_by_unit: str | None = Field(description="催办单位（空为省级）")
    issued_at: str
    reply_text: str | None
    replied_by: str | None
    replied_at: str | None
    status: str = Field(description="pending 待回复 / replied 已回复")
    status_label: str


class OrderOut(_Out):
    id: int
    case_id: int
    case: str = Field(description="案件登记编号与标题（脱敏）")
    unit: str = Field(description="督办对象单位")
    requirement: str
    deadline: str
    issued_by: str
    issued_by_unit: str | None = Field(description="督办单位（空为省级）")
    issued_at: str
    reply_text: str | None
    replied_by: str | None
    replied_at: str | None
    status: str = Field(description="pending 待回复 / replied 已回复 / overdue 逾期未回复（按当日计算）")
    status_label: str
    overdue: bool
    replied_late: bool = Field(description="回复晚于期限")


# -- 满意度评价 / 回访 --------------------------------------------------------------------------------------
class ReplyRefOut(_Out):
    ref: str = Field(description="所评价的答复（阶段@时间）")
    at: str = Field(description="答复时间")
    stage: str = Field(description="答复后的阶段：replied / reviewed / rechecked")
    stage_label: str


class EvaluationOut(_Out):
    id: int
    case_id: int
    reply_ref: str
    reply_at: str
    rating: str
    rating_label: str
    note: str | None
    recorded_by: str
    recorded_at: str


class FollowupOut(_Out):
    id: int
    case_id: int
    method: str
    method_label: str
    note: str | None
    recorded_by: str
    recorded_at: str


class EvaluationStateOut(_Out):
    case_id: int
    reply: ReplyRefOut | None = Field(description="最近一次答复；未答复时为空")
    current: EvaluationOut | None = Field(description="最近一次答复的评价；未评价时为空")
    may_evaluate: bool = Field(description="最近一次答复尚未评价")
    review_hint: str | None = Field(description="不满意时的提示，如“信访人不满意，可申请复查”")
    evaluations: list[EvaluationOut]
    followups: list[FollowupOut]
