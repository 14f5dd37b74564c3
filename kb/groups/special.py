"""专项小组 (special groups) for homogeneous cases, attached as ``service.special_groups``.

A special group owns one or more case groups (each case group in at most one special group), has a
lead unit and member units (catalog units, kb/units), a policy document (title, number, date, text)
and a status (active → concluded | dissolved). Its case groups are decided in batch through
``GroupService.preview`` / ``decide``; the policy document becomes their policy note.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from kb.clock import stamp
from kb.domain import STATUS_LABELS as CASE_STATUS_LABELS
from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from kb.groups import special_store as store
from kb.groups.service import LATE_LABEL, GroupService
from kb.kernel import Kernel
from kb.privacy import mask_personal
from kb.users import SYSTEM, Principal

STATUS_LABELS = {"active": "工作中", "concluded": "已结束", "dissolved": "已撤销"}
EXPORT_HEADER = ("类案组", "登记编号", "标题", "属地", "责任部门", "当前状态", "批量决定", "决定时间", "决定前状态",
                 "决定改为", "状态变更时间", "给信访人的答复", "备注")  # fmt: skip


@dataclass
class SpecialGroupView:
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
    groups: list[dict[str, Any]] = field(default_factory=list)
    cases: int = 0
    late: int = 0


def _clean(field_: str, label: str, value: str | None, limit: int, required: bool = False) -> str | None:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInputError([FieldProblem(field_, f"{label}不能为空")])
    if len(value) > limit:
        raise InvalidInputError([FieldProblem(field_, f"{label}不能超过 {limit} 字")])
    return value or None


class SpecialGroupService:
    def __init__(self, kernel: Kernel, groups: GroupService) -> None:
        self.kernel, self.groups, self.db = kernel, groups, kernel.db

    def _units(self, lead_unit: str, member_units: list[str]) -> tuple[str, list[str]]:
        units = self.kernel.units
        lead = units.require((lead_unit or "").strip(), "lead_unit").name
        members = [units.require(u.strip(), "member_units").name for u in member_units if u and u.strip()]
        return lead, list(dict.fromkeys([lead, *members]))

    def _policy(self, policy: dict[str, Any]) -> dict[str, str | None]:
        day = policy.get("date")
        if day:
            try:
                day = dt.date.fromisoformat(str(day)).isoformat()
            except ValueError:
                raise InvalidInputError([FieldProblem("policy_date", f"政策文件日期“{day}”应为 YYYY-MM-DD")]) from None
        return {
            "title": _clean("policy_title", "政策文件标题", policy.get("title"), 200, required=True),
            "number": _clean("policy_number", "文号", policy.get("number"), 64),
            "date": day or None,
            "text": _clean("policy_text", "政策文件内容", policy.get("text"), 20000),
        }

    def _check_groups(self, conn: Any, group_ids: list[int], special_id: int | None, actor: Principal) -> None:
        for gid in group_ids:
            group = self.groups.get(gid, actor)
            if group.state != "active":
                raise ConflictError(f"类案组 {gid} 已合并或撤销，不能纳入专项小组")
        taken = {g: s for g, s in store.owners(conn, group_ids).items() if s != special_id}
        if taken:
            raise ConflictError(
                "；".join(f"类案组 {g} 已属于专项小组 {s}" for g, s in sorted(taken.items()))
                + "，一个类案组只能属于一个专项小组"
            )

    def create(
        self,
        *,
        name: str,
        lead_unit: str,
        member_units: list[str],
        policy: dict[str, Any],
        group_ids: list[int],
        actor: Principal = SYSTEM,
    ) -> SpecialGroupView:
        actor.require("groups:decide")
        clean_name = _clean("name", "专项小组名称", name, 64, required=True) or ""
        lead, members = self._units(lead_unit, member_units)
        doc = self._policy(policy)
        chosen = list(dict.fromkeys(group_ids))
        if not chosen:
            raise InvalidInputError([FieldProblem("group_ids", "请至少选择一个类案组")])
        when = stamp(self.kernel.clock.now())
        with self.db.transaction() as conn:
            self._check_groups(conn, chosen, None, actor)
            sid = store.insert(conn, clean_name, lead, members, doc, actor.username, when)
            store.add_groups(conn, sid, chosen, actor.username, when)
        return self.get(sid, actor)

    def _active(self, special_id: int, actor: Principal) -> SpecialGroupView:
        actor.require("groups:decide")
        view = self.get(special_id, actor)
        if view.status != "active":
            raise ConflictError(f"专项小组 {special_id} {view.status_label}，不能再修改")
        return view

    def add_groups(self, special_id: int, group_ids: list[int], actor: Principal = SYSTEM) -> SpecialGroupView:
        self._active(special_id, actor)
        when = stamp(self.kernel.clock.now())
        with self.db.transaction() as conn:
            self._check_groups(conn, group_ids, special_id, actor)
            have = set(store.group_ids(self.db, special_id))
            store.add_groups(
                conn, special_id, [g for g in dict.fromkeys(group_ids) if g not in have], actor.username, when
            )
        return self.get(special_id, actor)

    def update(
        self,
        special_id: int,
        *,
        policy: dict[str, Any] | None = None,
        member_units: list[str] | None = None,
        status: str | None = None,
        actor: Principal = SYSTEM,
    ) -> SpecialGroupView:
        view = self._active(special_id, actor)
        values: dict[str, object] = {}
        if policy is not None:
            doc = self._policy(policy)
            values.update({f"policy_{k}": v for k, v in doc.items()})
        if member_units is not None:
            values["member_units"] = self._units(view.lead_unit, member_units)[1]
        if status is not None:
            if status not in ("concluded", "dissolved"):
                raise InvalidInputError([FieldProblem("status", "可进行的操作：concluded（结束）、dissolved（撤销）")])
            values["status"] = status
        if values:
            with self.db.transaction() as conn:
                store.update(conn, special_id, actor.username, stamp(self.kernel.clock.now()), **values)
        return self.get(special_id, actor)

    def start_batch(self, special_id: int, group_id: int, actor: Principal = SYSTEM) -> Any:
        """Put one of its case groups under batch handling with the lead unit and the policy document."""
        view = self._active(special_id, actor)
        if group_id not in [g["id"] for g in view.groups]:
            raise NotFoundError(f"类案组 {group_id} 不属于专项小组 {special_id}")
        number = f"（{view.policy_number}）" if view.policy_number else ""
        note = f"{view.policy_title}{number}" + (f"：{view.policy_text}" if view.policy_text else "")
        return self.groups.start_batch(group_id, view.lead_unit, note[:4000], actor)

    def get(self, special_id: int, actor: Principal = SYSTEM) -> SpecialGroupView:
        actor.require("groups:read")
        r = store.row(self.db, special_id)
        if r is None:
            raise NotFoundError(f"专项小组 {special_id} 不存在")
        groups: list[dict[str, Any]] = []
        for gid in store.group_ids(self.db, special_id):
            try:
                g = self.groups.get(gid, actor)
            except NotFoundError:
                continue  # no member visible to this actor
            late = self.groups.late_members(gid)
            groups.append(
                {
                    "id": g.id,
                    "name": g.name,
                    "size": g.size,
                    "state": g.state,
                    "batch_status": g.batch_status,
                    "late": len(late),
                    "late_label": LATE_LABEL if late else None,
                }
            )
        if not groups and not actor.scope.provincial:
            raise NotFoundError(f"专项小组 {special_id} 不存在")
        return SpecialGroupView(
            int(r["id"]),
            r["name"],
            r["lead_unit"],
            list(json.loads(r["member_units"])),
            r["policy_title"],
            r["policy_number"],
            r["policy_date"],
            r["policy_text"],
            r["status"],
            STATUS_LABELS[r["status"]],
            r["created_by"],
            r["created_at"],
            r["updated_at"],
            groups,
            sum(int(g["size"]) for g in groups),
            sum(int(g["late"]) for g in groups),
        )

    def list(self, actor: Principal = SYSTEM) -> list[SpecialGroupView]:
        actor.require("groups:read")
        out = []
        for sid in store.ids(self.db):
            try:
                out.append(self.get(sid, actor))
            except NotFoundError:
                continue
        return out


_CASE_LABELS = {str(k.value): v for k, v in CASE_STATUS_LABELS.items()}


def _label(status: str | None) -> str:
    return _CASE_LABELS.get(status or "", status or "")


def export_table(
    service: SpecialGroupService, special_id: int, actor: Principal = SYSTEM
) -> tuple[list[str], list[list[Any]]]:
    """The special group as a table: heading lines (name, units, policy document), then one row per
    member case of each case group with its latest batch decision, the status it set (or 保留不变),
    when it changed and the reply; members after the decision are marked 后加入. Titles masked; only
    cases within the actor's scope."""
    view = service.get(special_id, actor)
    number = f" {view.policy_number}" if view.policy_number else ""
    day = f"（{view.policy_date}）" if view.policy_date else ""
    lines = [
        f"专项小组：{view.name}（{view.status_label}）",
        f"牵头单位：{view.lead_unit}；成员单位：{'、'.join(view.member_units)}",
        f"政策文件：{view.policy_title or '—'}{number}{day}",
    ]
    rows: list[list[Any]] = []
    for g in view.groups:
        gid = int(g["id"])
        members, _ = service.groups.members(gid, actor, limit=100_000)
        decided: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        for d in service.groups.decisions(gid, actor):  # oldest first: the latest one wins
            for c in d["cases"]:
                decided[int(c["case_id"])] = (d, c)
        late = service.groups.late_members(gid)
        for case in members:
            d, c = decided.get(case.id, ({}, {}))
            note = LATE_LABEL if case.id in late else ""
            rows.append([
                f"#{gid} {g['name']}",
                case.external_no,
                mask_personal(case.title or "", [case.petitioner_name]),
                case.city or "",
                case.department or "",
                _label(case.status),
                d.get("decision", ""),
                d.get("created_at", ""),
                _label(c.get("previous_status")) if c else "",
                (_label(c["new_status"]) if c.get("new_status") else "保留不变") if c else "",
                c.get("changed_at") or "" if c else "",
                mask_personal(c.get("reply") or "", [case.petitioner_name]) if c else "",
                note,
            ])  # fmt: skip
    return lines, rows
