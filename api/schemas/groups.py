"""Request and response shapes of the case-group endpoints (member cases are masked like all cases)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.cases import CaseOut
from kb.groups.discovery import RunReport
from kb.groups.store import Family, Group


class CountOut(BaseModel):
    name: str
    count: int


class GroupSpreadOut(BaseModel):
    """Where and when a group's cases arrived (within the user's scope)."""

    cities: list[CountOut] = Field(description="各地市案件数，多到少")
    months: list[CountOut] = Field(description="各月（YYYY-MM）受理数，按月份")
    date_to: str | None = Field(description="最近一件的受理日期")

    @classmethod
    def of(cls, spread: dict[str, Any] | None) -> GroupSpreadOut:
        spread = spread or {"cities": {}, "months": {}, "date_to": None}
        cities = sorted(spread["cities"].items(), key=lambda p: (-p[1], p[0]))
        return cls(
            cities=[CountOut(name=k, count=n) for k, n in cities],
            months=[CountOut(name=k, count=n) for k, n in sorted(spread["months"].items())],
            date_to=spread["date_to"],
        )


class GroupOut(BaseModel):
    id: int
    name: str
    state: str = Field(description="active / merged / retired")
    locked: bool
    size: int = Field(description="成员数（地市用户只计本地市）")
    keywords: list[str]
    lead_department: str | None
    policy_note: str | None
    batch_status: str | None = Field(description="空 / handling（批量处理中）/ decided（已决定）")
    updated_at: str
    updated_by: str | None
    spread: GroupSpreadOut | None = Field(default=None, description="仅在列表请求 spread=true 时给出")
    family_id: int | None = Field(
        default=None, description="所属类案组族（同一问题类型，GET /api/group-families/{id}）"
    )

    @classmethod
    def of(cls, g: Group, spread: dict[str, Any] | None = None, with_spread: bool = False) -> GroupOut:
        return cls(
            id=g.id,
            name=g.name,
            state=g.state,
            locked=g.locked,
            size=g.size,
            keywords=g.keywords,
            lead_department=g.lead_department,
            policy_note=g.policy_note,
            batch_status=g.batch_status,
            updated_at=g.updated_at,
            updated_by=g.updated_by,
            spread=GroupSpreadOut.of(spread) if with_spread else None,
            family_id=g.family_id,
        )


class FamilyOut(BaseModel):
    """A group family: the issue type above matter-level groups (e.g. all 货运平台 cases)."""

    id: int
    name: str
    state: str = Field(description="active / retired")
    keywords: list[str]
    groups: int = Field(description="其中的类案组数（地市用户只计含本地市案件的组）")
    size: int = Field(description="这些组的成员数（地市用户只计本地市）")
    updated_at: str

    @classmethod
    def of(cls, f: Family) -> FamilyOut:
        return cls(
            id=f.id, name=f.name, state=f.state, keywords=f.keywords, groups=f.groups, size=f.size,
            updated_at=f.updated_at,
        )  # fmt: skip


class FamilyDetailOut(FamilyOut):
    members: list[GroupOut] = Field(description="本族的类案组（同一事项一组），大到小")


class SimilarGroupOut(BaseModel):
    group: GroupOut
    similarity: float | None = Field(description="与本组的相似度（0–1）；无法比较时为空")


class UndoableOut(BaseModel):
    """The group's last edit, when it can be undone."""

    edit_id: int
    kind: str
    label: str = Field(description="操作名称，如 合并、拆分")
    actor: str
    created_at: str


class MemberPage(BaseModel):
    total: int
    items: list[CaseOut]
    late_ids: list[int] = Field(default_factory=list, description="批量决定后加入、待按同一政策处理的成员")
    late_label: str = "后加入，待按同一政策处理"


class ShareOut(BaseModel):
    name: str
    count: int
    share: float


class SuggestedLeadOut(BaseModel):
    name: str
    source: str = Field(description="batch（批量处理已指定）/ members（成员案件最多的部门）")
    share: float | None


class GroupHistoryOut(BaseModel):
    """Stored rows as they are: reviewer edits, run lineage, batch decisions."""

    edits: list[dict[str, Any]]
    lineage: list[dict[str, Any]]
    decisions: list[dict[str, Any]]


class GroupProfileOut(BaseModel):
    group: GroupOut
    size: int
    keywords: list[str]
    cities: list[ShareOut]
    departments: list[ShareOut]
    categories: list[ShareOut]
    date_from: str | None
    date_to: str | None
    repeat_share: float = Field(description="同一信访人在组内重复信访的案件占比")
    litigation_share: float
    statuses: dict[str, int]
    suggested_lead: SuggestedLeadOut | None
    representatives: list[CaseOut]
    history: GroupHistoryOut
    undoable: UndoableOut | None = Field(default=None, description="可撤销的最近一次操作；为空表示没有")

    @classmethod
    def of(cls, p: dict[str, Any]) -> GroupProfileOut:
        last = p.get("undoable")
        return cls(
            **{k: v for k, v in p.items() if k not in ("group", "representatives", "undoable")},
            undoable=UndoableOut(**last.__dict__) if last is not None else None,
            group=GroupOut.of(p["group"]),
            representatives=[CaseOut.from_case(c) for c in p["representatives"]],
        )


class RunOut(BaseModel):
    run_id: int
    mode: str
    cases: int
    groups: int
    unassigned: int
    kept: list[int]
    new: list[int]
    split: list[tuple[int, int]]
    merged: list[tuple[int, int]]
    retired: list[int]

    @classmethod
    def of(cls, r: RunReport) -> RunOut:
        return cls(**r.__dict__)


class DecisionOut(BaseModel):
    decision_id: int
    group_id: int
    status: str
    cases: int = Field(description="状态被更新的成员案件数")
    left_alone: int = Field(description="按审核人选择保留原状态的案件数")
    unchanged: int = Field(description="已是目标状态的案件数")
    changed_ids: list[int]
    late: bool = Field(description="本次决定只针对后加入的成员")
    message: str


class PreviewCaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    case_id: int
    external_no: str
    status: str


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(description="in_progress / resolved / unresolved / closed")
    leave_alone: list[str] = Field(default_factory=list, description="保留不变的当前状态，如 closed、unresolved")


class PreviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    group_id: int
    status: str
    status_label: str
    leave_alone: list[str]
    late_only: bool
    change: list[PreviewCaseOut]
    left: list[PreviewCaseOut]
    same: list[PreviewCaseOut]
    by_status: dict[str, int]
    message: str = Field(description="如“将把 92 件案件（其中 23 件已办结）状态改为已化解”")
    token: str = Field(description="应用决定时原样提交；类案组此后有变化则拒绝")


class DecisionCaseOut(BaseModel):
    case_id: int
    external_no: str
    previous_status: str
    new_status: str | None = Field(description="新状态；为空表示未变更（保留不变或已是目标状态）")
    reply: str | None = Field(description="给信访人的答复")
    changed_at: str | None = Field(description="状态变更时间（服务器时间）")


class DecisionRecordOut(BaseModel):
    id: int
    group_id: int
    decision: str
    status: str
    lead_department: str | None
    policy_note: str | None
    n_cases: int = Field(description="状态被变更的案件数")
    actor: str
    created_at: str
    special_group_id: int | None
    left_alone: list[str]
    cases: list[DecisionCaseOut]


class SpecialGroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)
    lead_unit: str = Field(max_length=64, description="牵头单位")
    member_units: list[str] = Field(default_factory=list, max_length=50, description="成员单位")
    policy_title: str = Field(max_length=200, description="政策文件标题")
    policy_number: str | None = Field(default=None, max_length=64, description="文号")
    policy_date: str | None = Field(default=None, max_length=10, description="成文日期 YYYY-MM-DD")
    policy_text: str | None = Field(default=None, max_length=20000)
    group_ids: list[int] = Field(max_length=100, description="所辖类案组")


class SpecialGroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy_title: str | None = Field(default=None, max_length=200)
    policy_number: str | None = Field(default=None, max_length=64)
    policy_date: str | None = Field(default=None, max_length=10)
    policy_text: str | None = Field(default=None, max_length=20000)
    member_units: list[str] | None = Field(default=None, max_length=50)
    status: str | None = Field(default=None, description="concluded（结束）/ dissolved（撤销）")
    add_group_ids: list[int] = Field(default_factory=list, max_length=100)


class SpecialGroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    lead_unit: str
    member_units: list[str]
    policy_title: str | None
    policy_number: str | None
    policy_date: str | None
    policy_text: str | None
    status: str
    status_label: str
    created_by: str
    created_at: str
    updated_at: str
    groups: list[dict[str, Any]]
    cases: int
    late: int = Field(description="批量决定后加入、待按同一政策处理的案件数")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DiscoverIn(_Body):
    mode: str = Field(
        default="auto",
        description="auto（默认）：已有类案组时增量发现，否则全量；incremental：保留现有组的成员，只对未归组、"
        "新增和偏离的案件聚类；full：全量重新发现；pool：只在未归组案件和近期案件中发现新组",
    )
    threshold: float | None = Field(default=None, ge=0.05, le=0.95, description="粒度：组内平均相似度下限")
    min_size: int | None = Field(default=None, ge=2, le=1000)
    max_fit: int | None = Field(
        default=None,
        ge=100,
        le=5_000_000,
        description="超过该案件数时在随机样本上聚类，其余按最近组归入（默认 100000）",
    )


class RenameIn(_Body):
    name: str = Field(max_length=64)


class MergeIn(_Body):
    sources: list[int] = Field(min_length=1, max_length=100, description="并入本组的其他类案组")


class SplitIn(_Body):
    case_ids: list[int] = Field(min_length=1, max_length=10000)
    name: str = Field(max_length=64)


class MoveIn(_Body):
    case_id: int
    group_id: int | None = Field(default=None, description="目标类案组；为空表示移回未归组池（重新发现后仍保留在池中）")


class LockIn(_Body):
    locked: bool = True


class BatchIn(_Body):
    lead_department: str = Field(max_length=64)
    policy_note: str = Field(max_length=4000)


class DecisionIn(_Body):
    decision: str = Field(max_length=4000)
    status: str = Field(description="in_progress / resolved / unresolved / closed")
    token: str = Field(max_length=64, description="预览返回的 token")
    leave_alone: list[str] = Field(default_factory=list, description="与预览相同的保留状态")
    reply: str | None = Field(default=None, max_length=4000, description="给每件案件信访人的答复（默认同决定）")
    replies: dict[int, str] = Field(default_factory=dict, description="个别案件的答复（案件编号 → 答复）")
