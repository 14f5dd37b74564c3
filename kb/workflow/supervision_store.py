"""SQL of 催办 (``reminders``) and 督办单 (``supervision_orders``): one row per notice, the reply on the row.

Both tables have the same shape: the case, the receiving unit, what was asked, who issued it (user
and unit) and when, and the reply (text, who, when). ``kb.workflow.supervision`` owns the rules.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from kb.storage.db import Database

Table = Literal["reminders", "supervision_orders"]
# The column holding what was asked: the reminder's text, the order's requirement.
ASKED: dict[Table, str] = {"reminders": "text", "supervision_orders": "requirement"}
_CASE_COLUMNS = "c.external_no, c.title AS case_title, c.petitioner_name"


@dataclass(frozen=True)
class Visibility:
    """Which notices an account sees: all (provincial), or those addressed to / issued by its unit or itself."""

    everything: bool
    unit: str | None
    username: str

    def sql(self) -> tuple[str, list[Any]]:
        if self.everything:
            return "1=1", []
        if self.unit is None:
            return "n.issued_by = ?", [self.username]
        return "(n.unit = ? OR n.issued_by_unit = ? OR n.issued_by = ?)", [self.unit, self.unit, self.username]


def insert(
    conn: sqlite3.Connection,
    table: Table,
    case_id: int,
    unit: str,
    asked: str,
    issued_by: str,
    issued_by_unit: str | None,
    stamp: str,
    deadline: str | None = None,
) -> int:
    columns = ["case_id", "unit", ASKED[table], "issued_by", "issued_by_unit", "issued_at"]
    values: list[Any] = [case_id, unit, asked, issued_by, issued_by_unit, stamp]
    if table == "supervision_orders":
        columns.append("deadline")
        values.append(deadline)
    cur = conn.execute(f"INSERT INTO {table}({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)
    return int(cur.lastrowid or 0)


def set_reply(conn: sqlite3.Connection, table: Table, notice_id: int, text: str, actor: str, stamp: str) -> bool:
    """Record the reply unless one exists (False then: a notice is answered once)."""
    cur = conn.execute(
        f"UPDATE {table} SET reply_text = ?, replied_by = ?, replied_at = ? WHERE id = ? AND replied_at IS NULL",
        (text, actor, stamp, notice_id),
    )
    return cur.rowcount == 1


def get(db: Database, table: Table, notice_id: int) -> sqlite3.Row | None:
    return db.query_one(
        f"SELECT n.*, {_CASE_COLUMNS} FROM {table} n JOIN cases c ON c.id = n.case_id WHERE n.id = ?",
        (notice_id,),
    )


def rows(
    db: Database,
    table: Table,
    visibility: Visibility,
    *,
    case_id: int | None = None,
    unit: str | None = None,
    direction: str | None = None,
    status: str | None = None,
    today: str | None = None,
    limit: int = 200,
) -> list[sqlite3.Row]:
    """Visible notices, newest first. ``direction``: received (to my unit) or issued (by my unit or me).

    ``status`` (orders: pending | replied | overdue; reminders: pending | replied) is decided against
    ``today`` (ISO date), as the deadline passes by the clock, not by a stored flag.
    """
    where, params = visibility.sql()
    clauses = [where]
    if case_id is not None:
        clauses.append("n.case_id = ?")
        params.append(case_id)
    if unit is not None:
        clauses.append("n.unit = ?")
        params.append(unit)
    if direction == "received":
        clauses.append("n.unit = ?")
        params.append(visibility.unit)
    elif direction == "issued":
        clauses.append("(n.issued_by_unit IS ? OR n.issued_by = ?)")
        params += [visibility.unit, visibility.username]
    if status == "replied":
        clauses.append("n.replied_at IS NOT NULL")
    elif status == "pending":
        clauses.append("n.replied_at IS NULL")
        if table == "supervision_orders":
            clauses.append("n.deadline >= ?")
            params.append(today)
    elif status == "overdue":
        clauses.append("n.replied_at IS NULL AND n.deadline < ?")
        params.append(today)
    sql = (
        f"SELECT n.*, {_CASE_COLUMNS} FROM {table} n JOIN cases c ON c.id = n.case_id "
        f"WHERE {' AND '.join(clauses)} ORDER BY n.issued_at DESC, n.id DESC LIMIT ?"
    )
    return db.query(sql, [*params, limit])


def unanswered_for_unit(db: Database, table: Table, unit: str) -> list[sqlite3.Row]:
    """Notices addressed to ``unit`` still waiting for its reply (oldest first)."""
    return db.query(
        f"SELECT n.*, {_CASE_COLUMNS} FROM {table} n JOIN cases c ON c.id = n.case_id "
        "WHERE n.unit = ? AND n.replied_at IS NULL ORDER BY n.issued_at, n.id",
        (unit,),
    )


def answered_for_issuer(db: Database, table: Table, username: str) -> list[sqlite3.Row]:
    """Notices ``username`` issued that have been answered (newest reply first)."""
    return db.query(
        f"SELECT n.*, {_CASE_COLUMNS} FROM {table} n JOIN cases c ON c.id = n.case_id "
        "WHERE n.issued_by = ? AND n.replied_at IS NOT NULL ORDER BY n.replied_at DESC, n.id DESC LIMIT 200",
        (username,),
    )
