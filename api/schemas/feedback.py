"""Relevance marks on search hits and model cases (issue 19): POST /api/feedback and its summary."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: Literal["case", "modelcase"] = Field(description="case（类案检索结果）或 modelcase（典型案例）")
    query_text: str | None = Field(
        default=None, min_length=1, max_length=20000, description="得到该结果的检索内容（与 query_case_id 二选一）"
    )
    query_case_id: int | None = Field(default=None, ge=1, description="按案件检索时，检索所用的案件编号")
    item_id: int = Field(ge=1, description="案件编号或典型案例编号")
    relevant: bool = Field(description="是否相关")


class FeedbackOut(BaseModel):
    id: int
    created_at: str
    target: str
    item_id: int
    relevant: bool


class MarkSummary(BaseModel):
    marks: int = Field(description="标注条数")
    relevant: int = Field(description="标为相关的条数")
    precision: float | None = Field(description="已标注结果的精确率 = 标为相关的条数 ÷ 标注条数；无标注时为空")


class FeedbackSummary(BaseModel):
    case: MarkSummary = Field(description="类案检索结果")
    modelcase: MarkSummary = Field(description="典型案例（操作指引）")
