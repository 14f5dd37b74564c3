"""Service health and the filter facets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, RootModel


class RouterModel(BaseModel):
    source: Literal["fitted", "loaded"] = Field(
        description="fitted 本进程拟合（并存入数据库），loaded 从数据库加载（其他进程或上次启动拟合的模型）"
    )
    labelled_count: int = Field(description="模型拟合时已办理且有该字段的案件数（增长超过 10% 时重新拟合）")
    seconds: float = Field(description="本进程拟合或加载该模型所用秒数")


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
    warm: dict[str, Literal["pending", "warming", "ready", "failed"]] = Field(
        description=(
            "启动时后台预热的部件（encoder 编码器首次调用、router 交办建议模型、model_cases 典型案例索引）："
            "pending 未开始，warming 进行中，ready 已就绪，failed 失败（改为首次使用时构建）"
        )
    )
    warm_seconds: dict[str, float] = Field(
        default_factory=dict, description="各预热部件完成（ready 或 failed）所用秒数；仍在进行的部件不列出"
    )
    router_models: dict[str, RouterModel] = Field(
        default_factory=dict,
        description="各交办建议目标（department 责任部门、city 属地）的模型来源：尚未就绪的目标不列出",
    )
    lexical_index: Literal["file", "database", "empty"] = Field(
        description="词频（BM25）索引来源：file 从索引文件映射加载，database 启动时由数据库重建，empty 未打开"
    )
    worker_pid: int = Field(description="答复本请求的服务进程号（leian serve --workers N 时各进程不同）")
    index_generation: int = Field(
        description="本进程内存索引已反映到的数据库写入代数（多进程时各进程经变更日志追上其他进程的写入）"
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
