"""AssignmentService: dual assignment v2, handlers, queues and workload (``service.assignments``).

Every method that acts for someone takes ``actor`` and checks, here and nowhere else, the permission,
the unit scope (a case outside it is "not found"), and the unit rule of the step: only the assigning
level re-assigns, only the assigned unit's accounts sign, return and answer, a hand-over stays inside
the unit. Every change is one transaction that also appends its row to the case's handling history,
stamped by ``kernel.clock``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kb.clock import stamp
from kb.domain import Case
from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.fields import STATUS_LABELS, Status
from kb.kernel import Kernel
from kb.users import ROLE_LABELS, SYSTEM, Principal, UserStore
from kb.workflow import assignment_store as store
from kb.workflow import queues
from kb.workflow.assignments import (
    KINDS,
    Assignment,
    Plan,
    acts_for,
    check_answer,
    check_may_assign,
    check_reason,
    check_step,
    check_unit_member,
    own_unit,
    plan,
    units_of,
)
from kb.workflow.inbox import InboxItem, masked_line

ACTION_LABELS = {
    "assigned": "交办",
    "ended": "撤销交办",
    "lead": "调整主责单位",
    "signed": "签收",
    "returned": "退回",
    "answered": "答复",
    "handler": "经办人",
    "closed": "交办关闭",
}
REASSIGNED = "重新交办，原交办撤销"
WORKLOAD_BY = ("unit", "user")
# How a status change came (kb/storage/cases.py sources), as the closing reason says it.
CONCLUDED_BY = {"batch": "（类案批量决定）", "lifecycle": "（办理流程）", "edit": "（案件编辑）", "import": "（导入）"}


@dataclass(frozen=True)
class Handler:
    case_id: int
    unit: str
    username: str
    since: str
    by: str


@dataclass(frozen=True)
class HandlingEvent:
    id: int
    case_id: int
    assignment_id: int | None
    unit: str | None
    action: str
    detail: str | None  # masked
    actor: str
    actor_unit: str | None
    at: str

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


@dataclass(frozen=True)
class Workload:
    by: str
    units: list[queues.UnitLoad]
    users: list[queues.UserLoad]


def to_assignment(row: sqlite3.Row, petitioner_name: str | None = None) -> Assignment:
    data: dict[str, Any] = dict(row)
    data["lead"], data["active"] = bool(data["lead"]), bool(data["active"])
    data["resolved"] = None if data["resolved"] is None else bool(data["resolved"])
    for name in ("return_reason", "outcome_text", "guidance"):
        if data[name]:
            data[name] = masked_line(data[name], petitioner_name)
    return Assignment(**data)


class AssignmentService:
    def __init__(self, kernel: Kernel, users: UserStore) -> None:
        self.kernel, self.db, self.users = kernel, kernel.db, users
        kernel.cases.conclusion_listeners.append(self.close_on_conclusion)

    # -- a concluded case leaves the 待签收 queues --------------------------------------------------------
    def close_on_conclusion(self, conn: sqlite3.Connection, changes: Sequence[tuple[int, str, str, str]]) -> None:
        """Inside the transaction that changed the cases: an assignment still awaiting 签收 on a case now
        concluded (its stage 终结, or its status one of ``settings.resolved_statuses``: 依法终结, a batch
        decision, a resolution) is closed — ended by the system with the reason and the time, kept in
        the case's history, never deleted — so it leaves every 待签收 queue. ``changes`` are
        (case id, "status" | "stage", new value, source) rows (kb/storage/cases.py)."""
        resolved = set(self.kernel.settings.resolved_statuses)
        reasons: dict[int, str] = {}
        for case_id, what, value, source in changes:
            if what == "stage" and value == "concluded":
                reasons.setdefault(case_id, "案件已终结，待签收交办关闭")
            elif what == "status" and value in resolved:
                via = CONCLUDED_BY.get(source, "")
                reasons.setdefault(case_id, f"案件{STATUS_LABELS[Status(value)]}{via}，待签收交办关闭")
        if not reasons:
            return
        at = stamp(self.kernel.clock.now())
        for r in store.pending_sign_of(conn, list(reasons)):
            why = reasons[int(r["case_id"])]
            store.end_assignment(conn, int(r["id"]), SYSTEM.username, at, why)
            store.add_event(conn, int(r["case_id"]), int(r["id"]), r["unit"], "closed", why, SYSTEM.username, None, at)

    # -- reads -----------------------------------------------------------------------------------------
    def history(self, case_id: int, actor: Principal = SYSTEM) -> list[Assignment]:
        """Every assignment of the case, ended ones included (oldest first)."""
        actor.require("workflow:read")
        case = self.kernel.get_case(case_id, actor)
        return [to_assignment(r, case.petitioner_name) for r in store.assignment_rows(self.db, case_id)]

    def get(self, assignment_id: int, actor: Principal = SYSTEM) -> Assignment:
        actor.require("workflow:read")
        return self._visible(self.db, assignment_id, actor)[0]

    def case_view(self, case_id: int, actor: Principal = SYSTEM) -> dict[str, Any]:
        """What the case's workflow view shows of its handling: the active assignments with every unit's
        record (so the lead unit's handler sees the others'), the handlers and the history."""
        actor.require("workflow:read")
        case = self.kernel.get_case(case_id, actor)
        return {
            "assignments": [to_assignment(r, case.petitioner_name) for r in store.active_assignments(self.db, case_id)],
            "handlers": [Handler(**dict(r)) for r in store.handler_rows(self.db, case_id)],
            "history": self._events(case),
        }

    def events(self, case_id: int, actor: Principal = SYSTEM) -> list[HandlingEvent]:
        actor.require("workflow:read")
        return self._events(self.kernel.get_case(case_id, actor))

    def handlers(self, case_id: int, actor: Principal = SYSTEM) -> list[Handler]:
        actor.require("workflow:read")
        self.kernel.get_case(case_id, actor)
        return [Handler(**dict(r)) for r in store.handler_rows(self.db, case_id)]

    # -- 交办 --------------------------------------------------------------------------------------------
    def assign(
        self,
        case_id: int,
        *,
        locality: str | None = None,
        departments: Sequence[str] = (),
        lead: str | None = None,
        note: str | None = None,
        actor: Principal = SYSTEM,
    ) -> list[Assignment]:
        """Replace the case's active assignees; unchanged ones stay (with their signing), others end.

        Assigning a locality puts the case in that locality's scope (``cases.city``, and
        ``cases.district`` for a district); the lead department becomes ``cases.department``.
        Every new assignment waits for its unit's 签收 by ``sign_days`` from now.
        """
        actor.require("workflow:write")
        case = self.kernel.get_case(case_id, actor)
        wanted = plan(self.kernel.units, locality, departments, lead)
        with self.db.transaction() as conn:
            current = [to_assignment(r) for r in store.active_assignments(conn, case_id)]
            check_may_assign(actor, current, wanted, self.kernel.units)
            self._apply(conn, case, current, wanted, note, actor)
        # An assigner whose scope the case has left (a division assigning outside its cities) sees none.
        return self.history(case_id, actor) if self._still_visible(case_id, actor) else []

    def _apply(
        self,
        conn: sqlite3.Connection,
        case: Case,
        current: list[Assignment],
        wanted: Plan,
        note: str | None,
        actor: Principal,
    ) -> None:
        now = self.kernel.clock.now()
        at, unit = stamp(now), own_unit(actor)
        sign_due = (now.date() + dt.timedelta(days=self.kernel.settings.sign_days)).isoformat()
        targets = {(t.kind, t.unit): t for t in wanted.targets}
        kinds = {t.kind for t in wanted.targets}

        def event(aid: int | None, to: str, action: str, detail: str | None) -> None:
            store.add_event(conn, case.id, aid, to, action, detail, actor.username, unit, at)

        for a in current:
            target = targets.get((a.kind, a.unit))
            if target is not None and a.status != "returned":
                del targets[(a.kind, a.unit)]  # unchanged: keeps its signing and answer
                if target.lead != a.lead:
                    store.set_lead(conn, a.id, target.lead)
                    event(a.id, a.unit, "lead", "改为主责单位" if target.lead else "不再为主责单位")
            elif a.kind in kinds:
                store.end_assignment(conn, a.id, actor.username, at, REASSIGNED)
                store.drop_handler(conn, case.id, a.unit)
                event(a.id, a.unit, "ended", REASSIGNED)
        for t in targets.values():
            aid = store.add_assignment(conn, case.id, t.kind, t.unit, t.lead, note, actor.username, unit, at, sign_due)
            role = KINDS[t.kind] + ("，主责单位" if t.lead else "")
            event(aid, t.unit, "assigned", f"交办{t.unit}（{role}），请于 {sign_due} 前签收")
        if wanted.lead:
            self.kernel.cases.set_department(conn, case.id, wanted.lead)
        if wanted.locality is not None:
            self._place(conn, case, wanted.locality.name)

    def _place(self, conn: sqlite3.Connection, case: Case, locality: str) -> None:
        """The case moves into its locality's scope: its city, and its district when one is named
        (a district of another city is cleared)."""
        catalog = self.kernel.units
        city = catalog.city_of(locality) or locality
        if locality != city:
            district: str | None = locality
        else:
            district = case.district if case.district and catalog.city_of(case.district) == city else None
        self.kernel.cases.set_locality(conn, case.id, city, district)

    def _still_visible(self, case_id: int, actor: Principal) -> bool:
        try:
            self.kernel.get_case(case_id, actor)
        except NotFoundError:
            return False
        return True

    # -- 签收 / 退回 / 答复 ------------------------------------------------------------------------------
    def sign(self, assignment_id: int, actor: Principal = SYSTEM) -> Assignment:
        """The assigned unit signs for the assignment; the signer becomes the unit's handler unless the
        unit already has one."""
        actor.require("workflow:write")
        with self.db.transaction() as conn:
            a, _ = self._visible(conn, assignment_id, actor)
            check_unit_member(actor, a, "sign", self.kernel.units)
            check_step(a, "sign")
            at = stamp(self.kernel.clock.now())
            store.set_signed(conn, a.id, actor.username, at)
            self._event(conn, a, "signed", None, actor, at)
            if store.handler_of(conn, a.case_id, a.unit) is None:
                store.set_handler(conn, a.case_id, a.unit, actor.username, actor.username, at)
                self._event(conn, a, "handler", f"签收人 {actor.username} 为本单位经办人", actor, at)
        return self.get(assignment_id, actor)

    def return_assignment(self, assignment_id: int, reason: str | None, actor: Principal = SYSTEM) -> Assignment:
        """The assigned unit returns the assignment, with a reason, to the unit that made it; it stays
        on the case (marked 已退回) until the assigning level re-assigns."""
        actor.require("workflow:write")
        text = check_reason(reason)
        with self.db.transaction() as conn:
            a, _ = self._visible(conn, assignment_id, actor)
            check_unit_member(actor, a, "return", self.kernel.units)
            check_step(a, "return")
            at = stamp(self.kernel.clock.now())
            store.set_returned(conn, a.id, actor.username, at, text)
            self._event(conn, a, "returned", text, actor, at)
        return self.get(assignment_id, actor)

    def answer(
        self, assignment_id: int, text: str | None, resolved: bool | None = None, actor: Principal = SYSTEM
    ) -> Assignment:
        """A signed locality records its 化解情况 (and whether it was resolved), a department its
        指导意见; a later answer replaces the current one, both stay in the history."""
        actor.require("workflow:write")
        with self.db.transaction() as conn:
            a, _ = self._visible(conn, assignment_id, actor)
            check_unit_member(actor, a, "answer", self.kernel.units)
            check_step(a, "answer")
            body = check_answer(a, text, resolved)
            at = stamp(self.kernel.clock.now())
            locality = a.kind == "locality"
            store.set_answer(
                conn,
                a.id,
                outcome_text=body if locality else None,
                resolved=resolved if locality else None,
                guidance=None if locality else body,
                actor=actor.username,
                stamp=at,
            )
            label = ("化解情况（已化解）" if resolved else "化解情况（未化解）") if locality else "指导意见"
            self._event(conn, a, "answered", f"{label}：{body}", actor, at)
        return self.get(assignment_id, actor)

    # -- 经办人 --------------------------------------------------------------------------------------------
    def set_handler(
        self, case_id: int, username: str, unit: str | None = None, actor: Principal = SYSTEM
    ) -> list[Handler]:
        """Hand the case over to another user of the same unit (the actor's unit unless named)."""
        actor.require("workflow:write")
        case = self.kernel.get_case(case_id, actor)
        catalog = self.kernel.units
        name = (unit or "").strip() or own_unit(actor)
        if not name:
            raise InvalidInputError([FieldProblem("unit", "请指定经办单位")])
        known = catalog.get(name)
        name = known.name if known else name
        if not acts_for(actor, name, catalog):
            raise PermissionDeniedError(f"只有{name}的账号可以指定本单位的经办人")
        target = self.users.by_username(username.strip())
        if target is None:
            raise InvalidInputError([FieldProblem("username", f"用户“{username}”不存在")])
        if not acts_for(target, name, catalog):
            raise InvalidInputError(
                [FieldProblem("username", f"用户“{target.username}”不属于{name}，只能移交给本单位的账号")]
            )
        if not target.can("workflow:write"):
            role = ROLE_LABELS.get(target.role, target.role)
            raise InvalidInputError([FieldProblem("username", f"用户“{target.username}”的角色（{role}）不能经办案件")])
        with self.db.transaction() as conn:
            self._check_unit_on_case(conn, case, name)
            before = store.handler_of(conn, case_id, name)
            if before != target.username:
                at = stamp(self.kernel.clock.now())
                store.set_handler(conn, case_id, name, target.username, actor.username, at)
                detail = f"{before or '（无）'} → {target.username}"
                store.add_event(conn, case_id, None, name, "handler", detail, actor.username, own_unit(actor), at)
        return self.handlers(case_id, actor)

    def _check_unit_on_case(self, conn: sqlite3.Connection, case: Case, unit: str) -> None:
        """A unit handles a case assigned to it and not returned by it; a case not assigned to it at
        all, only when it is the case's own city, district or department."""
        own = [r for r in store.active_assignments(conn, case.id) if r["unit"] == unit]
        if own:
            handles = any(r["status"] != "returned" for r in own)
        else:
            handles = unit in (case.city, case.district, case.department)
        if not handles:
            raise ConflictError(f"本案未交办{unit}办理（或已退回），不能指定经办人")

    # -- queues and workload -----------------------------------------------------------------------------
    def queue(self, actor: Principal = SYSTEM) -> queues.Queue:
        """My queues: 待签收 (my unit's assignments awaiting 签收), 待办 (open cases I handle), and of
        those, 即将超期 and 已超期."""
        actor.require("workflow:read")
        return self._queue(actor, self._pending(actor))

    def workload(self, by: str = "unit", actor: Principal = SYSTEM) -> Workload:
        """Workload per assigned unit or per handling user, over the cases the actor may see."""
        actor.require("workflow:read")
        if by not in WORKLOAD_BY:
            raise InvalidInputError([FieldProblem("by", "应为 unit（按单位）或 user（按经办人）")])
        today = self.kernel.clock.today()
        scope = actor.scope.sql("c")
        if by == "unit":
            return Workload(by, queues.unit_loads(store.workload_by_unit(self.db, today.isoformat(), scope)), [])
        near = (today + dt.timedelta(days=self.kernel.settings.near_due_days)).isoformat()
        return Workload(by, [], queues.user_loads(store.workload_by_user(self.db, today.isoformat(), near, scope)))

    def inbox_items(self, actor: Principal) -> list[InboxItem]:
        """The inbox source of dual assignment: assignments awaiting my unit's 签收, returns of
        assignments my unit made, and the near-due and overdue entries of my queue."""
        if not actor.can("workflow:read"):
            return []
        pending = self._pending(actor)
        items = queues.sign_items(pending)
        if actor.can("workflow:write"):
            scope = actor.scope.sql("c")
            items += queues.returned_items(store.returned_to(self.db, own_unit(actor), actor.scope.provincial, scope))
        near_days = self.kernel.settings.near_due_days
        return items + queues.deadline_items(self._queue(actor, pending), near_days)

    def _pending(self, actor: Principal) -> list[sqlite3.Row]:
        return store.pending_for_units(self.db, units_of(actor, self.kernel.units), actor.scope.sql("c"))

    def _queue(self, actor: Principal, pending: list[sqlite3.Row]) -> queues.Queue:
        handled = store.handled_by(self.db, actor.username, actor.scope.sql("c"))
        return queues.build_queue(pending, handled, self.kernel.clock.today(), self.kernel.settings.near_due_days)

    # -- helpers -------------------------------------------------------------------------------------------
    def _visible(self, source: store.Source, assignment_id: int, actor: Principal) -> tuple[Assignment, Case]:
        """The assignment and its case, if the actor may see the case; otherwise "not found"."""
        row = store.assignment(source, assignment_id)
        case = self.kernel.cases.get(int(row["case_id"])) if row is not None else None
        if row is None or case is None or not self._still_visible(case.id, actor):
            raise NotFoundError(f"交办记录 {assignment_id} 不存在")
        return to_assignment(row, case.petitioner_name), case

    def _event(
        self, conn: sqlite3.Connection, a: Assignment, action: str, detail: str | None, actor: Principal, at: str
    ) -> None:
        store.add_event(conn, a.case_id, a.id, a.unit, action, detail, actor.username, own_unit(actor), at)

    def _events(self, case: Case) -> list[HandlingEvent]:
        out = []
        for r in store.event_rows(self.db, case.id):
            data = dict(r)
            data["detail"] = masked_line(data["detail"], case.petitioner_name) if data["detail"] else None
            out.append(HandlingEvent(**data))
        return out
