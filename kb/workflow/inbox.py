"""The in-app inbox (站内待办提醒): what needs each user's attention, gathered from registered sources.

A source is a function ``(actor) -> list[InboxItem]`` that reads the state it owns: dual assignment
(``AssignmentService.inbox_items``: assignments awaiting 签收 by my unit, returns of assignments my
unit made, near-due and overdue cases of my queue) and, plugged in the same way, reminders and
supervision orders. Items are derived, not stored; only which keys a user has read is kept
(``inbox_reads``), so an item's key must stay the same for as long as the item is the same.
Titles are masked (identity numbers, phones, the petitioner's name) whatever the role: the inbox
is a notification list, the case page shows the case per role.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from kb.clock import Clock, stamp
from kb.errors import FieldProblem, InvalidInputError
from kb.privacy import mask_personal
from kb.storage.db import Database
from kb.users import Principal
from kb.workflow import inbox_store

KIND_LABELS = {
    "sign": "待签收",
    "returned": "交办被退回",
    "near_due": "即将超期",
    "overdue": "已超期",
}
MAX_KEYS = 500
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class InboxItem:
    key: str  # stable per item: "sign:12", "returned:12", "overdue:sign:12", "overdue:case:7:2026-12-01"
    kind: str
    kind_label: str
    case_id: int
    title: str  # masked
    unit: str | None
    created_at: str
    due: str | None = None
    read: bool = False
    detail: str = ""  # one masked line: a return's reason, what is due


InboxSource = Callable[[Principal], list[InboxItem]]


@dataclass(frozen=True)
class InboxSummary:
    unread: int
    total: int
    by_kind: dict[str, int] = field(default_factory=dict)  # unread items per kind


def masked_title(title: str | None, snippet: str | None, petitioner_name: str | None) -> str:
    """A case's title for a notification (its opening words when untitled), personal data masked."""
    text = (title or "").strip() or (snippet or "").strip()
    return mask_personal(text, [petitioner_name])


def masked_line(text: str | None, petitioner_name: str | None = None) -> str:
    return mask_personal(text or "", [petitioner_name])


class Inbox:
    """The registry of inbox sources and each user's read state."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self._sources: list[InboxSource] = []

    def add_source(self, source: InboxSource) -> None:
        self._sources.append(source)

    def items(self, actor: Principal, *, unread_only: bool = False, kind: str | None = None) -> list[InboxItem]:
        """The actor's items, unread first, newest first within each."""
        actor.require("workflow:read")
        found: dict[str, InboxItem] = {}
        for source in self._sources:
            for item in source(actor):
                found.setdefault(item.key, item)
        read = inbox_store.read_keys(self.db, actor.username, list(found)) if found else set()
        out = [replace(item, read=item.key in read) for item in found.values()]
        if kind is not None:
            out = [i for i in out if i.kind == kind]
        if unread_only:
            out = [i for i in out if not i.read]
        out.sort(key=lambda i: i.created_at, reverse=True)
        out.sort(key=lambda i: i.read)
        return out

    def summary(self, actor: Principal) -> InboxSummary:
        items = self.items(actor)
        unread = [i for i in items if not i.read]
        return InboxSummary(len(unread), len(items), dict(Counter(i.kind for i in unread)))

    def mark_read(self, actor: Principal, keys: Iterable[str]) -> int:
        """Mark the actor's items with these keys read; how many were newly marked. Keys no longer in
        the actor's inbox (an item a colleague has just dealt with) are skipped, not stored."""
        wanted = list(dict.fromkeys(keys))
        if len(wanted) > MAX_KEYS or any(not k or len(k) > MAX_KEY_LENGTH for k in wanted):
            raise InvalidInputError(
                [FieldProblem("keys", f"一次最多标记 {MAX_KEYS} 条，每条键不超过 {MAX_KEY_LENGTH} 字符")]
            )
        mine = {item.key for item in self.items(actor)}
        wanted = [k for k in wanted if k in mine]
        if not wanted:
            return 0
        with self.db.transaction() as conn:
            return inbox_store.mark_read(conn, actor.username, wanted, stamp(self.clock.now()))
