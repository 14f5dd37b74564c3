"""Case records: the input shape (validated), the update shape, the stored record and filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Status(StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    resolved = "resolved"
    unresolved = "unresolved"
    closed = "closed"


STATUS_LABELS = {
    Status.pending: "待办",
    Status.in_progress: "办理中",
    Status.resolved: "已化解",
    Status.unresolved: "未化解",
    Status.closed: "已办结",
}
# Chinese labels are accepted on input too, as registry exports use them.
STATUS_ALIASES = {label: status.value for status, label in STATUS_LABELS.items()}
CHANNELS = ("来信", "来访", "网上", "热线")
MAX_TITLE = 200
MAX_CONTENT = 20000
EARLIEST_DATE, LATEST_DATE = dt.date(1949, 10, 1), dt.date(2099, 12, 31)


# C0 control characters except tab and newline: deleted by ``str.translate``.
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")


def _strip_control(value: str) -> str:
    return value.translate(_CONTROL).strip()


class CaseIn(BaseModel):
    """A petition as it arrives (API body or one import row)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_no: str = Field(min_length=1, max_length=64, description="登记编号（唯一）")
    title: str = Field(default="", max_length=MAX_TITLE)
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    received_date: dt.date
    channel: str | None = None
    city: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=32)
    department: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    status: Status = Status.pending
    resolution_note: str | None = Field(default=None, max_length=MAX_CONTENT)
    resolved_date: dt.date | None = None
    litigation: bool = False
    petitioner_name: str | None = Field(default=None, max_length=64)
    petitioner_id: str | None = Field(default=None, max_length=32, description="身份证号，仅用于生成匿名键")
    petitioner_phone: str | None = Field(default=None, max_length=32, description="电话，仅用于生成匿名键")
    participants: int = Field(default=1, ge=1, le=100000)

    @field_validator(
        "external_no",
        "title",
        "content",
        "resolution_note",
        "city",
        "district",
        "department",
        "category",
        "petitioner_name",
        mode="before",
    )
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return _strip_control(value) if isinstance(value, str) else value

    @field_validator("status", mode="before")
    @classmethod
    def _status_alias(cls, value: Any) -> Any:
        return STATUS_ALIASES.get(value, value) if isinstance(value, str) else value

    @field_validator("litigation", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        return {"是": True, "否": False}.get(value.strip(), value) if isinstance(value, str) else value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and value not in CHANNELS:
            raise ValueError(f"渠道应为 {'/'.join(CHANNELS)} 之一")
        return value

    @field_validator("content")
    @classmethod
    def _content_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("内容不能为空")
        return value

    @field_validator("received_date", "resolved_date")
    @classmethod
    def _plausible_date(cls, value: dt.date | None) -> dt.date | None:
        # Date arithmetic downstream (repeat windows, weekly reports) must never overflow.
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValueError(f"日期应在 {EARLIEST_DATE} 至 {LATEST_DATE} 之间")
        return value

    @model_validator(mode="after")
    def _dates(self) -> CaseIn:
        if self.resolved_date and self.resolved_date < self.received_date:
            raise ValueError("办结日期不能早于受理日期")
        return self


class CaseUpdate(BaseModel):
    """A partial update; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, max_length=MAX_TITLE)
    content: str | None = Field(default=None, min_length=1, max_length=MAX_CONTENT)
    received_date: dt.date | None = None
    channel: str | None = None
    city: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=32)
    department: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    status: Status | None = None
    resolution_note: str | None = Field(default=None, max_length=MAX_CONTENT)
    resolved_date: dt.date | None = None
    litigation: bool | None = None
    participants: int | None = Field(default=None, ge=1, le=100000)

    _status_alias = field_validator("status", mode="before")(CaseIn._status_alias.__func__)  # type: ignore[attr-defined]
    _channel = field_validator("channel")(CaseIn._channel.__func__)  # type: ignore[attr-defined]


@dataclass
class Case:
    """A stored petition; ``petitioner_key`` is the keyed hash, never the raw identity."""

    id: int
    external_no: str
    title: str
    content: str
    received_date: str
    channel: str | None
    city: str | None
    district: str | None
    department: str | None
    category: str | None
    status: str
    resolution_note: str | None
    resolved_date: str | None
    litigation: bool
    petitioner_key: str | None
    petitioner_name: str | None
    participants: int
    created_at: str
    updated_at: str

    @property
    def text(self) -> str:
        """What gets segmented and embedded."""
        return f"{self.title}。{self.content}" if self.title else self.content


@dataclass
class SearchFilters:
    cities: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    litigation: bool | None = None

    def is_empty(self) -> bool:
        return not (
            self.cities
            or self.departments
            or self.categories
            or self.statuses
            or self.channels
            or self.date_from
            or self.date_to
            or self.litigation is not None
        )


@dataclass
class SearchHit:
    case: Case
    score: float
    dense_score: float | None
    lexical_score: float | None
    matched_terms: list[str]
    reasons: list[str]
