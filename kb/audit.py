"""The append-only audit log: who did what, when, on which record (details never hold personal data).

Other features record their own events with ``service.audit.record(actor, action, record_type,
record_id, detail)``. The HTTP layer records every write request, every personal-data reveal and
every export it sees that a feature did not already record itself (see ``api/security.py``).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from kb.errors import FieldProblem, InvalidInputError
from kb.exportsafe import safe_row
from kb.privacy import mask_text
from kb.scope import PROVINCE, Scope
from kb.storage.cases import now
from kb.storage.db import Database, keyset_pages
from kb.users import SYSTEM, Principal

COLUMNS = ("id", "at", "username", "role", "city", "unit", "action", "record_type", "record_id", "detail")
# Per HTTP request: who is acting and whether a feature already recorded the request itself.
_request: ContextVar[dict[str, Any] | None] = ContextVar("leian_audit_request", default=None)


def begin_request() -> dict[str, Any]:
    """Start a request scope; the dict is shared with worker threads that copy the context."""
    state: dict[str, Any] = {"actor": None, "recorded": False}
    _request.set(state)
    return state


def set_actor(principal: Principal) -> None:
    state = _request.get()
    if state is not None:
        state["actor"] = principal


def current_actor() -> Principal | None:
    state = _request.get()
    return state["actor"] if state else None


def clean_detail(detail: dict[str, Any] | None) -> str:
    """JSON detail with identity numbers, phones and bank cards masked, whatever the caller passed."""
    text = json.dumps(detail or {}, ensure_ascii=False, default=str, sort_keys=True)
    return mask_text(text)[:4000]


def readable_by(reader: Scope) -> tuple[str, list[Any]]:
    """The events a bound administrator may read: those made by accounts of units within its scope.

    An event belongs to the acting account's unit (``audit_events.unit``) and, for a city-bound
    account, its city (``audit_events.city``). A city scope reads the events of its city's accounts
    (the city's and its districts' units); a cities scope those of the accounts bound to any of its
    cities and of its own unit; a department or 政法 scope those of its own unit. Events without an
    account unit (provincial accounts, the system, failed logins) are read at province level only.
    """
    if reader.kind in ("city", "cities"):
        cities = sorted(reader.cities)
        clause = f"city IN ({', '.join('?' * len(cities))})"
        if reader.kind == "cities" and reader.unit:
            return f"({clause} OR unit = ?)", [*cities, reader.unit]
        return clause, cities
    if reader.provincial:
        return "1=1", []
    return "unit = ?", [reader.unit]


@dataclass(frozen=True)
class AuditFilter:
    username: str | None = None
    action: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    since: str | None = None
    until: str | None = None

    def where(self, reader: Scope = PROVINCE) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if not reader.provincial:
            clause, args = readable_by(reader)
            clauses.append(clause)
            params += args
        for column in ("username", "record_type", "record_id"):
            value = getattr(self, column)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.action:
            # "cases" matches "cases.update" and the like: actions are dotted names.
            clauses.append("(action = ? OR action LIKE ? ESCAPE '\\')")
            params += [self.action, self.action.replace("%", "\\%").replace("_", "\\_") + ".%"]
        if self.since:
            clauses.append("at >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("at <= ?")
            params.append(self.until + ("T99" if len(self.until) == 10 else ""))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        actor: Principal | None,
        action: str,
        record_type: str | None = None,
        record_id: object = None,
        detail: dict[str, Any] | None = None,
        *,
        conn: sqlite3.Connection | None = None,
        username: str | None = None,
    ) -> None:
        """Append one event; pass ``conn`` to make it part of a running transaction."""
        who = actor or current_actor() or SYSTEM
        row = (
            now(),
            who.user_id or None,
            # A failed login's "username" is whatever was typed, an ID number or a phone included.
            mask_text(username or who.username),
            who.role if actor or current_actor() else None,
            who.scope.city,
            who.unit,
            action,
            record_type,
            None if record_id is None else mask_text(str(record_id)),
            clean_detail(detail),
        )
        sql = (
            "INSERT INTO audit_events(at, user_id, username, role, city, unit, action, record_type, record_id, detail) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)"
        )
        if conn is not None:
            conn.execute(sql, row)
        else:
            with self.db.transaction() as tx:
                tx.execute(sql, row)
        state = _request.get()
        if state is not None:
            state["recorded"] = True

    def query(
        self, filters: AuditFilter, limit: int = 100, offset: int = 0, actor: Principal = SYSTEM
    ) -> tuple[list[dict[str, Any]], int]:
        """Events matching ``filters`` that ``actor`` may read (``readable_by``), newest first."""
        actor.require("audit:read")
        if not 1 <= limit <= 1000:
            raise InvalidInputError([FieldProblem("limit", "每页条数应在 1 到 1000 之间")])
        where, params = filters.where(actor.scope)
        total_row = self.db.query_one(f"SELECT COUNT(*) FROM audit_events{where}", params)
        rows = self.db.query(
            f"SELECT {', '.join(COLUMNS)} FROM audit_events{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [self._row(r) for r in rows], int(total_row[0]) if total_row else 0

    def iter_all(self, filters: AuditFilter, chunk: int = 1000, actor: Principal = SYSTEM) -> Iterator[dict[str, Any]]:
        """Every event ``actor`` may read that matches ``filters``, oldest first (callers check the permission)."""
        where, params = filters.where(actor.scope)
        sep = " AND " if where else " WHERE "
        sql = f"SELECT {', '.join(COLUMNS)} FROM audit_events{where}{sep}id > ? ORDER BY id LIMIT ?"
        for rows in keyset_pages(self.db, sql, params, "id", chunk):
            for r in rows:
                yield self._row(r)

    def export_csv(self, filters: AuditFilter, actor: Principal = SYSTEM) -> Iterator[str]:
        """CSV (UTF-8 with BOM so Excel opens it) of the events ``actor`` may read, streamed in chunks."""
        actor.require("audit:read")
        return self._csv(filters, actor)

    def _csv(self, filters: AuditFilter, actor: Principal) -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(COLUMNS)
        for event in self.iter_all(filters, actor=actor):
            cells = [event[c] if c != "detail" else json.dumps(event[c], ensure_ascii=False) for c in COLUMNS]
            writer.writerow(safe_row(cells))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    def count_recent(self, action: str, username: str, since: str) -> int:
        row = self.db.query_one(
            "SELECT COUNT(*) FROM audit_events WHERE action = ? AND username = ? AND at >= ?",
            (action, mask_text(username), since),
        )
        return int(row[0]) if row else 0

    @staticmethod
    def _row(row: sqlite3.Row) -> dict[str, Any]:
        out = {c: row[c] for c in COLUMNS}
        out["detail"] = json.loads(out["detail"] or "{}")
        return out
