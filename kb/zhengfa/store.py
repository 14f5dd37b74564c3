"""SQL of the 诉访分离 hand-over tables (migration 18); the service (``service.py``) is their only caller."""

from __future__ import annotations

import sqlite3
from typing import Any

from kb.scope import Scope
from kb.storage.db import Database

REFERRAL_COLUMNS = (
    "r.id, r.handover_id, r.case_id, r.unit, r.status, r.feedback_due, r.answered_at, r.updated_at, "
    "h.supervisor, h.group_id, h.note, h.created_by, h.created_by_unit, h.created_at, "
    "c.external_no, c.title, c.city, c.petitioner_name, c.stage, c.status AS case_status"
)
Source = Database | sqlite3.Connection


def _rows(source: Source, sql: str, params: tuple[Any, ...] | list[Any]) -> list[sqlite3.Row]:
    if isinstance(source, Database):
        return source.query(sql, params)
    return source.execute(sql, params).fetchall()


def _one(source: Source, sql: str, params: tuple[Any, ...] | list[Any]) -> sqlite3.Row | None:
    found = _rows(source, sql, params)
    return found[0] if found else None


_FROM = (
    "FROM litigation_referrals r JOIN litigation_handovers h ON h.id = r.handover_id JOIN cases c ON c.id = r.case_id"
)


def insert_handover(conn: sqlite3.Connection, **values: Any) -> int:
    cols = ", ".join(values)
    cur = conn.execute(
        f"INSERT INTO litigation_handovers({cols}) VALUES ({', '.join('?' * len(values))})", tuple(values.values())
    )
    return int(cur.lastrowid or 0)


def insert_referral(conn: sqlite3.Connection, handover_id: int, case_id: int, unit: str, due: str, at: str) -> int:
    cur = conn.execute(
        "INSERT INTO litigation_referrals(handover_id, case_id, unit, feedback_due, updated_at) VALUES (?,?,?,?,?)",
        (handover_id, case_id, unit, due, at),
    )
    return int(cur.lastrowid or 0)


def add_step(
    conn: sqlite3.Connection,
    referral_id: int,
    action: str,
    from_status: str | None,
    to_status: str,
    text: str | None,
    actor: str,
    unit: str | None,
    at: str,
) -> None:
    conn.execute(
        "INSERT INTO litigation_steps(referral_id, action, from_status, to_status, text, actor, actor_unit, at) "
        "VALUES (?,?,?,?,?,?,?,?)",
        (referral_id, action, from_status, to_status, text, actor, unit, at),
    )


def set_status(conn: sqlite3.Connection, referral_id: int, status: str, at: str, answered: bool) -> None:
    conn.execute(
        "UPDATE litigation_referrals SET status = ?, updated_at = ?, "
        "answered_at = CASE WHEN ? AND answered_at IS NULL THEN ? ELSE answered_at END WHERE id = ?",
        (status, at, int(answered), at, referral_id),
    )


def referral(source: Source, referral_id: int) -> sqlite3.Row | None:
    return _one(source, f"SELECT {REFERRAL_COLUMNS} {_FROM} WHERE r.id = ?", (referral_id,))


def open_referral(conn: sqlite3.Connection, case_id: int) -> sqlite3.Row | None:
    return conn.execute(
        f"SELECT {REFERRAL_COLUMNS} {_FROM} WHERE r.case_id = ? AND r.status NOT IN ('returned', 'concluded')",
        (case_id,),
    ).fetchone()


def case_referrals(db: Database, case_id: int) -> list[sqlite3.Row]:
    return db.query(f"SELECT {REFERRAL_COLUMNS} {_FROM} WHERE r.case_id = ? ORDER BY r.id", (case_id,))


def handover_referrals(db: Database, handover_id: int) -> list[sqlite3.Row]:
    return db.query(f"SELECT {REFERRAL_COLUMNS} {_FROM} WHERE r.handover_id = ? ORDER BY r.case_id", (handover_id,))


def referral_rows(
    db: Database,
    scope: Scope,
    *,
    unit: str | None = None,
    status: str | None = None,
    overdue_on: str | None = None,
    created_by: str | None = None,
    limit: int = 200,
) -> list[sqlite3.Row]:
    """Referrals of cases within ``scope`` (newest first), narrowed to a unit, a status or the overdue."""
    where, params = scope.sql("c")
    sql = f"SELECT {REFERRAL_COLUMNS} {_FROM} WHERE {where}"
    if unit:
        sql, params = sql + " AND r.unit = ?", [*params, unit]
    if created_by:
        sql, params = sql + " AND h.created_by = ?", [*params, created_by]
    if status:
        sql, params = sql + " AND r.status = ?", [*params, status]
    if overdue_on:
        sql += " AND r.answered_at IS NULL AND r.status NOT IN ('returned', 'concluded') AND r.feedback_due < ?"
        params = [*params, overdue_on]
    return db.query(sql + " ORDER BY r.id DESC LIMIT ?", [*params, limit])


def steps(db: Database, referral_ids: list[int]) -> list[sqlite3.Row]:
    if not referral_ids:
        return []
    marks = ", ".join("?" * len(referral_ids))
    return db.query(f"SELECT * FROM litigation_steps WHERE referral_id IN ({marks}) ORDER BY id", referral_ids)


def handover(db: Database, handover_id: int) -> sqlite3.Row | None:
    return db.query_one("SELECT * FROM litigation_handovers WHERE id = ?", (handover_id,))


# -- 三到位一处理 ------------------------------------------------------------------------------------
def add_checklist(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.executemany(
        "INSERT INTO litigation_checklist(case_id, item, applies, done, note, actor, actor_unit, at) "
        "VALUES (?,?,?,?,?,?,?,?)",
        rows,
    )


def checklist(source: Source, case_id: int) -> list[sqlite3.Row]:
    """The current row of each item (the latest recorded)."""
    return _rows(
        source,
        "SELECT * FROM litigation_checklist WHERE id IN "
        "(SELECT MAX(id) FROM litigation_checklist WHERE case_id = ? GROUP BY item) ORDER BY id",
        (case_id,),
    )


def checklist_history(db: Database, case_id: int) -> list[sqlite3.Row]:
    return db.query("SELECT * FROM litigation_checklist WHERE case_id = ? ORDER BY id", (case_id,))


# -- 司法救助 -----------------------------------------------------------------------------------------
def insert_aid(conn: sqlite3.Connection, **values: Any) -> int:
    cols = ", ".join(values)
    cur = conn.execute(
        f"INSERT INTO judicial_aid({cols}) VALUES ({', '.join('?' * len(values))})", tuple(values.values())
    )
    return int(cur.lastrowid or 0)


def decide_aid(conn: sqlite3.Connection, aid_id: int, **values: Any) -> bool:
    sets = ", ".join(f"{k} = ?" for k in values)
    cur = conn.execute(f"UPDATE judicial_aid SET {sets} WHERE id = ? AND decision IS NULL", (*values.values(), aid_id))
    return cur.rowcount == 1


def aid(source: Source, aid_id: int) -> sqlite3.Row | None:
    return _one(source, "SELECT * FROM judicial_aid WHERE id = ?", (aid_id,))


def case_aid(source: Source, case_id: int) -> list[sqlite3.Row]:
    return _rows(source, "SELECT * FROM judicial_aid WHERE case_id = ? ORDER BY id", (case_id,))


def group_litigation_cases(db: Database, group_id: int, scope: Scope) -> list[int]:
    """Litigation-related members of a case group within ``scope``."""
    where, params = scope.sql("c")
    rows = db.query(
        "SELECT c.id FROM group_members m JOIN cases c ON c.id = m.case_id "
        f"WHERE m.group_id = ? AND c.litigation = 1 AND {where} ORDER BY c.id",
        [group_id, *params],
    )
    return [int(r[0]) for r in rows]
