"""Background jobs (kb/jobs): what a job is asked to do, and how far it got."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["discover", "reindex", "report"] = Field(
        description="discover（类案发现）、reindex（重建索引）或 report（周滚动督查报表）；导入用 POST /api/jobs/import"
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="discover: {mode}; reindex: {re_encode}; report: {group_by, week_end, city, weeks}",
    )


class JobOut(BaseModel):
    id: int
    kind: str
    kind_label: str = Field(description="任务类型（中文）")
    params: dict[str, Any]
    status: str = Field(description="queued、running、succeeded、failed、cancelled、interrupted")
    status_label: str
    progress_done: int
    progress_total: int | None
    progress: float | None = Field(description="进度 = 已处理件数 ÷ 总件数；总数未知时为空")
    message: str
    result: Any = Field(description="任务完成后的结果（与对应的同步接口相同）")
    error: str | None
    cancel_requested: bool
    cancellable: bool
    created_by: str
    created_at: str
    started_at: str | None
    finished_at: str | None
