"""催办 and 督办单: reminders and supervision orders to a unit about a case, answered in the system.

- A **reminder** (催办) goes to a unit of the catalog about a case the issuer can see, with a text;
  an account of the receiving unit answers it once (reply text, who, when).
- A **supervision order** (督办单) is issued by a supervisor or a provincial account to a unit, with a
  requirement and a deadline (a date after today by the service clock); it needs a reply. Its status
  is computed, never stored: 已回复 once answered, else 逾期未回复 after the deadline, else 待回复.
- Scope: an account sees the notices addressed to its unit or issued by its unit (or by itself); a
  provincial account sees them all. Replying needs an account of the receiving unit.

``inbox_items(db, actor)`` lists what waits for the actor (notices to its unit not yet answered, and
answers to what it issued) for the inbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kb.clock import stamp
from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.fields import LATEST_DATE
from kb.kernel import Kernel
from kb.privacy import mask_personal
from kb.storage.db import Database
from kb.users import SYSTEM, Principal
from kb.workflow import supervision_store as store
from kb.workflow.inbox import InboxItem
from kb.workflow.supervision_store import ASKED, Table, Visibility

MAX_TEXT = 2000
MAX_REPLY = 4000
ORDER_STATUS_LABELS = {"pending": "待回复", "replied": "已回复", "overdue": "逾期未回复"}
REMINDER_STATUS_LABELS = {"pending": "待回复", "replied": "已回复"}
ORDER_ROLES = frozenset({"supervisor", "admin"})


def _masked(row: Any, text: str | None) -> str | None:
    """Staff-written text as shown: identity numbers, phones and the petitioner's name masked."""
    return mask_personal(text, [row["petitioner_name"]]) if text else text


def case_label(row: Any) -> str:
    """``登记编号 标题`` of a notice's case, its title masked (IDs, phones, the petitioner's name)."""
    title = mask_personal(row["case_title"] or "", [row["petitioner_name"]])
    return f"{row['external_no']} {title}".strip()


@dataclass(frozen=True)
class Reminder:
    id: int
    case_id: int
    case: str
    unit: str
    text: str
    issued_by: str
    issued_by_unit: str | None
    issued_at: str
    reply_text: str | None
    replied_by: str | None
    replied_at: str | None

    @property
    def status(self) -> str:
        return "replied" if self.replied_at else "pending"

    @property
    def status_label(self) -> str:
        return REMINDER_STATUS_LABELS[self.status]

    @classmethod
    def from_row(cls, row: Any) -> Reminder:
        return cls(
            row["id"], row["case_id"], case_label(row), row["unit"], _masked(row, row["text"]) or "", row["issued_by"],
            row["issued_by_unit"], row["issued_at"], _masked(row, row["reply_text"]), row["replied_by"],
            row["replied_at"],
        )  # fmt: skip


@dataclass(frozen=True)
class Order:
    id: int
    case_id: int
    case: str
    unit: str
    requirement: str
    deadline: str
    issued_by: str
    issued_by_unit: str | None
    issued_at: str
    reply_text: str | None
    replied_by: str | None
    replied_at: str | None
    status: str
    replied_late: bool

    @property
    def status_label(self) -> str:
        return ORDER_STATUS_LABELS[self.status]

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"

    @classmethod
    def from_row(cls, row: Any, today: dt.date) -> Order:
        deadline, replied_at = row["deadline"], row["replied_at"]
        status = "replied" if replied_at else "overdue" if today.isoformat() > deadline else "pending"
        late = bool(replied_at) and replied_at[:10] > deadline
        return cls(
            row["id"], row["case_id"], case_label(row), row["unit"], _masked(row, row["requirement"]) or "", deadline,
            row["issued_by"], row["issued_by_unit"], row["issued_at"], _masked(row, row["reply_text"]),
            row["replied_by"], replied_at, status, late,
        )  # fmt: skip


def visibility(actor: Principal) -> Visibility:
    return Visibility(actor.scope.provincial, actor.unit, actor.username)


def _text(value: str | None, name: str, label: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInputError([FieldProblem(name, f"{label}不能为空")])
    if len(text) > limit:
        raise InvalidInputError([FieldProblem(name, f"{label}不能超过 {limit} 字")])
    return text


class SupervisionService:
    """Reminders and supervision orders; every method checks the actor's permission and scope."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.db = kernel.db

    def _stamp(self) -> str:
        return stamp(self.kernel.clock.now())

    def _unit(self, name: str | None) -> str:
        return self.kernel.units.require((name or "").strip(), "unit").name

    # -- 催办 ---------------------------------------------------------------------------------------------
    def remind(self, case_id: int, *, unit: str, text: str, actor: Principal = SYSTEM) -> Reminder:
        """Remind ``unit`` about a case the actor can see."""
        actor.require("workflow:write")
        self.kernel.get_case(case_id, actor)
        target = self._unit(unit)
        body = _text(text, "text", "催办内容", MAX_TEXT)
        with self.db.transaction() as conn:
            rid = store.insert(conn, "reminders", case_id, target, body, actor.username, actor.unit, self._stamp())
        return self.reminder(rid, actor)

    def reminder(self, reminder_id: int, actor: Principal = SYSTEM) -> Reminder:
        actor.require("workflow:read")
        return Reminder.from_row(self._visible("reminders", reminder_id, actor, "催办"))

    def reminders(
        self,
        *,
        case_id: int | None = None,
        direction: str | None = None,
        status: str | None = None,
        limit: int = 200,
        actor: Principal = SYSTEM,
    ) -> list[Reminder]:
        actor.require("workflow:read")
        _check_filters(direction, status, REMINDER_STATUS_LABELS)
        if case_id is not None:
            self.kernel.get_case(case_id, actor)
        found = store.rows(
            self.db, "reminders", visibility(actor), case_id=case_id, direction=direction, status=status, limit=limit
        )
        return [Reminder.from_row(r) for r in found]

    def reply_reminder(self, reminder_id: int, text: str, actor: Principal = SYSTEM) -> Reminder:
        self._reply("reminders", reminder_id, _text(text, "text", "回复内容", MAX_REPLY), actor, "催办")
        return self.reminder(reminder_id, actor)

    # -- 督办单 -------------------------------------------------------------------------------------------
    def issue_order(
        self, case_id: int, *, unit: str, requirement: str, deadline: dt.date, actor: Principal = SYSTEM
    ) -> Order:
        """Issue a supervision order: supervisors and provincial accounts only, deadline after today."""
        actor.require("workflow:write")
        if actor.role not in ORDER_ROLES and not actor.scope.provincial:
            raise PermissionDeniedError("只有督查督办人员或省级账号可以下发督办单")
        self.kernel.get_case(case_id, actor)
        target = self._unit(unit)
        body = _text(requirement, "requirement", "督办要求", MAX_TEXT)
        today = self.kernel.clock.today()
        if not today < deadline <= LATEST_DATE:
            message = f"办理时限应晚于今天（{today.isoformat()}），且不晚于 {LATEST_DATE.isoformat()}"
            raise InvalidInputError([FieldProblem("deadline", message)])
        with self.db.transaction() as conn:
            oid = store.insert(
                conn,
                "supervision_orders",
                case_id,
                target,
                body,
                actor.username,
                actor.unit,
                self._stamp(),
                deadline=deadline.isoformat(),
            )
        return self.order(oid, actor)

    def order(self, order_id: int, actor: Principal = SYSTEM) -> Order:
        actor.require("workflow:read")
        row = self._visible("supervision_orders", order_id, actor, "督办单")
        return Order.from_row(row, self.kernel.clock.today())

    def orders(
        self,
        *,
        status: str | None = None,
        unit: str | None = None,
        case_id: int | None = None,
        direction: str | None = None,
        limit: int = 200,
        actor: Principal = SYSTEM,
    ) -> list[Order]:
        """Visible orders, newest first, filtered by status (pending/replied/overdue), unit, case, direction."""
        actor.require("workflow:read")
        _check_filters(direction, status, ORDER_STATUS_LABELS)
        if case_id is not None:
            self.kernel.get_case(case_id, actor)
        today = self.kernel.clock.today()
        found = store.rows(
            self.db,
            "supervision_orders",
            visibility(actor),
            case_id=case_id,
            unit=self._unit(unit) if unit else None,
            direction=direction,
            status=status,
            today=today.isoformat(),
            limit=limit,
        )
        return [Order.from_row(r, today) for r in found]

    def reply_order(self, order_id: int, text: str, actor: Principal = SYSTEM) -> Order:
        self._reply("supervision_orders", order_id, _text(text, "text", "回复内容", MAX_REPLY), actor, "督办单")
        return self.order(order_id, actor)

    # -- inbox --------------------------------------------------------------------------------------------
    def inbox_items(self, actor: Principal) -> list[InboxItem]:
        """The inbox source (``service.inbox.add_source``): what waits for the actor, see ``inbox_items``."""
        return [InboxItem(**item) for item in inbox_items(self.db, actor)]

    # -- shared -------------------------------------------------------------------------------------------
    def _visible(self, table: Table, notice_id: int, actor: Principal, noun: str) -> Any:
        row = store.get(self.db, table, notice_id)
        if row is None or not _sees(actor, row):
            raise NotFoundError(f"{noun} {notice_id} 不存在")
        return row

    def _reply(self, table: Table, notice_id: int, text: str, actor: Principal, noun: str) -> None:
        actor.require("workflow:write")
        row = self._visible(table, notice_id, actor, noun)
        if actor.unit != row["unit"]:
            raise PermissionDeniedError(f"只有受理单位（{row['unit']}）的账号可以回复此{noun}")
        with self.db.transaction() as conn:
            if not store.set_reply(conn, table, notice_id, text, actor.username, self._stamp()):
                raise ConflictError(f"{noun} {notice_id} 已回复，不能重复回复")


def _sees(actor: Principal, row: Any) -> bool:
    if actor.scope.provincial or row["issued_by"] == actor.username:
        return True
    return actor.unit is not None and actor.unit in (row["unit"], row["issued_by_unit"])


def _check_filters(direction: str | None, status: str | None, statuses: dict[str, str]) -> None:
    if direction not in (None, "received", "issued"):
        raise InvalidInputError([FieldProblem("direction", "方向应为 received（收到的）或 issued（发出的）")])
    if status is not None and status not in statuses:
        allowed = "、".join(f"{k}（{v}）" for k, v in statuses.items())
        raise InvalidInputError([FieldProblem("status", f"状态应为 {allowed} 之一")])


def inbox_items(db: Database, actor: Principal) -> list[dict[str, Any]]:
    """The actor's reminders and orders for the inbox, newest first.

    Notices addressed to the actor's unit and not yet answered, and answers to notices the actor
    issued. Keys are stable (``reminder:3``, ``order:7:reply``) so read marks survive a reload.
    """
    items: list[dict[str, Any]] = []
    sources: tuple[tuple[Table, str, str], ...] = (
        ("reminders", "reminder", "催办"),
        ("supervision_orders", "order", "督办单"),
    )
    for table, kind, label in sources:
        waiting = store.unanswered_for_unit(db, table, actor.unit) if actor.unit is not None else []
        for row in waiting:
            due = row["deadline"] if table == "supervision_orders" else None
            items.append(_item(f"{kind}:{row['id']}", kind, label, row, row["issued_at"], due, row[ASKED[table]]))
        for row in store.answered_for_issuer(db, table, actor.username):
            key, answered = f"{kind}:{row['id']}:reply", f"{label}已回复"
            items.append(_item(key, kind, answered, row, row["replied_at"], None, row["reply_text"]))
    items.sort(key=lambda i: (i["created_at"], i["key"]), reverse=True)
    return items


def _item(
    key: str, kind: str, kind_label: str, row: Any, created_at: str, due: str | None, detail: str
) -> dict[str, Any]:
    """One inbox entry (the fields of ``kb.workflow.inbox.InboxItem``); title and detail masked."""
    return {
        "key": key,
        "kind": kind,
        "kind_label": kind_label,
        "case_id": int(row["case_id"]),
        "title": f"{kind_label}：{case_label(row)}",
        "unit": row["unit"],
        "created_at": created_at,
        "due": due,
        "detail": _masked(row, detail) or "",
    }
