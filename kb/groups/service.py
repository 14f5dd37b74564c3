"""GroupService: discovery, scoped reads, reviewer edits and batch handling of case groups."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from indexing.clustering import HybridFeatures, assign
from kb.clock import stamp
from kb.domain import Case, Status
from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.fields import STATUS_LABELS
from kb.groups import special_store, undo
from kb.groups.discovery import Discovery, GroupParams, RunReport, StageFn, report_stage
from kb.groups.profile import describe, suggest_lead
from kb.groups.rediscovery import run_incremental
from kb.groups.store import Family, Group, GroupRepository
from kb.kernel import IngestBatch, Kernel
from kb.users import SYSTEM, Principal
from kb.workflow import lifecycle_store
from kb.workflow.lifecycle_store import TransitionRow

DECISION_STATUSES = (Status.in_progress, Status.resolved, Status.unresolved, Status.closed)
STATUS_LABELS_BY_VALUE = {s.value: label for s, label in STATUS_LABELS.items()}
LATE_LABEL = "后加入，待按同一政策处理"


@dataclass(frozen=True)
class PreviewCase:
    case_id: int
    external_no: str
    status: str


@dataclass(frozen=True)
class BatchPreview:
    """What a batch decision will do: the cases it changes (``change``), those the reviewer leaves
    alone by their status (``left``), those already at the status (``same``); ``token`` binds it."""

    group_id: int
    status: str
    status_label: str
    leave_alone: list[str]
    late_only: bool
    change: list[PreviewCase]
    left: list[PreviewCase]
    same: list[PreviewCase]
    by_status: dict[str, int]
    message: str
    token: str


def _text(field: str, value: str | None, limit: int, required: bool = True) -> str | None:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInputError([FieldProblem(field, "不能为空")])
    if len(value) > limit:
        raise InvalidInputError([FieldProblem(field, f"不能超过 {limit} 字")])
    return value or None


def _known(group_id: int | None) -> list[int]:
    return [] if group_id is None else [group_id]


class GroupService:
    def __init__(self, kernel: Kernel, params: GroupParams | None = None) -> None:
        self.kernel, self.params = kernel, params or GroupParams()
        self.db = kernel.db
        self.repo = GroupRepository(kernel.db, kernel.clock)
        self.discovery = Discovery(kernel, self.repo, self.params.family_threshold)
        self._model: tuple[bytes, HybridFeatures] | None = None
        kernel.hooks.add(self.on_ingest)

    # -- discovery and incremental assignment ----------------------------------------------------
    def discover(
        self, actor: Principal = SYSTEM, mode: str = "auto", *, progress: StageFn | None = None, **params: Any
    ) -> RunReport:
        """Discover groups: ``auto`` (default) is ``incremental`` once groups exist, else ``full``.

        ``incremental`` keeps existing groups' fitting members and clusters only pool, new and
        drifted cases; ``full`` re-clusters everything (ids kept by member overlap); ``pool`` only
        looks for new groups among the unassigned and recent cases. ``progress`` receives one
        Chinese line per stage (features, each clustering cell, saving).
        """
        actor.require("groups:write")
        if not actor.scope.provincial:
            raise PermissionDeniedError("类案发现涉及全省案件，需省级用户执行")
        if mode not in ("auto", "incremental", "full", "pool"):
            raise InvalidInputError([FieldProblem("mode", "应为 auto、incremental、full 或 pool")])
        fields = GroupParams.__dataclass_fields__
        unknown = [k for k in params if k not in fields]
        if unknown:
            raise InvalidInputError([FieldProblem(k, "未知参数") for k in unknown])
        chosen = GroupParams(**{**self.params.__dict__, **params})
        return self._run(chosen, actor.username, mode, progress=progress)

    def _run(
        self, params: GroupParams, actor: str, mode: str, recent_days: int = 30, progress: StageFn | None = None
    ) -> RunReport:
        """``auto``: incremental when a previous run left groups and a feature model, else full."""
        if mode in ("auto", "incremental", "pool") and (
            self.repo.latest_model() is None or not self.repo.centroids()[0]
        ):
            mode = "full"
        with threadpool_limits(self.kernel.settings.threads):
            if mode in ("auto", "incremental"):
                report_stage(progress, "类案发现：增量发现……")
                return run_incremental(self.discovery, params, actor)
            return self.discovery.run(params, actor, mode, recent_days, progress)

    def model(self) -> HybridFeatures | None:
        data = self.repo.latest_model()
        if data is None:
            return None
        if self._model is None or self._model[0] != data:
            self._model = (data, HybridFeatures.from_bytes(data))
        return self._model[1]

    def on_ingest(self, conn: sqlite3.Connection, batch: IngestBatch) -> None:
        """New cases join the nearest group above ``assign_threshold``; no refit."""
        model = self.model()
        if model is None:
            return
        gids, centroids = self.repo.centroids()
        fresh = [k for k, case_id in enumerate(batch.ids) if batch.created[k]]
        if not gids or not fresh:
            return
        x = model.transform(batch.vectors[fresh], [batch.tokens[k] for k in fresh])
        labels, scores = assign(x, centroids, self.params.bars(centroids), names=self.params.name_rule())
        rows = [
            (batch.ids[k], gids[lab], "assigned", float(s))
            for k, lab, s in zip(fresh, labels, scores, strict=True)
            if lab >= 0
        ]
        self.repo.set_members(conn, rows, "system")

    # -- reads (scoped) --------------------------------------------------------------------------
    def list_groups(self, actor: Principal = SYSTEM, include_retired: bool = False) -> list[Group]:
        actor.require("groups:read")
        return self.repo.list_groups(actor.scope, include_retired)

    def families(self, actor: Principal = SYSTEM, include_retired: bool = False) -> list[Family]:
        """Group families (issue types above matter-level groups), counted within the actor's scope."""
        actor.require("groups:read")
        return self.repo.families(actor.scope, include_retired)

    def family(self, family_id: int, actor: Principal = SYSTEM) -> tuple[Family, list[Group]]:
        """One family with its active groups (within the actor's scope)."""
        actor.require("groups:read")
        found = {f.id: f for f in self.repo.families(actor.scope, include_retired=True)}
        family = found.get(family_id)
        if family is None:
            raise NotFoundError(f"类案组族 {family_id} 不存在")
        return family, [g for g in self.repo.list_groups(actor.scope) if g.family_id == family_id]

    def _scoped_members(self, group_id: int, actor: Principal) -> list[Case]:
        ids = self.repo.member_ids(group_id)
        visible = self.kernel.visible_ids(actor, ids)
        cases = self.kernel.cases.get_many([i for i in ids if i in visible])
        return sorted(
            cases.values(),
            key=lambda c: (c.received_date, c.id),
            reverse=True,
        )

    def get(self, group_id: int, actor: Principal = SYSTEM) -> Group:
        actor.require("groups:read")
        group = self.repo.get(group_id)
        if group is None:
            raise NotFoundError(f"类案组 {group_id} 不存在")
        if not actor.scope.provincial:
            visible = {c.id for c in self._scoped_members(group_id, actor)}
            if not visible:
                raise NotFoundError(f"类案组 {group_id} 不存在")
            group.size = len(visible)
            group.representatives = [r for r in group.representatives if r in visible]
        return group

    def members(
        self, group_id: int, actor: Principal = SYSTEM, limit: int = 50, offset: int = 0
    ) -> tuple[list[Case], int]:
        actor.require("groups:read")
        self.get(group_id, actor)
        cases = self._scoped_members(group_id, actor)
        return cases[offset : offset + limit], len(cases)

    def profile(self, group_id: int, actor: Principal = SYSTEM) -> dict[str, Any]:
        actor.require("groups:read")
        group = self.get(group_id, actor)
        cases = self._scoped_members(group_id, actor)
        reps = self.kernel.cases.get_many(group.representatives[:5])
        return {
            "group": group,
            **describe(cases),
            "keywords": group.keywords,
            "representatives": [reps[i] for i in group.representatives[:5] if i in reps],
            "suggested_lead": suggest_lead(cases, group.lead_department),
            "history": self._scoped_history(group_id, actor),
            "undoable": undo.undoable(self.repo, group_id),
        }

    def spread(self, actor: Principal = SYSTEM) -> dict[int, dict[str, Any]]:
        """For the group list in one query: each visible group's cases per city and month, latest date."""
        actor.require("groups:read")
        return self.repo.spread(actor.scope)

    def of_case(self, case_id: int, actor: Principal = SYSTEM) -> Group | None:
        """The group a case belongs to (None: in the unassigned pool); the case must be visible."""
        actor.require("groups:read")
        self.kernel.get_case(case_id, actor)
        group_id = self.repo.membership([case_id]).get(case_id)
        return None if group_id is None else self.get(group_id, actor)

    def similar(self, group_id: int, actor: Principal = SYSTEM) -> list[tuple[Group, float | None]]:
        """The other active groups the actor sees, most similar first (centroid cosine, else shared keywords).

        For the merge dialog: a reviewer picks among related groups, not the largest one.
        """
        group = self.get(group_id, actor)
        others = [g for g in self.list_groups(actor) if g.id != group_id and g.state == "active"]
        gids, centroids = self.repo.centroids()
        row = {g: k for k, g in enumerate(gids)}
        unit = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12) if gids else centroids
        own_words = set(group.keywords)

        def score(other: Group) -> float | None:
            if group_id in row and other.id in row:
                return float(unit[row[group_id]] @ unit[row[other.id]])
            words = set(other.keywords)
            return len(own_words & words) / len(own_words | words) if own_words and words else None

        scored = [(g, score(g)) for g in others]
        scored.sort(key=lambda p: (p[1] is None, -(p[1] or 0.0), -p[0].size, p[0].id))
        return scored

    def unassigned(self, actor: Principal = SYSTEM, limit: int = 50, offset: int = 0) -> tuple[list[Case], int]:
        actor.require("groups:read")
        ids, total = self.repo.unassigned_page(actor.scope, limit, offset)
        cases = self.kernel.cases.get_many(ids)
        return [cases[i] for i in ids], total

    # -- reviewer edits --------------------------------------------------------------------------
    def _editable(self, group_id: int, actor: Principal, permission: str = "groups:write") -> Group:
        actor.require(permission)
        group = self.get(group_id, actor)
        if group.state != "active":
            raise ConflictError(f"类案组 {group_id} 已{'合并' if group.state == 'merged' else '撤销'}，不能修改")
        if not actor.scope.provincial and len(self._scoped_members(group_id, SYSTEM)) != group.size:
            raise PermissionDeniedError("该类案组包含本单位权限范围以外的案件，需省级用户操作")
        return group

    def _refresh(self, conn: sqlite3.Connection, actor: str) -> None:
        """After an edit: re-read only the groups it changed (``Discovery.refresh_edited``)."""
        model = self.model()
        if model is not None:
            self.discovery.refresh_edited(conn, model, actor)

    def rename(self, group_id: int, name: str, actor: Principal = SYSTEM) -> Group:
        self._editable(group_id, actor)
        new_name = _text("name", name, 64)
        with self.db.transaction() as conn:
            snap = undo.take(self.repo, conn, groups={group_id: ("name", "name_manual")})
            self.repo.update(conn, group_id, actor.username, name=new_name, name_manual=1)
            self.repo.edit(conn, group_id, "rename", actor.username, name=new_name, undo=snap.payload())
        return self.get(group_id, actor)

    def lock(self, group_id: int, locked: bool = True, actor: Principal = SYSTEM) -> Group:
        self._editable(group_id, actor)
        with self.db.transaction() as conn:
            snap = undo.take(self.repo, conn, groups={group_id: ("locked",)})
            self.repo.update(conn, group_id, actor.username, locked=int(locked))
            self.repo.edit(conn, group_id, "lock" if locked else "unlock", actor.username, undo=snap.payload())
        return self.get(group_id, actor)

    def merge(self, target_id: int, source_ids: list[int], actor: Principal = SYSTEM) -> Group:
        """Move every member of the sources into the target and end the sources.

        All members of the merged group are pinned (the target's own too): the reviewer decided
        they belong together, so re-discovery must not pull the target's old members back out.
        """
        self._editable(target_id, actor)
        sources = sorted(set(source_ids) - {target_id})
        if not sources:
            raise InvalidInputError([FieldProblem("sources", "请至少选择一个要并入的其他类案组")])
        for sid in sources:
            self._editable(sid, actor)
        with self.db.transaction() as conn:
            own = self.repo.member_ids(target_id)
            moved = {sid: self.repo.member_ids(sid) for sid in sources}
            every = [*own, *(c for ids in moved.values() for c in ids)]
            snap = undo.take(
                self.repo,
                conn,
                after=dict.fromkeys(every, target_id),
                groups={sid: ("state",) for sid in sources},
                group_after=dict.fromkeys(sources, "merged"),
            )
            self.repo.set_members(conn, [(c, target_id, "manual", None) for c in every], actor.username)
            for sid in sources:
                self.repo.update(conn, sid, actor.username, state="merged", centroid=None)
                self.repo.lineage(conn, "merged", sid, target_id, actor.username, None)
            counts = {str(sid): len(ids) for sid, ids in moved.items()}
            self.repo.edit(
                conn,
                target_id,
                "merge",
                actor.username,
                sources=sources,
                cases=sum(counts.values()),
                counts=counts,
                before=len(own),
                undo=snap.payload(),
            )
            self._refresh(conn, actor.username)
        return self.get(target_id, actor)

    def split(self, group_id: int, case_ids: list[int], name: str, actor: Principal = SYSTEM) -> Group:
        """Chosen members form a new group (pinned there); the rest stay."""
        self._editable(group_id, actor)
        chosen = sorted(set(case_ids))
        members = set(self.repo.member_ids(group_id))
        outside = [c for c in chosen if c not in members]
        if not chosen or outside:
            raise InvalidInputError(
                [FieldProblem("case_ids", f"案件 {outside} 不属于该类案组" if outside else "请选择案件")]
            )
        if len(chosen) == len(members):
            raise InvalidInputError([FieldProblem("case_ids", "不能拆出全部案件")])
        new_name = _text("name", name, 64)
        with self.db.transaction() as conn:
            snap = undo.take(self.repo, conn, after=dict.fromkeys(chosen, group_id))
            new_id = self.repo.create(conn, new_name or "", actor.username)
            self.repo.update(conn, new_id, actor.username, name_manual=1)
            self.repo.set_members(conn, [(c, new_id, "manual", None) for c in chosen], actor.username)
            self.repo.lineage(conn, "split", new_id, group_id, actor.username, None)
            # Undo returns the chosen cases and ends the new group (its members went back).
            snap.after = dict.fromkeys(chosen, new_id)
            snap.groups[new_id] = {"state": "merged"}
            self.repo.edit(conn, group_id, "split", actor.username, new_group=new_id, cases=chosen, undo=snap.payload())
            self._refresh(conn, actor.username)
        return self.get(new_id, actor)

    def move(self, case_id: int, group_id: int | None, actor: Principal = SYSTEM) -> Group:
        """Put one case into a group by hand (``None``: back to the pool); re-discovery keeps it there.

        Returns the target group, or for a move to the pool the group the case left.
        """
        actor.require("groups:write")
        self.kernel.get_case(case_id, actor)
        before = self.repo.membership([case_id]).get(case_id)
        if group_id is None:
            return self._to_pool(case_id, before, actor)
        self._editable(group_id, actor)
        with self.db.transaction() as conn:
            snap = undo.take(self.repo, conn, after={case_id: group_id}, groups=dict.fromkeys(_known(before), ()))
            self.repo.unpin_from_pool(conn, [case_id])
            self.repo.set_members(conn, [(case_id, group_id, "manual", None)], actor.username)
            self.repo.edit(
                conn, group_id, "move", actor.username, case_id=case_id, from_group=before, undo=snap.payload()
            )
            self._refresh(conn, actor.username)
        return self.get(group_id, actor)

    def _to_pool(self, case_id: int, before: int | None, actor: Principal) -> Group:
        if before is None:
            raise ConflictError(f"案件 {case_id} 不在任何类案组中")
        self._editable(before, actor)
        with self.db.transaction() as conn:
            snap = undo.take(self.repo, conn, after={case_id: None})
            self.repo.remove_members(conn, [case_id])
            self.repo.pin_to_pool(conn, case_id, before, actor.username)
            self.repo.edit(conn, before, "unassign", actor.username, case_id=case_id, undo=snap.payload())
            self._refresh(conn, actor.username)
        # The actor may edit the whole group (checked above), so the unscoped view is theirs too.
        return self.get(before)

    # -- undo --------------------------------------------------------------------------------------
    def undoable(self, group_id: int, actor: Principal = SYSTEM) -> undo.Undoable | None:
        """The group's last edit if a reviewer may undo it now (None: nothing to undo)."""
        self.get(group_id, actor)
        return undo.undoable(self.repo, group_id)

    def undo_last(self, group_id: int, actor: Principal = SYSTEM) -> Group:
        """Undo the group's last reviewer edit (rename, lock, merge, split, move); one step only.

        Refused in words when there is nothing to undo or anything it touched changed since.
        """
        self._editable(group_id, actor)
        last = self.repo.last_edit(group_id)
        if last is None or last["kind"] == "undo":
            raise ConflictError("该类案组没有可撤销的操作" if last is None else "最近一次操作已撤销")
        if last["kind"] not in undo.UNDOABLE:
            raise ConflictError(f"“{undo.label(last['kind'])}”不能撤销")
        if undo.UNDO_KEY not in last["detail"]:
            raise ConflictError("该操作记录于撤销功能上线之前，不能撤销")
        payload = last["detail"][undo.UNDO_KEY]
        for gid in undo.related_groups(payload, group_id):
            other = self.repo.get(gid)
            if other is not None and other.state == "active":
                self._editable(gid, actor)  # the actor must be allowed to change every group it touches
        with self.db.transaction() as conn:
            undo.check(self.repo, conn, group_id, last)
            undo.restore(self.repo, conn, payload, actor.username)
            for gid, _cols, state in payload["groups"]:
                if state == "merged":  # a merged source comes back
                    self.repo.lineage(conn, "restored", int(gid), group_id, actor.username, None)
                elif _cols.get("state") == "merged":  # a split-off group goes back into this one
                    self.repo.lineage(conn, "merged", int(gid), group_id, actor.username, None)
            self.repo.edit(conn, group_id, "undo", actor.username, edit_id=last["id"], undone=last["kind"])
            self._refresh(conn, actor.username)
        return self.get(group_id, actor)

    # -- batch handling --------------------------------------------------------------------------
    def start_batch(self, group_id: int, lead_department: str, policy_note: str, actor: Principal = SYSTEM) -> Group:
        """Put a group under batch handling; it is locked so re-discovery leaves it as reviewed."""
        group = self._editable(group_id, actor, "groups:decide")
        if group.batch_status == "decided":
            raise ConflictError(f"类案组 {group_id} 已作出批量决定")
        dept = _text("lead_department", lead_department, 64)
        if dept:  # the lead unit (主责单位) is master data: 省人社厅 is stored as 省人力资源社会保障厅
            dept = self.kernel.units.require(dept, "lead_department").name
        note = _text("policy_note", policy_note, 4000)
        with self.db.transaction() as conn:
            self.repo.update(
                conn,
                group_id,
                actor.username,
                batch_status="handling",
                lead_department=dept,
                policy_note=note,
                locked=1,
            )
            self.repo.edit(conn, group_id, "batch_start", actor.username, lead_department=dept, policy_note=note)
        return self.get(group_id, actor)

    def _preview(
        self, conn: sqlite3.Connection | None, group: Group, status: str, leave_alone: list[str]
    ) -> BatchPreview:
        if status not in {s.value for s in DECISION_STATUSES}:
            raise InvalidInputError([FieldProblem("status", "应为 in_progress、resolved、unresolved 或 closed")])
        bad = [s for s in leave_alone if s not in STATUS_LABELS_BY_VALUE]
        if bad:
            raise InvalidInputError(
                [FieldProblem("leave_alone", f"未知状态 {bad}；可选 {', '.join(STATUS_LABELS_BY_VALUE)}")]
            )
        source = conn if conn is not None else self.db
        rows = self.repo.decision_rows(source, group.id)
        late_only = group.batch_status == "decided"
        if late_only:
            rows = [r for r in rows if not r["decided"]]
            if not rows:
                raise ConflictError(f"类案组 {group.id} 已作出批量决定，且没有后加入的案件")
        keep = sorted(set(leave_alone))
        change = [
            PreviewCase(r["id"], r["external_no"], r["status"])
            for r in rows
            if r["status"] != status and r["status"] not in keep
        ]
        left = [
            PreviewCase(r["id"], r["external_no"], r["status"])
            for r in rows
            if r["status"] != status and r["status"] in keep
        ]
        same = [PreviewCase(r["id"], r["external_no"], r["status"]) for r in rows if r["status"] == status]
        digest = hashlib.sha256(
            json.dumps(
                [
                    group.id,
                    status,
                    keep,
                    late_only,
                    self.repo.last_decision_id(source, group.id),
                    [(r["id"], r["status"]) for r in rows],
                ]
            ).encode()
        ).hexdigest()[:32]
        by: dict[str, int] = {}
        for c in change:
            by[c.status] = by.get(c.status, 0) + 1
        label = STATUS_LABELS_BY_VALUE[status]
        among = "、".join(
            f"{by[s]} 件{STATUS_LABELS_BY_VALUE[s]}" for s in ("closed", "unresolved", "resolved") if by.get(s)
        )
        which = "后加入的" if late_only else ""
        detail = f"（其中 {among}）" if among else ""
        message = f"将把 {len(change)} 件{which}案件{detail}状态改为{label}"
        if left:
            kept: dict[str, int] = {}
            for c in left:
                kept[c.status] = kept.get(c.status, 0) + 1
            message += (
                "；保留 " + "、".join(f"{n} 件{STATUS_LABELS_BY_VALUE[s]}" for s, n in sorted(kept.items())) + "不变"
            )
        if same:
            message += f"；{len(same)} 件已是{label}"
        return BatchPreview(group.id, status, label, keep, late_only, change, left, same, by, message, digest)

    def preview(
        self, group_id: int, status: str, leave_alone: list[str] | None = None, actor: Principal = SYSTEM
    ) -> BatchPreview:
        """Exactly what ``decide`` with the same arguments would change, with a token that ``decide``
        requires: a group whose members or statuses changed since is refused."""
        group = self._editable_for_decision(group_id, actor)
        return self._preview(None, group, status, list(leave_alone or []))

    def _editable_for_decision(self, group_id: int, actor: Principal) -> Group:
        group = self._editable(group_id, actor, "groups:decide")
        if group.batch_status not in ("handling", "decided"):
            raise ConflictError("请先启动批量处理（指定主责单位和政策意见）")
        return group

    def decide(
        self,
        group_id: int,
        decision: str,
        status: str,
        actor: Principal = SYSTEM,
        *,
        token: str | None = None,
        reply: str | None = None,
        leave_alone: list[str] | None = None,
        replies: dict[int, str] | None = None,
    ) -> dict[str, Any]:
        """Apply a previewed batch decision in ONE transaction: exactly the previewed cases change, each
        with a recorded move dated now (a concluded case takes today as its resolution date) and a
        reply (答复) per covered case; refused when the group changed since the preview. On a decided
        group it covers the members who joined after the decision (后加入), by the same policy."""
        group = self._editable_for_decision(group_id, actor)
        text = _text("decision", decision, 4000) or ""
        answer = _text("reply", reply, 4000, required=False) or text
        if not token:
            raise InvalidInputError([FieldProblem("token", "请先预览批量决定，确认将变更的案件后再应用")])
        moment = self.kernel.clock.now()
        when, today = stamp(moment), self.kernel.clock.today().isoformat()
        extra = replies or {}
        with self.db.transaction() as conn:
            seen = self._preview(conn, group, status, list(leave_alone or []))
            if seen.token != token:
                raise ConflictError("类案组在预览之后发生了变化（成员或案件状态），请重新预览后再应用")
            covered = {c.case_id for c in seen.change} | {c.case_id for c in seen.same}
            unknown = sorted(set(extra) - covered)
            if unknown:
                raise InvalidInputError([FieldProblem("replies", f"案件 {unknown} 不在本次决定范围内")])
            members = [
                *[
                    (c.case_id, c.status, status, _text("replies", extra.get(c.case_id), 4000, False) or answer)
                    for c in seen.change
                ],
                *[
                    (c.case_id, c.status, None, _text("replies", extra.get(c.case_id), 4000, False) or answer)
                    for c in seen.same
                ],
                *[(c.case_id, c.status, None, None) for c in seen.left],
            ]
            special = special_store.special_group_of(conn, group_id)
            decision_id = self.repo.record_decision(
                conn, group, text, status, actor.username, members, when, token, seen.leave_alone, special
            )
            concludes = status in (Status.resolved, Status.closed)
            note = f"批量决定 #{decision_id}：{text}"
            # The cases change through the case repository (groups never write the cases table), and
            # each change is one recorded move of the lifecycle, dated now: nothing is back-dated.
            self.kernel.cases.set_decided_status(
                conn, [(c.case_id, status, today if concludes else None) for c in seen.change], note
            )
            stages = {int(r["id"]): str(r["stage"]) for r in self.repo.decision_rows(conn, group_id)}
            lifecycle_store.record_many(
                conn,
                [
                    TransitionRow(
                        c.case_id,
                        "batch_decision",
                        stages[c.case_id],
                        stages[c.case_id],
                        actor.username,
                        getattr(actor, "unit", None),
                        when,
                        f"{note}（{STATUS_LABELS_BY_VALUE[c.status]}→{seen.status_label}）",
                        next(m[3] for m in members if m[0] == c.case_id),
                    )
                    for c in seen.change
                ],
            )
            self.repo.update(conn, group_id, actor.username, batch_status="decided")
            self.repo.edit(
                conn,
                group_id,
                "decision",
                actor.username,
                decision_id=decision_id,
                status=status,
                changed=len(seen.change),
                left_alone=len(seen.left),
                late=seen.late_only,
            )
        return {
            "decision_id": decision_id,
            "group_id": group_id,
            "status": status,
            "cases": len(seen.change),
            "left_alone": len(seen.left),
            "unchanged": len(seen.same),
            "changed_ids": [c.case_id for c in seen.change],
            "late": seen.late_only,
            "message": seen.message.replace("将把", "已把", 1),
        }

    def late_members(self, group_id: int) -> set[int]:
        """Members of a decided group that no decision covered: they joined after it (后加入)."""
        group = self.repo.get(group_id)
        if group is None or group.batch_status != "decided":
            return set()
        return {int(r["id"]) for r in self.repo.decision_rows(self.db, group_id) if not r["decided"]}

    def decisions(self, group_id: int, actor: Principal = SYSTEM) -> list[dict[str, Any]]:
        """The group's decisions, each with its cases (previous / new status, reply, when it changed)."""
        self.get(group_id, actor)
        out = []
        for d in self.repo.history(group_id)["decisions"]:
            rows = [dict(r) for r in self.repo.decision_cases(int(d["id"]))]
            cases = self._visible_rows(rows, actor)
            if not actor.scope.provincial:
                # A unit reads the decision as it touched its own cases: the count follows the rows.
                d = {**d, "n_cases": len(cases)}
            out.append({**d, "left_alone": json.loads(d.get("left_alone") or "[]"), "cases": cases})
        return out

    def _visible_rows(self, rows: list[dict[str, Any]], actor: Principal) -> list[dict[str, Any]]:
        """Those of ``rows`` (each with a ``case_id``) whose case is within the actor's scope."""
        if actor.scope.provincial:
            return rows
        visible = self.kernel.visible_ids(actor, {int(r["case_id"]) for r in rows})
        return [r for r in rows if int(r["case_id"]) in visible]

    def _scoped_history(self, group_id: int, actor: Principal) -> dict[str, list[dict[str, Any]]]:
        """The group's history with other units' case ids left out of the edits' details."""
        history = self.repo.history(group_id)
        if actor.scope.provincial:
            return history
        named = {int(i) for e in history["edits"] for i in _edit_case_ids(e["detail"])}
        visible = self.kernel.visible_ids(actor, named)
        for edit in history["edits"]:
            detail = edit["detail"]
            if "cases" in detail:
                detail["cases"] = [i for i in detail["cases"] if int(i) in visible]
            if "case_id" in detail and int(detail["case_id"]) not in visible:
                detail["case_id"] = None
        return history


def _edit_case_ids(detail: dict[str, Any]) -> list[int]:
    """The case ids an edit's detail names (``cases`` of a split, ``case_id`` of an unassign)."""
    ids = [int(i) for i in detail.get("cases") or []]
    if detail.get("case_id") is not None:
        ids.append(int(detail["case_id"]))
    return ids
