"""Inbox shapes: items, unread summary, marking read."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kb.workflow.inbox import MAX_KEY_LENGTH, MAX_KEYS


class InboxItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key: str
    kind: str = Field(description="sign（待签收）/ returned（交办被退回）/ near_due / overdue / 催办、督办等")
    kind_label: str
    case_id: int
    title: str = Field(description="案件标题（个人信息已脱敏）")
    unit: str | None
    created_at: str
    due: str | None
    read: bool
    detail: str


class InboxSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    unread: int
    total: int
    by_kind: dict[str, int] = Field(description="各类未读事项数")


class ReadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keys: list[Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH)]] = Field(
        min_length=1, max_length=MAX_KEYS
    )


class ReadOut(InboxSummaryOut):
    marked: int = Field(description="本次新标记为已读的事项数")
