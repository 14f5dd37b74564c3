"""ModelCaseService: create, edit (versioned), publish, retire, promote, diff; attached as ``service.modelcases``."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import ValidationError

from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from kb.groups.service import GroupService
from kb.kernel import Kernel
from kb.messages import problems_from
from kb.modelcases.domain import (
    FIELD_LABELS,
    FieldDiff,
    HistoryEvent,
    MCStatus,
    ModelCase,
    ModelCaseIn,
    ModelCaseUpdate,
)
from kb.modelcases.domain import VersionInfo as VersionInfo
from kb.modelcases.groups import group_basis
from kb.modelcases.index import ModelCaseIndex
from kb.modelcases.masking import mask_case_text
from kb.modelcases.store import ModelCaseRepository, dump
from kb.users import SYSTEM, Principal

PROMOTABLE = ("resolved", "closed")


def render_field(data: ModelCaseIn, name: str) -> str:
    """A field as readable text, one item per line: what the diff compares."""
    value = getattr(data, name)
    if name == "basis":
        return "\n".join(f"{b.name}：{b.point}" if b.point else b.name for b in value)
    if name == "steps":
        return "\n".join(f"{i}. {s}" for i, s in enumerate(value, start=1))
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


class ModelCaseService:
    """``groups`` is optional: without the groups feature, group paths answer with a clear error."""

    def __init__(self, kernel: Kernel, groups: GroupService | None = None) -> None:
        self.kernel, self.groups = kernel, groups
        self.db = kernel.db
        self.repo = ModelCaseRepository(kernel.db, kernel.clock)
        self.index = ModelCaseIndex(self.repo, kernel.cases, kernel.encoder, kernel.segmenter)
        # Model case -> score adjustment for a typed query's vector and tokens (composition root: kb.feedback).
        self.feedback_boosts: Callable[[np.ndarray, Sequence[str]], dict[int, float]] | None = None

    # -- reads -----------------------------------------------------------------------------------
    def resolve(self, ref: int | str) -> int:
        """A model case id from an id or a code."""
        if (isinstance(ref, int) or (ref.isascii() and ref.isdigit())) and self.repo.get(int(ref)) is not None:
            return int(ref)
        mc_id = self.repo.id_for_code(str(ref))
        if mc_id is None:
            raise NotFoundError(f"典型案例 {ref} 不存在")
        return mc_id

    def get(self, ref: int | str, actor: Principal = SYSTEM, version: int | None = None) -> ModelCase:
        """Reviewers (``modelcases:write``) see any version (default: latest); everyone else sees a
        published model case at its published version only. Drafting roles (handlers) may also open
        drafts and retired ones, which have no published version to show instead.
        """
        mc_id = self.resolve(ref)
        head = self.repo.get(mc_id)
        assert head is not None
        if not actor.can("modelcases:write"):
            if head.status == MCStatus.published:
                if version is not None and version != head.published_version:
                    raise NotFoundError(f"典型案例 {ref} 没有已发布的第 {version} 版")
                version = head.published_version
            elif not actor.can("modelcases:draft"):
                raise NotFoundError(f"典型案例 {ref} 不存在或未发布")
        found = self.repo.get(mc_id, version)
        if found is None:
            raise NotFoundError(f"典型案例 {ref} 没有第 {version} 版")
        return found

    def page(
        self,
        actor: Principal = SYSTEM,
        statuses: list[str] | None = None,
        category: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[ModelCase], int]:
        statuses = statuses or [MCStatus.published.value]
        bad = [s for s in statuses if s not in MCStatus.__members__]
        if bad:
            raise InvalidInputError([FieldProblem("status", "状态应为 draft、published 或 retired")])
        if statuses != [MCStatus.published.value]:
            actor.require("modelcases:draft")
        return self.repo.page(
            statuses, category, published_view=not actor.can("modelcases:write"), limit=limit, offset=offset
        )

    def history(self, ref: int | str, actor: Principal = SYSTEM) -> tuple[list[VersionInfo], list[HistoryEvent]]:
        actor.require("modelcases:draft")
        mc_id = self.resolve(ref)
        versions, events = self.repo.versions(mc_id), self.repo.events(mc_id)
        head = self.repo.get(mc_id)
        if not actor.can("modelcases:write") and head is not None and head.status == MCStatus.published:
            # Versions after the published one are unpublished edits: reviewers' business only.
            last = head.published_version or 0
            versions = [v for v in versions if v.version <= last]
            events = [e for e in events if e.version is None or e.version <= last]
        return versions, events

    def diff(self, ref: int | str, a: int, b: int, actor: Principal = SYSTEM) -> list[FieldDiff]:
        """Changed fields between versions ``a`` and ``b``, each with a unified line diff."""
        actor.require("modelcases:draft")
        old, new = self.get(ref, actor, a), self.get(ref, actor, b)
        out = []
        for name, label in FIELD_LABELS.items():
            before, after = render_field(old.data, name), render_field(new.data, name)
            if before == after:
                continue
            lines = list(
                difflib.unified_diff(before.splitlines(), after.splitlines(), f"第{a}版", f"第{b}版", lineterm="", n=1)
            )
            out.append(FieldDiff(name, label, before, after, lines))
        return out

    # -- writes ----------------------------------------------------------------------------------
    def create(self, data: ModelCaseIn, actor: Principal = SYSTEM, note: str = "新建") -> ModelCase:
        actor.require("modelcases:draft")
        if data.code is None:
            data = data.model_copy(update={"code": f"MC-{self.repo.next_id():05d}"})
        elif self.repo.id_for_code(data.code) is not None:
            raise ConflictError(f"典型案例编号 {data.code} 已存在")
        if data.source_case_ids:
            visible = self.kernel.visible_ids(actor, data.source_case_ids)
            missing = [c for c in data.source_case_ids if c not in visible]
            if missing:
                raise InvalidInputError([FieldProblem("source_case_ids", f"案件不存在：{missing[:5]}")])
        if data.author is None:
            data = data.model_copy(update={"author": actor.display_name or actor.username})
        with self.db.transaction() as conn:
            mc_id = self.repo.insert(conn, data, actor.username, note)
        return self.get(mc_id, SYSTEM)

    def update(self, ref: int | str, update: ModelCaseUpdate, actor: Principal = SYSTEM) -> ModelCase:
        """Apply an edit as a new version; a published model case keeps serving its published version."""
        actor.require("modelcases:draft")
        current = self.get(ref, SYSTEM)
        if current.published_version is not None or current.status != MCStatus.draft:
            actor.require("modelcases:write")
        changes = update.model_dump(mode="json", exclude_unset=True)
        note = changes.pop("note", "") or "修改"
        merged = {**dump(current.data), **changes}
        try:
            data = ModelCaseIn.model_validate(merged)
        except ValidationError as exc:
            raise InvalidInputError(problems_from(exc, None)) from None
        if data == current.data:
            return current
        with self.db.transaction() as conn:
            self.repo.add_version(conn, current.id, data, actor.username, note)
        return self.get(current.id, SYSTEM)

    def replace(self, mc_id: int, data: ModelCaseIn, actor: Principal, note: str) -> bool:
        """Store ``data`` as a new version if it differs from the latest (imports); True if it did."""
        current = self.get(mc_id, SYSTEM)
        if data.model_copy(update={"code": current.code}) == current.data:
            return False
        with self.db.transaction() as conn:
            self.repo.add_version(conn, mc_id, data.model_copy(update={"code": current.code}), actor.username, note)
        return True

    def publish(self, ref: int | str, actor: Principal = SYSTEM, version: int | None = None) -> ModelCase:
        """The reviewer step: serve ``version`` (default the latest) to handlers."""
        actor.require("modelcases:publish")
        mc = self.get(ref, SYSTEM, version)
        problems = mc.data.publish_problems()
        if problems:
            raise InvalidInputError(problems, "尚不能发布：" + "；".join(p.describe() for p in problems))
        with self.db.transaction() as conn:
            generation = self.repo.set_status(conn, mc.id, MCStatus.published, actor.username, mc.version)
        published = self.repo.get(mc.id, published=True)
        assert published is not None
        self.index.put([published], generation)
        return published

    def retire(self, ref: int | str, actor: Principal = SYSTEM, note: str = "") -> ModelCase:
        actor.require("modelcases:publish")
        mc = self.get(ref, SYSTEM)
        if mc.status == MCStatus.retired:
            raise ConflictError(f"典型案例 {mc.code} 已停用")
        with self.db.transaction() as conn:
            generation = self.repo.set_status(conn, mc.id, MCStatus.retired, actor.username, None)
            if note:
                self.repo.event(conn, mc.id, actor.username, "note", None, note)
        self.index.drop([mc.id], generation)
        return self.get(mc.id, SYSTEM)

    # -- promotion -------------------------------------------------------------------------------
    def promote_case(self, case_id: int, actor: Principal = SYSTEM) -> ModelCase:
        """A draft prefilled from a resolved case; personal data in its text is masked."""
        actor.require("modelcases:draft")
        case = self.kernel.get_case(case_id, actor)
        if case.status not in PROMOTABLE:
            raise InvalidInputError([FieldProblem("case_id", "只有已化解或已办结的案件可以转为典型案例")])

        note = mask_case_text(case, case.resolution_note)
        steps = [s.strip() for s in note.replace("；", "。").split("。") if len(s.strip()) > 3][:12]
        data = ModelCaseIn(
            title=(case.title or case.content[:40])[:200],
            summary=mask_case_text(case, case.content),
            category=case.category,
            lead_department=case.department,
            locality=case.city,
            approach=note,
            steps=steps,
            outcome=f"已化解（{case.resolved_date}）" if case.resolved_date else "",
            source_case_ids=[case.id],
        )
        return self.create(data, actor, note=f"由案件 {case.external_no} 转入")

    def promote_group(self, group_id: str, actor: Principal = SYSTEM) -> ModelCase:
        """A draft from a group's batch decision (needs the groups feature, see ``kb.modelcases.groups``)."""
        actor.require("modelcases:draft")
        g = group_basis(self.groups, group_id, actor)
        if not g.decision:
            raise InvalidInputError([FieldProblem("group_id", "该类案组尚无批量处理决定，不能转为典型案例")])
        data = ModelCaseIn(
            title=g.name[:200],
            summary=g.summary,
            category=g.category,
            lead_department=g.department,
            approach=g.decision,
            tags=g.keywords[:30],
            source_case_ids=g.case_ids[:500],
            group_ids=[str(group_id)],
        )
        return self.create(data, actor, note=f"由类案组 {group_id} 的批量处理决定转入")

    def stats(self) -> dict[str, Any]:
        return {s.value: self.repo.count(s.value) for s in MCStatus}
