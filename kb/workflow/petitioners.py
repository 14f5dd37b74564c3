"""信访人视图 and manual repeat links.

- **Petitioner view**: every case of one petitioner (by the stored keyed hash ``petitioner_key``, or a
  prefix of at least 8 characters as case lists show it) that the actor's scope covers, with each
  case's links, stage/status, outcome and latest rating, the first and last dates and the number of
  repeat petitions. Another unit's cases are left out; a petitioner with none in scope is not found.
- **Manual link / unlink**: a person links a case as a repeat of another (stored on the later of the
  two, pointing at the earlier, as detection does) or removes every link between two cases. Both
  cases must be in the actor's scope. Each change is kept in ``case_link_events`` and audited.
  Detection keeps manual links and never links a pair a person unlinked (``kb.workflow.repeats``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kb.audit import AuditLog
from kb.clock import stamp
from kb.domain import Case
from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from kb.kernel import Kernel
from kb.privacy import mask_personal
from kb.storage.db import Database
from kb.users import SYSTEM, Principal
from kb.workflow import evaluations_store, store, views
from kb.workflow.evaluations import RATING_LABELS

MIN_KEY_PREFIX = 8
_KEY = re.compile(r"^[0-9a-f]{8,64}$")
MAX_NOTE = 500


@dataclass
class PetitionerCase:
    case: Case
    links: list[dict[str, Any]]
    flags: list[str]
    later_repeats: int
    rating: str | None
    rating_label: str | None


@dataclass
class PetitionerView:
    petitioner_ref: str
    petitioner_name: str | None
    case_count: int
    repeat_count: int
    first_date: str
    last_date: str
    cases: list[PetitionerCase]
    link_history: list[dict[str, Any]] = field(default_factory=list)


def _later_first(a: Case, b: Case) -> tuple[Case, Case]:
    """(later, earlier) by received date, then id: a repeat points at the earlier petition."""
    return (a, b) if (a.received_date, a.id) > (b.received_date, b.id) else (b, a)


class PetitionerService:
    def __init__(self, kernel: Kernel, audit: AuditLog) -> None:
        self.kernel = kernel
        self.db = kernel.db
        self.audit = audit

    def _stamp(self) -> str:
        return stamp(self.kernel.clock.now())

    # -- the petitioner view --------------------------------------------------------------------------
    def view(self, key: str, actor: Principal = SYSTEM) -> PetitionerView:
        actor.require("cases:read")
        actor.require("workflow:read")
        key = (key or "").strip().lower()
        if not _KEY.match(key):
            message = f"信访人标识应为匿名键（至少 {MIN_KEY_PREFIX} 位十六进制字符）"
            raise InvalidInputError([FieldProblem("key", message)])
        scope = actor.scope
        keys = store.petitioner_keys_like(self.db, key, scope)
        if not keys:
            raise NotFoundError("信访人不存在")
        if len(keys) > 1:
            raise InvalidInputError([FieldProblem("key", "该前缀对应多位信访人，请提供完整的匿名键")])
        ids = store.petitioner_case_ids(self.db, keys[0], scope)
        found = self.kernel.cases.get_many(ids)
        cases = [found[i] for i in ids if i in found]
        flags = views.flags_for(self.db, ids)
        items = []
        for case in cases:
            rating = _latest_rating(self.db, case.id)
            items.append(
                PetitionerCase(
                    case,
                    self._visible_links(case.id, actor),
                    flags[case.id],
                    views.later_repeats(self.db, case.id),
                    rating,
                    RATING_LABELS.get(rating) if rating else None,
                )
            )
        repeats = sum(1 for item in items if any(link["kind"] == "repeat" for link in item.links))
        return PetitionerView(
            petitioner_ref=keys[0][:MIN_KEY_PREFIX],
            petitioner_name=next((c.petitioner_name for c in reversed(cases) if c.petitioner_name), None),
            case_count=len(cases),
            repeat_count=repeats,
            first_date=cases[0].received_date,
            last_date=cases[-1].received_date,
            cases=items,
            link_history=self._history(ids, actor),
        )

    # -- manual links -----------------------------------------------------------------------------------
    def link(self, case_id: int, other_id: int, note: str | None = None, actor: Principal = SYSTEM) -> dict[str, Any]:
        """Link the later of the two cases as a repeat of the earlier one (replacing a detected repeat link)."""
        actor.require("workflow:write")
        if case_id == other_id:
            raise InvalidInputError([FieldProblem("other_id", "不能与案件自身关联")])
        first = self.kernel.get_case(case_id, actor)
        second = self.kernel.get_case(other_id, actor)
        text = _note(note)
        later, earlier = _later_first(first, second)
        stamp = self._stamp()
        with self.db.transaction() as conn:
            current = store.repeat_link(conn, later.id)
            if current is not None and current["manual"] and int(current["other_id"]) != earlier.id:
                raise ConflictError(
                    f"案件 {later.id} 已人工关联为案件 {current['other_id']} 的重复信访，请先解除该关联"
                )
            if current is not None and current["manual"] and int(current["other_id"]) == earlier.id:
                raise ConflictError(f"案件 {later.id} 与案件 {earlier.id} 已人工关联")
            chain = store.repeat_link(conn, earlier.id)
            count = int(chain["repeat_count"]) + 1 if chain is not None else 1
            store.unblock_pair(conn, later.id, earlier.id)
            store.save_manual_link(conn, later.id, earlier.id, count, text, stamp)
            store.add_link_event(conn, later.id, earlier.id, "link", "repeat", text, actor.username, stamp)
            detail = {"other_id": other_id, "repeat_of": earlier.id, "kinds": ["repeat"]}
            self.audit.record(actor, "workflow.link", "case", case_id, detail, conn=conn)
        return self.case_links(case_id, actor)

    def unlink(
        self, case_id: int, other_id: int, reason: str | None = None, actor: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Remove every link between two cases and keep detection from linking them again."""
        actor.require("workflow:write")
        self.kernel.get_case(case_id, actor)
        self.kernel.get_case(other_id, actor)
        text = _note(reason)
        stamp = self._stamp()
        with self.db.transaction() as conn:
            existing = store.links_between(conn, case_id, other_id)
            if not existing:
                raise NotFoundError(f"案件 {case_id} 与案件 {other_id} 之间没有关联")
            kinds = sorted({str(r["kind"]) for r in existing})
            store.delete_links_between(conn, case_id, other_id)
            store.block_pair(conn, case_id, other_id, actor.username, stamp)
            store.add_link_event(conn, case_id, other_id, "unlink", ",".join(kinds), text, actor.username, stamp)
            self.audit.record(
                actor, "workflow.unlink", "case", case_id, {"other_id": other_id, "kinds": kinds}, conn=conn
            )
        return self.case_links(case_id, actor)

    def case_links(self, case_id: int, actor: Principal = SYSTEM) -> dict[str, Any]:
        """A case's current links, how many later cases repeat it, and its manual link history."""
        actor.require("workflow:read")
        self.kernel.get_case(case_id, actor)
        return {
            "case_id": case_id,
            "links": self._visible_links(case_id, actor),
            "later_repeats": views.later_repeats(self.db, case_id),
            "history": self._history([case_id], actor),
        }

    def _visible_links(self, case_id: int, actor: Principal) -> list[dict[str, Any]]:
        """The case's links; a linked case outside the actor's scope is masked (its existence only)."""
        found = views.links(self.db, case_id, lambda ids: self.kernel.visible_ids(actor, ids))
        return [link | {"note": mask_personal(link["note"]) if link.get("note") else None} for link in found]

    def _history(self, ids: list[int], actor: Principal) -> list[dict[str, Any]]:
        """The manual link events of these cases; a case outside the actor's scope shows without its id."""
        rows = [dict(r) for r in store.link_events(self.db, ids)]
        seen = self.kernel.visible_ids(actor, {r[k] for r in rows for k in ("case_id", "other_id")})
        return [
            r
            | {
                "case_id": r["case_id"] if r["case_id"] in seen else None,
                "other_id": r["other_id"] if r["other_id"] in seen else None,
                "note": mask_personal(r["note"]) if r["note"] else None,
                "action_label": "人工关联" if r["action"] == "link" else "解除关联",
            }
            for r in rows
        ]


def _note(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidInputError([FieldProblem("note", f"说明不能超过 {MAX_NOTE} 字")])
    return text or None


def _latest_rating(db: Database, case_id: int) -> str | None:
    rows = evaluations_store.evaluations(db, case_id)
    return str(rows[-1]["rating"]) if rows else None
