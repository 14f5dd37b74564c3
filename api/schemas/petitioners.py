"""信访人视图 and manual repeat links on the HTTP API (cases masked as in every case response)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.cases import CaseOut
from api.schemas.workflow import LinkOut
from kb.privacy import mask_name


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    other_id: int = Field(ge=1, description="另一案件的内部编号（较晚的一件记为较早一件的重复信访）")
    note: str | None = Field(default=None, max_length=500, description="关联说明")


class LinkEventOut(BaseModel):
    id: int
    case_id: int | None = Field(description="案件编号；不在本单位权限范围内时为空")
    other_id: int | None = Field(description="另一案件编号；不在本单位权限范围内时为空")
    action: str = Field(description="link 人工关联 / unlink 解除关联")
    action_label: str
    kinds: str = Field(description="涉及的关联类型（repeat / exact / joint，逗号分隔）")
    note: str | None
    actor: str
    at: str


class CaseLinksOut(BaseModel):
    case_id: int
    links: list[LinkOut]
    later_repeats: int = Field(description="此后被识别为本案重复信访的案件数")
    history: list[LinkEventOut] = Field(description="人工关联与解除关联记录")


class PetitionerCaseOut(BaseModel):
    case: CaseOut
    links: list[LinkOut]
    flags: list[str]
    later_repeats: int
    rating: str | None = Field(description="最近一次满意度评价")
    rating_label: str | None


class PetitionerOut(BaseModel):
    petitioner_ref: str = Field(description="信访人匿名键前缀")
    petitioner_name: str | None = Field(description="信访人（脱敏）")
    case_count: int
    repeat_count: int = Field(description="其中被关联为重复信访的件数")
    first_date: str
    last_date: str
    cases: list[PetitionerCaseOut]
    link_history: list[LinkEventOut]

    @classmethod
    def from_view(cls, view: Any) -> PetitionerOut:
        """The service's ``PetitionerView`` with each case and the name masked."""
        return cls(
            petitioner_ref=view.petitioner_ref,
            petitioner_name=mask_name(view.petitioner_name),
            case_count=view.case_count,
            repeat_count=view.repeat_count,
            first_date=view.first_date,
            last_date=view.last_date,
            cases=[
                PetitionerCaseOut(
                    case=CaseOut.from_case(item.case),
                    links=[LinkOut.model_validate(link) for link in item.links],
                    flags=item.flags,
                    later_repeats=item.later_repeats,
                    rating=item.rating,
                    rating_label=item.rating_label,
                )
                for item in view.cases
            ],
            link_history=[LinkEventOut.model_validate(e) for e in view.link_history],
        )
