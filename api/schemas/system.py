"""Service health and the filter facets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, RootModel


class Health(BaseModel):
    status: str
    encoder: str
    dim: int
    index_backend: str
    fusion: str
    cases: int
    indexed_vectors: int
    indexed_lexical: int
    router: Literal["ready", "fitting", "lazy"] = Field(
        description="交办建议模型：ready 已就绪，fitting 启动后正在后台拟合，lazy 首次请求时拟合"
    )
    petitioner_key: Literal["unset", "new", "ok", "mismatch"] = Field(
        description=(
            "信访人密钥：unset 未配置，new 尚未用于生成匿名键，ok 与已有数据一致，"
            "mismatch 与已有数据不一致（导入含身份信息的数据会被拒绝）"
        )
    )


class FacetCount(BaseModel):
    value: str
    count: int


class Facets(RootModel[dict[str, list[FacetCount]]]):
    """Values present per faceted field of the case-field table (``kb/fields.py``), most frequent first;
    city-bound users see their city only."""
