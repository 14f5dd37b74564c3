"""Cases on the HTTP API: the case record (masked unless revealed), filters, search, import results."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from kb.domain import STATUS_LABELS, Case, SearchFilters, SearchHit, Status
from kb.fields import DEADLINES, CaseField, field, filter_fields, filters_from_params, stored_fields
from kb.privacy import mask_name, mask_personal


class CaseOutCore(BaseModel):
    """A stored case as the API shows it; personal data masked unless revealed."""

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
    petitioner_name: str | None = Field(description=field("petitioner_name").describe())
    petitioner_ref: str | None = Field(description="信访人匿名键前缀，用于识别同一信访人")
    participants: int
    created_at: str
    updated_at: str
    stage: str = Field(description="办理阶段（登记、受理、已答复、复查中……终结）")
    stage_label: str
    due_date: str | None = Field(description="当前阶段的办理期限（受理、办理、复查或复核期限）；无待办事项时为空")
    overdue: bool = Field(description="已超过办理期限")

    @classmethod
    def from_case(cls, case: Case, reveal: bool = False) -> CaseOut:
        names = [case.petitioner_name]

        def show(f: CaseField, value: Any) -> Any:
            # Free text loses identity numbers, phones and the petitioner's name; a name its given name.
            if reveal or not value or f.mask == "none":
                return value
            return mask_name(value) if f.mask == "name" else mask_personal(value, names)

        stored = case.values()
        data = {f.name: show(f, stored[f.name]) for f in stored_fields()}
        data["title"] = data["title"] or ""
        data["content"] = data["content"] or ""
        return cls(
            **data,
            id=case.id,
            status_label=STATUS_LABELS.get(Status(case.status), case.status),
            stage_label=case.stage_label,
            overdue=case.overdue,
            petitioner_ref=case.petitioner_key[:8] if case.petitioner_key else None,
            created_at=case.created_at,
            updated_at=case.updated_at,
        )


def _case_out(base: type[CaseOutCore]) -> type[CaseOutCore]:
    """``base`` plus every stored row of the field table it does not spell out."""
    rows = [f for f in stored_fields() if f.name not in base.model_fields]
    extra: dict[str, Any] = {f.name: (f.annotation(True), Field(description=f.describe())) for f in rows}
    return create_model("CaseOut", __base__=base, __module__=__name__, __doc__=base.__doc__, **extra)


class FiltersBase(BaseModel):
    """Search filters: one entry per filterable row of the field table (see ``filter_definitions``).

    A multi-value filter given as one plain string (``"city": "广州市"``) is read as a one-element
    list, as the query string's single ``?city=广州市`` is; an inverted date range is refused by
    ``to_domain`` (``kb.fields.filters_from_params``) naming both parameters.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _single_values(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        multi = {f.params[0] for f in filter_fields() if f.filter == "multi"}
        return {k: [v] if k in multi and isinstance(v, str) else v for k, v in data.items()}

    def to_domain(self) -> SearchFilters:
        return SearchFilters(by_field=filters_from_params(self.model_dump()))


def filter_definitions() -> dict[str, tuple[Any, Any]]:
    """Door parameter -> (annotation, pydantic ``Field``) for every filter of the field table.

    Shared by the search body and the query parameters of ``GET /api/cases`` so both doors
    accept the same filters with the same limits.
    """
    out: dict[str, tuple[Any, Any]] = {}
    for f in filter_fields():
        if f.filter == "multi":
            out[f.params[0]] = (
                list[f.filter_item],  # type: ignore[name-defined]
                Field(default_factory=list, max_length=f.filter_max, description=f"{f.label}（可多选）"),
            )
        elif f.filter == "date_range":
            low, high = f.params
            out[low] = (dt.date | None, Field(default=None, description=f"{f.label}起"))
            out[high] = (dt.date | None, Field(default=None, description=f"{f.label}止"))
        elif f.filter == "boolean":
            out[f.params[0]] = (bool | None, Field(default=None, description=f"{f.label}：是/否"))
        elif f.filter == "deadline":
            words = "、".join(f"{k} {v}" for k, v in DEADLINES.items())
            out[f.params[0]] = (
                Literal[tuple(DEADLINES)] | None,
                Field(default=None, description=f"{f.label}：{words}"),
            )
    return out


if TYPE_CHECKING:
    CaseOut = CaseOutCore
    FiltersIn = FiltersBase
else:
    CaseOut = _case_out(CaseOutCore)
    FiltersIn = create_model("FiltersIn", __base__=FiltersBase, __module__=__name__, **filter_definitions())


class CasePage(BaseModel):
    total: int
    items: list[CaseOut]


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
    low_relevance: bool = Field(
        default=False, description="低于相关度下限（无共同的实义关键词且语义相似度低）：显示为“相关度较低”"
    )
    my_mark: bool | None = Field(
        default=None, description="当前用户在同一检索下对该结果的标注：true 相关、false 不相关、空为未标注"
    )

    @classmethod
    def from_hit(cls, hit: SearchHit, reveal: bool = False) -> SearchHitOut:
        return cls(
            case=CaseOut.from_case(hit.case, reveal),
            score=round(hit.score, 6),
            dense_score=None if hit.dense_score is None else round(hit.dense_score, 4),
            lexical_score=None if hit.lexical_score is None else round(hit.lexical_score, 4),
            matched_terms=hit.matched_terms,
            reasons=hit.reasons,
            low_relevance=hit.low_relevance,
        )


class SearchResponse(BaseModel):
    query_terms: list[str]
    hits: list[SearchHitOut]


class ImportResult(BaseModel):
    created: int = Field(description="新增案件数")
    updated: int = Field(description="内容有变化而更新的已有案件数")
    reembedded: int = Field(description="更新的案件中文本有变、重新编码的件数（新增案件不计入）")
    unchanged: int = Field(description="与已存储内容完全相同、未写入的行数")
    total: int = Field(description="文件中的数据行数")
    ignored_columns: list[str] = Field(description="未读取的列（字段表以外，如 序号、备注），按文件中的写法")
    message: str = Field(description="中文摘要，如“新增 3 件，更新 0 件，未变化 2 件，共 5 行；已忽略列：序号”")


class ImportProgressOut(BaseModel):
    stage: str = Field(description="阶段：读取并校验、编码、写入数据库、检测重复信访并归入类案组、完成，或失败")
    done: int = Field(description="已编码（或确认未变化）的行数")
    total: int = Field(description="文件中的数据行数")
    share: float = Field(description="完成比例 = done / total")
    elapsed_seconds: float = Field(description="已用时间（秒）")
    eta_seconds: float | None = Field(
        description="预计剩余时间（秒）= 已用时间 × (1 − 完成比例) / 完成比例；尚无进度时为空"
    )
    finished: bool = Field(description="导入是否已结束（成功或失败）")


class ImportColumn(BaseModel):
    name: str = Field(description="字段名")
    header: str = Field(description="模板中的中文表头")
    aliases: list[str] = Field(description="也接受的表头写法")
    required: bool
    accepts: str = Field(description="填写说明（取值、日期写法、长度）")


class ImportFormatOption(BaseModel):
    format: str
    description: str


class ImportFormat(BaseModel):
    """What an import accepts (the import page shows it): formats, headers, dates, extra columns."""

    formats: list[ImportFormatOption]
    compression: str
    columns: list[ImportColumn]
    date_formats: list[str]
    date_note: str
    extra_columns: str
    all_or_nothing: str
    idempotent: str
    template: str = Field(description="模板文件名（GET /api/cases/import/template 下载）")
