"""Units (master data) as the API lists, adds and imports them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kb.units.catalog import KIND_LABELS, Unit
from kb.units.rows import MAX_NAME

_KINDS = "、".join(f"{k}（{v}）" for k, v in KIND_LABELS.items())


class UnitOut(BaseModel):
    name: str = Field(description="规范名称，如 广州市、越秀区、省交通运输厅、省信访局督查一处")
    kind: str = Field(description=f"单位类型：{_KINDS}")
    kind_label: str = Field(description="单位类型的中文名称")
    parent: str | None = Field(description="上级单位：区县所属地市；督查处为省信访局；市级政法单位为所在地市")
    aliases: list[str] = Field(description="别名，如 广州、省人社厅")
    cities: list[str] = Field(description="督查处覆盖的地市")

    @classmethod
    def from_unit(cls, unit: Unit) -> UnitOut:
        return cls(**unit.as_dict())


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=MAX_NAME, description="规范名称（不得与已有单位的名称或别名相同）")
    kind: str = Field(min_length=1, max_length=16, description=f"单位类型，代码或中文名称：{_KINDS}")
    parent: str | None = Field(default=None, max_length=MAX_NAME, description="上级单位（区县必填，为所属地市）")
    aliases: list[str] = Field(default=[], max_length=50, description="别名")
    cities: list[str] = Field(default=[], max_length=50, description="督查处覆盖的地市")


class UnitImportResult(BaseModel):
    created: int
    updated: int
    total: int
