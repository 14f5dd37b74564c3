"""Per-user queues (待签收, 待办, 即将超期, 已超期), workload counts, and the inbox items they raise.

Built from ``assignment_store`` rows and today's date (``kernel.clock``): a pending assignment is
due for 签收 by its ``sign_due``; a handled case by its lifecycle ``due_date``. "Near" is within
``near_due_days`` of the due date for a case, and today or tomorrow for signing (signing has only
``sign_days`` in all).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field

from kb.workflow.assignments import KINDS
from kb.workflow.inbox import KIND_LABELS, InboxItem, masked_line, masked_title

SIGN_NEAR_DAYS = 1


@dataclass(frozen=True)
class QueueItem:
    case_id: int
    external_no: str
    title: str  # masked
    city: str | None
    department: str | None
    status: str
    stage: str
    unit: str
    kind: str  # "sign" (an assignment awaiting 签收) | "case" (a case I handle)
    assignment_id: int | None
    deadline: str | None  # sign_due for "sign", the case's due_date for "case"
    deadline_label: str
    overdue: bool = False
    near_due: bool = False


@dataclass
class Queue:
    pending_sign: list[QueueItem] = field(default_factory=list)
    todo: list[QueueItem] = field(default_factory=list)
    near_due: list[QueueItem] = field(default_factory=list)
    overdue: list[QueueItem] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("pending_sign", "todo", "near_due", "overdue")}


@dataclass(frozen=True)
class UnitLoad:
    unit: str
    kind: str
    active: int
    pending_sign: int
    signed: int
    returned: int
    answered: int
    sign_overdue: int
    open_cases: int
    overdue: int

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class UserLoad:
    username: str
    unit: str
    open_cases: int
    overdue: int
    near_due: int


def _state(deadline: str | None, today: dt.date, near_days: int) -> tuple[bool, bool]:
    """(overdue, near_due) of a deadline (an ISO date) seen on ``today``."""
    if not deadline:
        return False, False
    due = dt.date.fromisoformat(deadline[:10])
    return due < today, today <= due <= today + dt.timedelta(days=near_days)


def _item(row: sqlite3.Row, today: dt.date, near_days: int, kind: str, due_column: str, due_label: str) -> QueueItem:
    """One queue row: an assignment awaiting 签收 (``sign``) or a case being handled (``case``)."""
    due = row[due_column]
    overdue, near = _state(due, today, near_days)
    return QueueItem(
        row["case_id"],
        row["external_no"],
        masked_title(row["title"], row["snippet"], row["petitioner_name"]),
        row["city"],
        row["department"],
        row["status"],
        row["stage"],
        row["unit"],
        kind,
        row["assignment_id"] if kind == "sign" else None,
        due,
        due_label,
        overdue,
        near,
    )


def sign_item(row: sqlite3.Row, today: dt.date) -> QueueItem:
    return _item(row, today, SIGN_NEAR_DAYS, "sign", "sign_due", "签收期限")


def case_item(row: sqlite3.Row, today: dt.date, near_days: int) -> QueueItem:
    return _item(row, today, near_days, "case", "due_date", "办理期限")


def build_queue(pending: list[sqlite3.Row], handled: list[sqlite3.Row], today: dt.date, near_days: int) -> Queue:
    queue = Queue([sign_item(r, today) for r in pending], [case_item(r, today, near_days) for r in handled])
    for item in [*queue.pending_sign, *queue.todo]:
        if item.overdue:
            queue.overdue.append(item)
        elif item.near_due:
            queue.near_due.append(item)
    return queue


def deadline_items(queue: Queue, near_days: int) -> list[InboxItem]:
    """Inbox items for the queue's near-due and overdue entries, dated the day each became so; the
    key names the deadline, so a new deadline is a new item."""
    out = []
    for kind, items in (("overdue", queue.overdue), ("near_due", queue.near_due)):
        for q in items:
            ref = f"sign:{q.assignment_id}" if q.kind == "sign" else f"case:{q.case_id}:{q.unit}:{q.deadline}"
            what = "签收" if q.kind == "sign" else "办理"
            due = dt.date.fromisoformat((q.deadline or "")[:10])
            ahead = SIGN_NEAR_DAYS if q.kind == "sign" else near_days
            since = due + dt.timedelta(days=1) if kind == "overdue" else due - dt.timedelta(days=ahead)
            out.append(
                InboxItem(
                    f"{kind}:{ref}",
                    kind,
                    KIND_LABELS[kind],
                    q.case_id,
                    q.title,
                    q.unit,
                    since.isoformat(),
                    q.deadline,
                    detail=f"{q.unit}{what}期限 {q.deadline}",
                )
            )
    return out


def sign_items(pending: list[sqlite3.Row]) -> list[InboxItem]:
    return [
        InboxItem(
            f"sign:{r['assignment_id']}",
            "sign",
            KIND_LABELS["sign"],
            r["case_id"],
            masked_title(r["title"], r["snippet"], r["petitioner_name"]),
            r["unit"],
            r["assigned_at"],
            r["sign_due"],
            detail=f"交办{r['unit']}（{KINDS[r['kind']]}），请于 {r['sign_due'] or '尽快'} 前签收或退回",
        )
        for r in pending
    ]


def returned_items(returned: list[sqlite3.Row]) -> list[InboxItem]:
    return [
        InboxItem(
            f"returned:{r['assignment_id']}",
            "returned",
            KIND_LABELS["returned"],
            r["case_id"],
            masked_title(r["title"], r["snippet"], r["petitioner_name"]),
            r["unit"],
            r["returned_at"],
            None,
            detail=f"{r['unit']}退回：{masked_line(r['return_reason'], r['petitioner_name'])}",
        )
        for r in returned
    ]


def unit_loads(rows: list[sqlite3.Row]) -> list[UnitLoad]:
    return [
        UnitLoad(
            r["unit"],
            r["kind"],
            r["active"],
            r["pending_sign"] or 0,
            r["signed"] or 0,
            r["returned"] or 0,
            r["answered"] or 0,
            r["sign_overdue"] or 0,
            r["open_cases"] or 0,
            r["overdue"] or 0,
        )
        for r in rows
    ]


def user_loads(rows: list[sqlite3.Row]) -> list[UserLoad]:
    return [UserLoad(r["username"], r["unit"], r["open_cases"], r["overdue"] or 0, r["near_due"] or 0) for r in rows]
