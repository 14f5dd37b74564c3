"""SQL of dual assignment v2: assignments, their signing and answers, handlers, the handling history,
and the reads behind queues, workload and the inbox.

Changes to the ``cases`` table go through ``CaseRepository``; the reads here join ``cases`` only to
show and scope rows. ``scope`` arguments are ``Scope.sql(alias="c")`` fragments over ``cases c``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from kb.fields import OPEN_STAGES
from kb.storage.db import Database
from kb.storage.sql import marks, query_in

# Every column of an assignment, and its unit's current handler.
ASSIGNMENT_SELECT = (
    "SELECT a.id, a.case_id, a.kind, a.unit, a.lead, a.active, a.note, a.assigned_by, a.assigned_at, "
    "a.ended_by, a.ended_at, a.status, a.sign_due, a.signed_by, a.signed_at, a.returned_by, a.returned_at, "
    "a.return_reason, a.outcome_text, a.resolved, a.guidance, a.answered_by, a.answered_at, a.assigned_by_unit, "
    "a.end_reason, "
    "h.username AS handler FROM case_assignments a "
    "LEFT JOIN case_handlers h ON h.case_id = a.case_id AND h.unit = a.unit"
)
# What a queue, workload or inbox row shows of its case.
CASE_SELECT = (
    "c.id AS case_id, c.external_no, c.title, substr(c.content, 1, 60) AS snippet, c.petitioner_name, c.city, "
    "c.department, c.status, c.stage, c.due_date"
)
# Lifecycle stages in which a case is still being handled (registered, accepted, 复查 / 复核 requested).
OPEN = tuple(sorted(s.value for s in OPEN_STAGES))

Source = Database | sqlite3.Connection


def _rows(source: Source, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
    if isinstance(source, Database):
        return source.query(sql, list(params))
    return source.execute(sql, list(params)).fetchall()


# -- assignments ------------------------------------------------------------------------------------------
def assignment(source: Source, assignment_id: int) -> sqlite3.Row | None:
    rows = _rows(source, ASSIGNMENT_SELECT + " WHERE a.id = ?", (assignment_id,))
    return rows[0] if rows else None


def active_assignments(source: Source, case_id: int) -> list[sqlite3.Row]:
    return _rows(source, ASSIGNMENT_SELECT + " WHERE a.case_id = ? AND a.active = 1 ORDER BY a.id", (case_id,))


def assignment_rows(source: Source, case_id: int) -> list[sqlite3.Row]:
    """Every assignment of the case, ended ones included, oldest first."""
    return _rows(source, ASSIGNMENT_SELECT + " WHERE a.case_id = ? ORDER BY a.id", (case_id,))


def add_assignment(
    conn: sqlite3.Connection,
    case_id: int,
    kind: str,
    unit: str,
    lead: bool,
    note: str | None,
    actor: str,
    actor_unit: str | None,
    stamp: str,
    sign_due: str,
) -> int:
    cur = conn.execute(
        "INSERT INTO case_assignments(case_id, kind, unit, lead, note, assigned_by, assigned_at, status, sign_due, "
        "assigned_by_unit) VALUES (?,?,?,?,?,?,?, 'pending_sign', ?, ?)",
        (case_id, kind, unit, int(lead), note, actor, stamp, sign_due, actor_unit),
    )
    return int(cur.lastrowid or 0)


def end_assignment(conn: sqlite3.Connection, assignment_id: int, actor: str, stamp: str, reason: str) -> None:
    """End (never delete) an assignment: who, when and why (migration 23)."""
    conn.execute(
        "UPDATE case_assignments SET active = 0, ended_by = ?, ended_at = ?, end_reason = ? WHERE id = ?",
        (actor, stamp, reason, assignment_id),
    )


def pending_sign_of(conn: sqlite3.Connection, case_ids: Sequence[int]) -> list[sqlite3.Row]:
    """The active assignments of ``case_ids`` still awaiting 签收."""
    return query_in(
        conn,
        "SELECT id, case_id, unit FROM case_assignments WHERE active = 1 AND status = 'pending_sign' "
        "AND case_id IN ({marks}) ORDER BY id",
        list(case_ids),
    )


def set_lead(conn: sqlite3.Connection, assignment_id: int, lead: bool) -> None:
    conn.execute("UPDATE case_assignments SET lead = ? WHERE id = ?", (int(lead), assignment_id))


def set_signed(conn: sqlite3.Connection, assignment_id: int, actor: str, stamp: str) -> None:
    conn.execute(
        "UPDATE case_assignments SET status = 'signed', signed_by = ?, signed_at = ? WHERE id = ?",
        (actor, stamp, assignment_id),
    )


def set_returned(conn: sqlite3.Connection, assignment_id: int, actor: str, stamp: str, reason: str) -> None:
    conn.execute(
        "UPDATE case_assignments SET status = 'returned', returned_by = ?, returned_at = ?, return_reason = ? "
        "WHERE id = ?",
        (actor, stamp, reason, assignment_id),
    )


def set_answer(
    conn: sqlite3.Connection,
    assignment_id: int,
    *,
    outcome_text: str | None,
    resolved: bool | None,
    guidance: str | None,
    actor: str,
    stamp: str,
) -> None:
    conn.execute(
        "UPDATE case_assignments SET outcome_text = ?, resolved = ?, guidance = ?, answered_by = ?, answered_at = ? "
        "WHERE id = ?",
        (outcome_text, None if resolved is None else int(resolved), guidance, actor, stamp, assignment_id),
    )


# -- handlers ---------------------------------------------------------------------------------------------
def handler_of(source: Source, case_id: int, unit: str) -> str | None:
    rows = _rows(source, "SELECT username FROM case_handlers WHERE case_id = ? AND unit = ?", (case_id, unit))
    return str(rows[0][0]) if rows else None


def set_handler(conn: sqlite3.Connection, case_id: int, unit: str, username: str, by: str, stamp: str) -> None:
    conn.execute(
        "INSERT INTO case_handlers(case_id, unit, username, since, by) VALUES (?,?,?,?,?) "
        "ON CONFLICT(case_id, unit) DO UPDATE SET username = excluded.username, since = excluded.since, "
        "by = excluded.by",
        (case_id, unit, username, stamp, by),
    )


def drop_handler(conn: sqlite3.Connection, case_id: int, unit: str) -> None:
    conn.execute("DELETE FROM case_handlers WHERE case_id = ? AND unit = ?", (case_id, unit))


def handler_rows(source: Source, case_id: int) -> list[sqlite3.Row]:
    return _rows(
        source,
        "SELECT case_id, unit, username, since, by FROM case_handlers WHERE case_id = ? ORDER BY unit",
        (case_id,),
    )


# -- history ----------------------------------------------------------------------------------------------
def add_event(
    conn: sqlite3.Connection,
    case_id: int,
    assignment_id: int | None,
    unit: str | None,
    action: str,
    detail: str | None,
    actor: str,
    actor_unit: str | None,
    stamp: str,
) -> None:
    conn.execute(
        "INSERT INTO case_handling_events(case_id, assignment_id, unit, action, detail, actor, actor_unit, at) "
        "VALUES (?,?,?,?,?,?,?,?)",
        (case_id, assignment_id, unit, action, detail, actor, actor_unit, stamp),
    )


def event_rows(source: Source, case_id: int) -> list[sqlite3.Row]:
    return _rows(
        source,
        "SELECT id, case_id, assignment_id, unit, action, detail, actor, actor_unit, at FROM case_handling_events "
        "WHERE case_id = ? ORDER BY id",
        (case_id,),
    )


# -- queues, workload, inbox ------------------------------------------------------------------------------
def pending_for_units(db: Database, units: Collection[str], scope: tuple[str, list[Any]]) -> list[sqlite3.Row]:
    """Active assignments to ``units`` awaiting 签收, with their case, oldest deadline first."""
    if not units:
        return []
    where, params = scope
    return db.query(
        f"SELECT a.id AS assignment_id, a.kind, a.unit, a.assigned_at, a.sign_due, a.status, {CASE_SELECT} "
        "FROM case_assignments a JOIN cases c ON c.id = a.case_id "
        f"WHERE a.active = 1 AND a.status = 'pending_sign' AND a.unit IN ({marks(len(units))}) AND {where} "
        "ORDER BY a.sign_due IS NULL, a.sign_due, a.id",
        [*sorted(units), *params],
    )


def returned_to(
    db: Database, assigning_unit: str | None, provincial: bool, scope: tuple[str, list[Any]]
) -> list[sqlite3.Row]:
    """Active assignments made by ``assigning_unit`` (or, for the provincial level, by no unit) that
    the assigned unit returned: they wait for the assigning unit to re-assign."""
    clauses, params = [], []
    if assigning_unit is not None:
        clauses.append("a.assigned_by_unit = ?")
        params.append(assigning_unit)
    if provincial:
        clauses.append("a.assigned_by_unit IS NULL")
    if not clauses:
        return []
    where, scope_params = scope
    return db.query(
        f"SELECT a.id AS assignment_id, a.kind, a.unit, a.returned_by, a.returned_at, a.return_reason, {CASE_SELECT} "
        "FROM case_assignments a JOIN cases c ON c.id = a.case_id "
        f"WHERE a.active = 1 AND a.status = 'returned' AND ({' OR '.join(clauses)}) AND {where} "
        "ORDER BY a.returned_at DESC, a.id DESC",
        [*params, *scope_params],
    )


def handled_by(db: Database, username: str, scope: tuple[str, list[Any]]) -> list[sqlite3.Row]:
    """Open cases the user handles (for any of its units), soonest due first."""
    where, params = scope
    return db.query(
        f"SELECT h.unit, h.since, {CASE_SELECT} FROM case_handlers h JOIN cases c ON c.id = h.case_id "
        f"WHERE h.username = ? AND c.stage IN ({marks(len(OPEN))}) AND {where} "
        "ORDER BY c.due_date IS NULL, c.due_date, c.id",
        [username, *OPEN, *params],
    )


def workload_by_unit(db: Database, today: str, scope: tuple[str, list[Any]]) -> list[sqlite3.Row]:
    """Per assigned unit: active assignments by status, answered, overdue for signing, open handled cases."""
    where, params = scope
    return db.query(
        "SELECT a.unit, a.kind, COUNT(*) AS active, "
        "SUM(a.status = 'pending_sign') AS pending_sign, SUM(a.status = 'signed') AS signed, "
        "SUM(a.status = 'returned') AS returned, SUM(a.answered_at IS NOT NULL) AS answered, "
        "SUM(a.status = 'pending_sign' AND a.sign_due < ?) AS sign_overdue, "
        f"SUM(c.stage IN ({marks(len(OPEN))})) AS open_cases, "
        f"SUM(c.stage IN ({marks(len(OPEN))}) AND c.due_date < ?) AS overdue "
        "FROM case_assignments a JOIN cases c ON c.id = a.case_id "
        f"WHERE a.active = 1 AND {where} GROUP BY a.unit, a.kind ORDER BY active DESC, a.unit",
        [today, *OPEN, *OPEN, today, *params],
    )


def workload_by_user(db: Database, today: str, near: str, scope: tuple[str, list[Any]]) -> list[sqlite3.Row]:
    """Per handling user and unit: open cases handled, of them overdue and near their due date."""
    where, params = scope
    return db.query(
        "SELECT h.username, h.unit, COUNT(*) AS open_cases, SUM(c.due_date < ?) AS overdue, "
        "SUM(c.due_date >= ? AND c.due_date <= ?) AS near_due "
        "FROM case_handlers h JOIN cases c ON c.id = h.case_id "
        f"WHERE c.stage IN ({marks(len(OPEN))}) AND {where} "
        "GROUP BY h.username, h.unit ORDER BY open_cases DESC, h.username",
        [today, today, near, *OPEN, *params],
    )
