"""The case lifecycle on the HTTP API: its state (stage, due date, allowed steps, transitions) and a move."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kb.workflow.lifecycle import MAX_APPROVER, MAX_REASON, MAX_TEXT


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AllowedStepOut(_Out):
    action: str
    label: str = Field(description="办理步骤（中文）")
    needs: list[str] = Field(description="须填写的字段：reason 理由、text 文书内容、approver 批准人")


class TransitionOut(_Out):
    action: str
    label: str
    from_stage: str | None
    from_stage_label: str | None
    to_stage: str
    to_stage_label: str
    actor: str = Field(description="操作账号")
    actor_unit: str | None = Field(description="操作账号所属单位")
    at: str = Field(description="记录时间（服务器时间，+08:00）")
    reason: str | None
    text: str | None = Field(description="文书内容（答复意见书等；按权限脱敏）")
    approver: str | None
    due_date_after: str | None = Field(description="此步之后的办理期限")
    request_until: str | None = Field(description="此步开启的复查/复核申请期限（最后一日）")


class LifecycleOut(_Out):
    case_id: int
    stage: str
    stage_label: str
    due_date: str | None = Field(description="当前阶段的办理期限")
    due_kind: str | None = Field(
        description="acceptance 受理期限 / handling 办理期限 / review 复查期限 / recheck 复核期限"
    )
    due_kind_label: str | None
    overdue: bool = Field(description="已超期")
    near_due: bool = Field(description="即将超期（期限在 LEIAN_NEAR_DUE_DAYS 天内）")
    extended: bool = Field(description="办理期限已延长")
    request_until: str | None = Field(description="信访人可提出复查/复核申请的最后一日")
    allowed: list[AllowedStepOut] = Field(description="当前可执行的办理步骤")
    transitions: list[TransitionOut] = Field(description="办理记录（谁、何时、理由）")


class LifecycleRequest(BaseModel):
    """One step; its time is the server's, never the client's."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(
        min_length=1,
        max_length=32,
        description="accept 受理 / reject 不予受理 / extend 延期 / reply 答复 / request_review 复查申请 / "
        "review_reply 复查意见 / request_recheck 复核申请 / recheck_reply 复核意见 / conclude 终结",
    )
    reason: str | None = Field(default=None, max_length=MAX_REASON, description="理由（延期、复查/复核申请必填）")
    text: str | None = Field(default=None, max_length=MAX_TEXT, description="文书内容（不予受理告知书、答复意见书等）")
    approver: str | None = Field(default=None, max_length=MAX_APPROVER, description="批准人（延期必填）")
    days: int | None = Field(default=None, ge=1, le=365, description="延期天数（默认且最多 LEIAN_EXTENSION_DAYS）")
