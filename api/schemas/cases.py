"""Cases on the HTTP API: the case record (masked unless revealed), filters, search, import results."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kb.domain import STATUS_LABELS, Case, SearchFilters, SearchHit, Status
from kb.privacy import mask_name, mask_names, mask_text


class CaseOut(BaseModel):
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
    status_label: str
    resolution_note: str | None
    resolved_date: str | None
    litigation: bool
    petitioner_name: str | None = Field(description="信访人姓名（按权限脱敏）")
    petitioner_ref: str | None = Field(description="信访人匿名键前缀，用于识别同一信访人")
    participants: int
    created_at: str
    updated_at: str

    @classmethod
    def from_case(cls, case: Case, reveal: bool = False) -> CaseOut:
        names = [case.petitioner_name]

        def show(text: str | None) -> str | None:
            return text if reveal or not text else mask_names(mask_text(text), names)

        return cls(
            id=case.id,
            external_no=case.external_no,
            title=show(case.title) or "",
            content=show(case.content) or "",
            received_date=case.received_date,
            channel=case.channel,
            city=case.city,
            district=case.district,
            department=case.department,
            category=case.category,
            status=case.status,
            status_label=STATUS_LABELS.get(Status(case.status), case.status),
            resolution_note=show(case.resolution_note),
            resolved_date=case.resolved_date,
            litigation=case.litigation,
            petitioner_name=case.petitioner_name if reveal else mask_name(case.petitioner_name),
            petitioner_ref=case.petitioner_key[:8] if case.petitioner_key else None,
            participants=case.participants,
            created_at=case.created_at,
            updated_at=case.updated_at,
        )


class CasePage(BaseModel):
    total: int
    items: list[CaseOut]


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: list[str] = Field(default_factory=list, max_length=50)
    department: list[str] = Field(default_factory=list, max_length=50)
    category: list[str] = Field(default_factory=list, max_length=50)
    status: list[Status] = Field(default_factory=list, max_length=10)
    channel: list[str] = Field(default_factory=list, max_length=10)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    litigation: bool | None = None

    def to_domain(self) -> SearchFilters:
        return SearchFilters(
            cities=self.city,
            departments=self.department,
            categories=self.category,
            statuses=[s.value for s in self.status],
            channels=self.channel,
            date_from=self.date_from,
            date_to=self.date_to,
            litigation=self.litigation,
        )


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=20000, description="检索文本（与 case_id 二选一）")
    case_id: int | None = Field(default=None, ge=1, description="以已有案件检索相似案件（排除自身）")
    filters: FiltersIn = Field(default_factory=FiltersIn)
    k: int = Field(default=10, ge=1, le=200)
    mode: str = Field(default="hybrid", pattern="^(hybrid|dense|lexical)$")

    @model_validator(mode="after")
    def _one_query(self) -> SearchRequest:
        if (self.text is None) == (self.case_id is None):
            raise ValueError("请提供 text 或 case_id 之一")
        if self.text is not None and not self.text.strip():
            raise ValueError("检索文本不能为空")
        return self


class SearchHitOut(BaseModel):
    case: CaseOut
    score: float
    dense_score: float | None
    lexical_score: float | None
    matched_terms: list[str]
    reasons: list[str]
    flags: list[str] = Field(default_factory=list, description="工作流提示：重复信访（第 n 次）、疑似联名、涉法涉诉")

    @classmethod
    def from_hit(cls, hit: SearchHit, reveal: bool = False) -> SearchHitOut:
        return cls(
            case=CaseOut.from_case(hit.case, reveal),
            score=round(hit.score, 6),
            dense_score=None if hit.dense_score is None else round(hit.dense_score, 4),
            lexical_score=None if hit.lexical_score is None else round(hit.lexical_score, 4),
            matched_terms=hit.matched_terms,
            reasons=hit.reasons,
        )


class SearchResponse(BaseModel):
    query_terms: list[str]
    hits: list[SearchHitOut]


class ImportResult(BaseModel):
    created: int
    updated: int
    reembedded: int
    total: int
