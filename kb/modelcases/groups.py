"""Optional bridge to homogeneous case groups (``kb.groups``): what promotion and look-up need of a group.

The groups feature is optional here: without it (or before its tables exist) group paths answer
with a clear error, and everything else keeps working.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kb.errors import FieldProblem, InvalidInputError, NotFoundError
from kb.groups.service import GroupService
from kb.kernel import Kernel
from kb.modelcases.masking import mask_case_text
from kb.users import Principal


@dataclass
class GroupBasis:
    id: int
    name: str
    keywords: list[str]
    case_ids: list[int]
    representatives: list[int]
    category: str | None
    department: str | None
    decision: str
    summary: str
    texts: list[str] = field(default_factory=list)


def group_basis(groups: GroupService | None, group_id: str | int, actor: Principal) -> GroupBasis:
    """A group as the actor may see it (members outside their scope left out), with its last decision."""
    if groups is None:
        raise InvalidInputError([FieldProblem("group_id", "类案分组功能未启用")])
    try:
        gid = int(group_id)
    except ValueError:
        raise InvalidInputError([FieldProblem("group_id", "类案组编号应为整数")]) from None
    group = groups.get(gid, actor)
    members, _ = groups.members(gid, actor, limit=100_000)
    visible = {c.id: c for c in members}  # GroupService.members lists only cases within the actor's scope
    if not visible:
        raise NotFoundError(f"类案组 {group_id} 不存在")
    decisions: Any = groups.repo.history(gid).get("decisions", [])
    last = decisions[-1] if decisions else {}
    decision = "\n".join(s for s in (last.get("decision"), last.get("policy_note") or group.policy_note) if s)
    categories = Counter(c.category for c in visible.values() if c.category)
    departments = Counter(c.department for c in visible.values() if c.department)
    reps = [r for r in group.representatives if r in visible] or sorted(visible)[:3]
    texts = [visible[r].text for r in reps[:3]]
    summary = f"类案组“{group.name}”共 {len(visible)} 件。关键词：{'、'.join(group.keywords[:10])}。"
    summary += "代表案件：" + " / ".join(mask_case_text(visible[r], visible[r].text[:300]) for r in reps[:3])
    department = last.get("lead_department") or group.lead_department
    return GroupBasis(
        id=gid,
        name=group.name,
        keywords=list(group.keywords),
        case_ids=sorted(visible),
        representatives=reps,
        category=categories.most_common(1)[0][0] if categories else None,
        department=department or (departments.most_common(1)[0][0] if departments else None),
        decision=decision,
        summary=summary,
        texts=texts,
    )


def group_of_case(groups: GroupService | None, case_id: int) -> str | None:
    """The group a case belongs to, if the groups feature is on."""
    if groups is None:
        return None
    gid = groups.repo.membership([case_id]).get(case_id)
    return None if gid is None else str(gid)


def group_vector(kernel: Kernel, basis: GroupBasis) -> np.ndarray | None:
    """The normalised mean of the members' stored vectors (the group's centre)."""
    stored = kernel.cases.vectors_for(kernel.encoder.name, basis.case_ids[:2000])
    if not stored:
        return None
    mean = np.mean(np.vstack(list(stored.values())), axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None
