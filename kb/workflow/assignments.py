"""双向交办 rules: who may assign, which units, and each assignment's 签收 / 退回 / 答复 steps.

A case is assigned to a locality (属地: a city or a district) that resolves it and to provincial
departments (行业部门) that give policy guidance, one of them the lead (主责单位). Each assigned unit
signs for its assignment (签收) or returns it with a reason (退回) within ``settings.sign_days``; a
signed locality records its 化解 outcome, a signed department its 指导意见. Only the assigning level
re-assigns: a provincial account, a supervisor, or an account of the unit that made the current
assignments. The SQL is in ``kb.workflow.assignment_store``; ``AssignmentService`` applies these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kb.errors import ConflictError, FieldProblem, InvalidInputError, PermissionDeniedError
from kb.units.catalog import Unit, UnitCatalog
from kb.users import Principal

KINDS = {"locality": "属地", "department": "行业部门"}
STATUS_LABELS = {"pending_sign": "待签收", "signed": "已签收", "returned": "已退回"}
# Unit kinds each assignment kind accepts from the catalog.
LOCALITY_KINDS = ("city", "district")
DEPARTMENT_KINDS = ("department", "zhengfa_body")
# The steps open from each status (an answer may be revised: each revision is kept in the history).
STEPS = {"pending_sign": ("sign", "return"), "signed": ("answer",), "returned": ()}
STEP_LABELS = {"sign": "签收", "return": "退回", "answer": "答复"}
PROVINCIAL_LEVEL = "省级"


@dataclass
class Assignment:
    id: int
    case_id: int
    kind: str
    unit: str
    lead: bool
    active: bool
    note: str | None
    assigned_by: str
    assigned_at: str
    ended_by: str | None
    ended_at: str | None
    status: str = "pending_sign"
    sign_due: str | None = None
    signed_by: str | None = None
    signed_at: str | None = None
    returned_by: str | None = None
    returned_at: str | None = None
    return_reason: str | None = None
    outcome_text: str | None = None
    resolved: bool | None = None
    guidance: str | None = None
    answered_by: str | None = None
    answered_at: str | None = None
    assigned_by_unit: str | None = None
    end_reason: str | None = None
    handler: str | None = None

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def assigning_level(self) -> str:
        """Who made the assignment, as staff read it: the unit, or 省级."""
        return self.assigned_by_unit or PROVINCIAL_LEVEL


@dataclass(frozen=True)
class Target:
    """One wanted assignment: kind, canonical unit name, whether it is the lead."""

    kind: str
    unit: str
    lead: bool = False


@dataclass(frozen=True)
class Plan:
    """A validated assignment request: the targets, the locality's unit and the lead department."""

    targets: tuple[Target, ...]
    locality: Unit | None
    lead: str | None


def plan(catalog: UnitCatalog, locality: str | None, departments: Iterable[str], lead: str | None) -> Plan:
    """Validate every unit against the catalog (aliases give the canonical name) and the lead rule.

    All problems are reported together, each naming its field, the unknown unit and the closest
    known ones. With several departments one must be named ``lead``; with one, it is the lead.
    """
    problems: list[FieldProblem] = []

    def unit(name: str, field: str, kinds: tuple[str, ...]) -> Unit | None:
        try:
            return catalog.require(name.strip(), field, kinds)
        except InvalidInputError as exc:
            problems.extend(exc.problems)
            return None

    place = unit(locality, "locality", LOCALITY_KINDS) if locality and locality.strip() else None
    names = [d for d in dict.fromkeys(d.strip() for d in departments if d and d.strip())]
    found = [unit(d, "departments", DEPARTMENT_KINDS) for d in names]
    depts = list(dict.fromkeys(u.name for u in found if u is not None))
    lead_unit = unit(lead, "lead", DEPARTMENT_KINDS) if lead and lead.strip() else None
    if not (locality and locality.strip()) and not names:
        problems.append(FieldProblem("locality", "属地和行业部门至少指定一个"))
    if lead_unit is not None and depts and lead_unit.name not in depts:
        problems.append(FieldProblem("lead", f"主责单位“{lead_unit.name}”须是所列行业部门之一"))
    if len(names) > 1 and lead_unit is None and not (lead and lead.strip()):
        problems.append(FieldProblem("lead", "涉及多个部门时须指定其中之一为主责单位"))
    if problems:
        raise InvalidInputError(problems)
    chosen = depts[0] if len(depts) == 1 else (lead_unit.name if lead_unit else None)
    targets = [Target("department", d, d == chosen) for d in depts]
    if place is not None:
        targets.append(Target("locality", place.name))
    return Plan(tuple(targets), place, chosen)


# -- who acts for which unit ------------------------------------------------------------------------------
def own_unit(actor: Principal) -> str | None:
    """The account's unit (a city account's unit is its city)."""
    return actor.unit or actor.scope.unit


def units_of(actor: Principal, catalog: UnitCatalog) -> frozenset[str]:
    """The units whose assignments this account signs, returns and answers: its own unit and, for a
    city's account, that city's districts and counties."""
    unit = own_unit(actor)
    if unit is None:
        return frozenset()
    known = catalog.get(unit)
    if known is None:
        return frozenset({unit})
    names = {known.name}
    if known.kind == "city":
        names.update(d.name for d in catalog.districts_of(known.name))
    return frozenset(names)


def acts_for(actor: Principal, unit: str, catalog: UnitCatalog) -> bool:
    return unit in units_of(actor, catalog)


def may_reassign_anything(actor: Principal) -> bool:
    """The provincial level and supervisors may re-assign any case they see."""
    return actor.scope.provincial or actor.role == "supervisor"


def check_may_assign(actor: Principal, current: Iterable[Assignment], wanted: Plan, catalog: UnitCatalog) -> None:
    """Only the assigning level re-assigns; a unit assigns on its own only within its own area.

    ``current`` are the case's active assignments. A provincial account or a supervisor may do
    anything. Any other account may change a case's assignments only when its own unit made every
    current one, and may only assign its own city or that city's districts (no departments): a
    city cannot pass its case to another city or to a provincial department.
    """
    if may_reassign_anything(actor):
        return
    mine = own_unit(actor)
    others = sorted({a.assigning_level for a in current if a.assigned_by_unit is None or a.assigned_by_unit != mine})
    if others:
        raise PermissionDeniedError(
            f"本案由{'、'.join(others)}交办，只有交办单位或督查督办人员可以重新交办；"
            "如认为不属本单位办理，请在签收前退回并说明理由"
        )
    home = catalog.city_of(mine) if mine else None
    for target in wanted.targets:
        if target.kind != "locality" or home is None or catalog.city_of(target.unit) != home:
            where = f"{home}及其区县" if home else "本单位"
            raise PermissionDeniedError(
                f"{mine or '本账号'}只能在本地区内交办（{where}），不能交办给{target.unit}；"
                "跨地区或向省直部门交办须由省级或督查督办人员办理"
            )


# -- the steps of one assignment ---------------------------------------------------------------------------
def check_step(assignment: Assignment, step: str) -> None:
    """Refuse a step the assignment's status does not allow, naming the steps that are allowed."""
    if not assignment.active:
        why = assignment.end_reason or "已重新交办"
        raise ConflictError(f"该交办已于 {assignment.ended_at} 结束（{why}），不能{STEP_LABELS[step]}")
    allowed = STEPS[assignment.status]
    if step not in allowed:
        options = "、".join(STEP_LABELS[s] for s in allowed) or "无（等待交办单位重新交办）"
        raise ConflictError(f"该交办当前为“{assignment.status_label}”，不能{STEP_LABELS[step]}；当前可进行：{options}")


def check_unit_member(actor: Principal, assignment: Assignment, step: str, catalog: UnitCatalog) -> None:
    if not acts_for(actor, assignment.unit, catalog):
        raise PermissionDeniedError(f"只有{assignment.unit}的账号可以{STEP_LABELS[step]}此交办")


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInputError([FieldProblem("reason", "退回须说明理由")])
    return text


def check_answer(assignment: Assignment, text: str | None, resolved: bool | None) -> str:
    """A locality answers with its 化解情况 and whether it was resolved; a department with 指导意见."""
    body = (text or "").strip()
    problems = []
    label = "化解情况" if assignment.kind == "locality" else "指导意见"
    if not body:
        problems.append(FieldProblem("text", f"请填写{label}"))
    if assignment.kind == "locality" and resolved is None:
        problems.append(FieldProblem("resolved", "属地答复须说明是否已化解"))
    if assignment.kind == "department" and resolved is not None:
        problems.append(FieldProblem("resolved", "行业部门答复为指导意见，不填写是否化解"))
    if problems:
        raise InvalidInputError(problems)
    return body
