"""Request and response shapes of the model-case API (free text is masked unless revealed)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kb.modelcases.domain import MC_STATUS_LABELS, Basis, FieldDiff, GuidanceHit, MCStatus, ModelCase
from kb.modelcases.service import HistoryEvent, VersionInfo
from kb.privacy import mask_text


class GuidanceSections(BaseModel):
    """The standard operating guidance of one model case."""

    approach: str = Field(description="化解思路")
    steps: list[str] = Field(description="操作步骤")
    basis: list[Basis] = Field(description="政策法规依据")
    cautions: list[str] = Field(description="注意事项")
    outcome: str = Field(description="化解结果")


class ModelCaseOut(BaseModel):
    id: int
    code: str
    title: str
    summary: str
    category: str | None
    domain: str | None
    lead_department: str | None
    locality: str | None
    authority: str
    tags: list[str]
    author: str | None
    reviewer: str | None
    source_case_ids: list[int]
    group_ids: list[str]
    guidance: GuidanceSections
    status: str
    status_label: str
    version: int
    current_version: int
    published_version: int | None
    unpublished_changes: bool
    created_at: str
    updated_at: str
    published_at: str | None
    published_by: str | None

    @classmethod
    def from_mc(cls, mc: ModelCase, reveal: bool = False) -> ModelCaseOut:
        show = (lambda s: s) if reveal else mask_text
        d = mc.data
        return cls(
            id=mc.id,
            code=mc.code,
            title=show(d.title),
            summary=show(d.summary),
            category=d.category,
            domain=d.domain,
            lead_department=d.lead_department,
            locality=d.locality,
            authority=d.authority.value,
            tags=d.tags,
            author=d.author,
            reviewer=d.reviewer or mc.published_by,
            source_case_ids=d.source_case_ids,
            group_ids=d.group_ids,
            guidance=GuidanceSections(
                approach=show(d.approach),
                steps=[show(s) for s in d.steps],
                basis=d.basis,
                cautions=d.cautions,
                outcome=show(d.outcome),
            ),
            status=mc.status,
            status_label=MC_STATUS_LABELS.get(MCStatus(mc.status), mc.status),
            version=mc.version,
            current_version=mc.current_version,
            published_version=mc.published_version,
            unpublished_changes=mc.unpublished_changes,
            created_at=mc.created_at,
            updated_at=mc.updated_at,
            published_at=mc.published_at,
            published_by=mc.published_by,
        )


class ModelCasePage(BaseModel):
    total: int
    items: list[ModelCaseOut]


class HistoryOut(BaseModel):
    versions: list[VersionInfo]
    events: list[HistoryEvent]


class DiffOut(BaseModel):
    from_version: int
    to_version: int
    fields: list[FieldDiff]


class PromoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: int | None = Field(default=None, ge=1, description="已化解的案件")
    group_id: str | None = Field(default=None, max_length=32, description="已作出批量处理决定的类案组")

    @model_validator(mode="after")
    def _one(self) -> PromoteRequest:
        if (self.case_id is None) == (self.group_id is None):
            raise ValueError("请提供 case_id 或 group_id 之一")
        return self


class GuidanceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=20000, description="简要描述或完整来信")
    case_id: int | None = Field(default=None, ge=1)
    group_id: str | None = Field(default=None, max_length=32)
    k: int = Field(default=5, ge=1, le=50)
    mode: str = Field(default="hybrid", pattern="^(hybrid|dense|lexical)$")

    @model_validator(mode="after")
    def _one(self) -> GuidanceRequest:
        given = [x for x in (self.text, self.case_id, self.group_id) if x is not None]
        if len(given) != 1:
            raise ValueError("请提供 text、case_id 或 group_id 之一")
        if self.text is not None and not self.text.strip():
            raise ValueError("检索文本不能为空")
        return self


class GuidanceHitOut(BaseModel):
    model_case: ModelCaseOut
    score: float
    dense_score: float | None
    lexical_score: float | None
    matched_terms: list[str]
    reasons: list[str]
    low_relevance: bool = Field(default=False, description="低于相关度下限：显示为“相关度较低”，排在其他结果之后")
    my_mark: bool | None = Field(
        default=None, description="当前用户在同一检索下对该典型案例的标注：true 相关、false 不相关、空为未标注"
    )

    @classmethod
    def from_hit(cls, hit: GuidanceHit, reveal: bool = False) -> GuidanceHitOut:
        return cls(
            model_case=ModelCaseOut.from_mc(hit.model_case, reveal),
            score=round(hit.score, 6),
            dense_score=None if hit.dense_score is None else round(hit.dense_score, 4),
            lexical_score=None if hit.lexical_score is None else round(hit.lexical_score, 4),
            matched_terms=hit.matched_terms,
            reasons=hit.reasons,
            low_relevance=hit.low_relevance,
        )


class GuidanceResponse(BaseModel):
    query_terms: list[str]
    category: str | None = Field(description="用于加权的问题类别（案件自带或据相似案件推断）")
    hits: list[GuidanceHitOut]


class LibraryImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    published: int
    total: int
