"""Model cases (典型案例) with their guidance: the input/update shapes, the stored record, look-up hits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kb.errors import FieldProblem
from kb.fields import strip_control

MAX_SHORT = 200
MAX_LONG = 20000
# A code names files (``<code>.md``) and zip entries: letters, digits, CJK, ``_ . -``; no path parts.
CODE_PATTERN = re.compile(r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]{0,63}")


def check_code(value: str) -> str:
    """The code as given, or ValueError (Chinese, naming the field) for anything path-like."""
    if not CODE_PATTERN.fullmatch(value) or ".." in value:
        raise ValueError("编号只能由字母、数字、汉字和 _ . - 组成（不超过 64 个字符，不能含 .. 或路径分隔符）")
    return value


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


class Authority(StrEnum):
    guiding = "指导性"
    typical = "典型"
    reference = "参考"


class MCStatus(StrEnum):
    draft = "draft"
    published = "published"
    retired = "retired"


MC_STATUS_LABELS = {MCStatus.draft: "草稿", MCStatus.published: "已发布", MCStatus.retired: "已停用"}

# Field labels, in display order: used by the diff, Markdown and XLSX.
FIELD_LABELS: dict[str, str] = {
    "code": "编号",
    "title": "标题",
    "summary": "案情摘要",
    "category": "问题类别",
    "domain": "领域",
    "lead_department": "牵头部门",
    "locality": "属地",
    "approach": "化解思路",
    "steps": "操作步骤",
    "basis": "政策法规依据",
    "cautions": "注意事项",
    "outcome": "化解结果",
    "authority": "权威等级",
    "tags": "标签",
    "author": "撰写人",
    "reviewer": "审核人",
    "source_case_ids": "来源案件",
    "group_ids": "关联类案组",
}


class Basis(BaseModel):
    """One policy or legal basis: the document or article, and the point it supports."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=MAX_SHORT)
    point: str = Field(default="", max_length=2000)


class ModelCaseIn(BaseModel):
    """A model case as written or imported; a draft may be incomplete (see ``publish_problems``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str | None = Field(default=None, min_length=1, max_length=64, description="编号（唯一，缺省时自动生成）")
    title: str = Field(min_length=1, max_length=MAX_SHORT)
    summary: str = Field(default="", max_length=MAX_LONG, description="案情摘要")
    category: str | None = Field(default=None, max_length=64)
    domain: str | None = Field(default=None, max_length=64)
    lead_department: str | None = Field(default=None, max_length=64)
    locality: str | None = Field(default=None, max_length=64)
    approach: str = Field(default="", max_length=MAX_LONG, description="化解思路")
    steps: list[str] = Field(default_factory=list, max_length=50)
    basis: list[Basis] = Field(default_factory=list, max_length=50)
    cautions: list[str] = Field(default_factory=list, max_length=50)
    outcome: str = Field(default="", max_length=MAX_LONG)
    authority: Authority = Authority.reference
    tags: list[str] = Field(default_factory=list, max_length=30)
    author: str | None = Field(default=None, max_length=64)
    reviewer: str | None = Field(default=None, max_length=64)
    source_case_ids: list[int] = Field(default_factory=list, max_length=500)
    group_ids: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("title", "summary", "approach", "outcome", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return strip_control(value) if isinstance(value, str) else value

    @field_validator("code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return None if value is None else check_code(value)

    @field_validator("steps", "cautions", "tags", mode="before")
    @classmethod
    def _clean_items(cls, value: Any) -> Any:
        if isinstance(value, str):  # one item per line, as typed in a spreadsheet cell
            value = value.splitlines()
        if isinstance(value, list):
            return [strip_control(v) if isinstance(v, str) else v for v in value if not _blank(v)]
        return value

    @field_validator("group_ids", mode="before")
    @classmethod
    def _group_ids(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value

    def publish_problems(self) -> list[FieldProblem]:
        """What a reviewer must fill in before this can be served to handlers."""
        problems = []
        if not self.summary:
            problems.append(FieldProblem("summary", "发布前须填写案情摘要"))
        if not self.approach:
            problems.append(FieldProblem("approach", "发布前须填写化解思路"))
        if not self.steps:
            problems.append(FieldProblem("steps", "发布前须至少填写一个操作步骤"))
        if not self.category:
            problems.append(FieldProblem("category", "发布前须填写问题类别"))
        return problems


class ModelCaseUpdate(BaseModel):
    """A partial edit; absent fields stay. Every accepted edit becomes a new version."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=1, max_length=MAX_SHORT)
    summary: str | None = Field(default=None, max_length=MAX_LONG)
    category: str | None = Field(default=None, max_length=64)
    domain: str | None = Field(default=None, max_length=64)
    lead_department: str | None = Field(default=None, max_length=64)
    locality: str | None = Field(default=None, max_length=64)
    approach: str | None = Field(default=None, max_length=MAX_LONG)
    steps: list[str] | None = Field(default=None, max_length=50)
    basis: list[Basis] | None = Field(default=None, max_length=50)
    cautions: list[str] | None = Field(default=None, max_length=50)
    outcome: str | None = Field(default=None, max_length=MAX_LONG)
    authority: Authority | None = None
    tags: list[str] | None = Field(default=None, max_length=30)
    author: str | None = Field(default=None, max_length=64)
    reviewer: str | None = Field(default=None, max_length=64)
    source_case_ids: list[int] | None = Field(default=None, max_length=500)
    group_ids: list[str] | None = Field(default=None, max_length=50)
    note: str = Field(default="", max_length=500, description="修改说明")

    _group_ids = field_validator("group_ids", mode="before")(ModelCaseIn._group_ids.__func__)  # type: ignore[attr-defined]


@dataclass
class ModelCase:
    """One version of a stored model case, plus the record's lifecycle state."""

    id: int
    code: str
    status: str
    version: int
    current_version: int
    published_version: int | None
    data: ModelCaseIn
    created_at: str
    updated_at: str
    published_at: str | None
    published_by: str | None

    @property
    def unpublished_changes(self) -> bool:
        return self.published_version is not None and self.current_version > self.published_version

    @property
    def dense_text(self) -> str:
        """Embedded text: the same shape as a case's text, so a promoted case's vector is reused."""
        d = self.data
        return f"{d.title}。{d.summary}" if d.summary else d.title

    @property
    def index_text(self) -> str:
        """The case side of a model case: what a petition is matched against."""
        d = self.data
        parts = [d.title, d.summary, d.category or "", " ".join(d.tags)]
        return "。".join(p for p in parts if p)


@dataclass
class VersionInfo:
    version: int
    editor: str
    note: str
    created_at: str


@dataclass
class HistoryEvent:
    at: str
    actor: str
    action: str
    version: int | None
    note: str = ""


@dataclass
class FieldDiff:
    field: str
    label: str
    before: str
    after: str
    lines: list[str]


@dataclass
class GuidanceHit:
    model_case: ModelCase
    score: float
    dense_score: float | None
    lexical_score: float | None
    matched_terms: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # Below the relevance floor (kb.modelcases.guidance.is_low): shown as 相关度较低, after the others.
    low_relevance: bool = False
