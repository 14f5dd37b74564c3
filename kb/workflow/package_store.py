"""SQL of 领导包案: the leader register, backlog candidates, packages, their cases and milestones."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from kb.scope import PROVINCE, Scope
from kb.storage.db import Database
from kb.storage.sql import query_in

OPEN_CASE_SQL = "('pending', 'in_progress', 'unresolved')"


# -- leaders ---------------------------------------------------------------------------------------
def insert_leader(
    conn: sqlite3.Connection,
    name: str,
    post: str,
    unit: str,
    domains: Sequence[str],
    city: str | None,
    actor: str,
    stamp: str,
) -> int:
    cur = conn.execute(
        "INSERT INTO leaders(name, post, unit, domains, city, created_by, created_at) VALUES (?,?,?,?,?,?,?)",
        (name, post, unit, json.dumps(list(domains), ensure_ascii=False), city, actor, stamp),
    )
    return int(cur.lastrowid or 0)


def update_leader(conn: sqlite3.Connection, leader_id: int, **values: object) -> None:
    """Set the named columns (names are the caller's constants)."""
    if "domains" in values:
        values["domains"] = json.dumps(list(values["domains"]), ensure_ascii=False)  # type: ignore[call-overload]
    sets = ", ".join(f"{k} = ?" for k in values)
    conn.execute(f"UPDATE leaders SET {sets} WHERE id = ?", [*values.values(), leader_id])


def leader_exists(conn: sqlite3.Connection, name: str, unit: str) -> bool:
    return conn.execute("SELECT 1 FROM leaders WHERE name = ? AND unit = ?", (name, unit)).fetchone() is not None


def leader_rows(source: Database | sqlite3.Connection, leader_id: int | None = None) -> list[sqlite3.Row]:
    """Leaders (one, or all by id) with their open package count."""
    sql = (
        "SELECT l.*, (SELECT COUNT(*) FROM leader_packages k WHERE k.leader_id = l.id AND k.status = 'open') "
        "AS open_packages FROM leaders l"
    )
    params: list[object] = []
    if leader_id is not None:
        sql += " WHERE l.id = ?"
        params.append(leader_id)
    sql += " ORDER BY l.id"
    if isinstance(source, sqlite3.Connection):
        return source.execute(sql, params).fetchall()
    return source.query(sql, params)


# -- candidates -------------------------------------------------------------------------------------
def candidate_rows(
    db: Database, as_of: str, domains: Sequence[str] | None, scope: Scope = PROVINCE
) -> list[sqlite3.Row]:
    """Open cases within ``scope`` received by ``as_of`` and in no open package, with the difficulty
    signals: repeat count, departments involved, participants, litigation flag, due date, group size.

    ``domains`` (when given) must hold the case's category or responsible department.
    """
    in_scope, args = scope.sql("c")
    where = [f"c.status IN {OPEN_CASE_SQL}", "c.received_date <= ?", in_scope]
    params: list[object] = [as_of, *args]
    if domains:
        marks = ",".join("?" * len(domains))
        where.append(f"(c.category IN ({marks}) OR c.department IN ({marks}))")
        params += [*domains, *domains]
    return db.query(
        f"""SELECT c.id, c.external_no, c.title, c.petitioner_name, c.city, c.department, c.category, c.status,
               c.received_date, c.participants, c.litigation, c.stage, c.due_date,
               COALESCE(l.repeat_count, 0) AS repeat_count,
               (SELECT COUNT(*) FROM case_assignments a
                 WHERE a.case_id = c.id AND a.active = 1 AND a.kind = 'department') AS departments,
               (SELECT COUNT(*) FROM group_members o WHERE o.group_id = m.group_id) AS group_size
            FROM cases c LEFT JOIN case_links l ON l.case_id = c.id AND l.kind = 'repeat'
            LEFT JOIN group_members m ON m.case_id = c.id
            WHERE {" AND ".join(where)}
              AND c.id NOT IN (SELECT p.case_id FROM package_cases p
                               JOIN leader_packages k ON k.id = p.package_id WHERE k.status = 'open')""",
        params,
    )


# -- packages ---------------------------------------------------------------------------------------
def open_package_of(conn: sqlite3.Connection, case_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """case id -> (package id, leader) of the open package already holding it."""
    rows = query_in(
        conn,
        "SELECT p.case_id, k.id, k.leader FROM package_cases p JOIN leader_packages k ON k.id = p.package_id "
        "WHERE k.status = 'open' AND p.case_id IN ({marks})",
        case_ids,
    )
    return {int(r[0]): (int(r[1]), str(r[2])) for r in rows}


def case_facts(conn: sqlite3.Connection, case_ids: Sequence[int]) -> dict[int, sqlite3.Row]:
    rows = query_in(
        conn, "SELECT id, external_no, status, category, department FROM cases WHERE id IN ({marks})", case_ids
    )
    return {int(r["id"]): r for r in rows}


def insert_package(
    conn: sqlite3.Connection,
    leader: str,
    department: str,
    domain: str | None,
    city: str | None,
    note: str | None,
    actor: str,
    stamp: str,
    cases: Sequence[tuple[int, str]],
    leader_id: int | None = None,
    plan: str | None = None,
    deadline: str | None = None,
) -> int:
    """A package and its (case id, reasons) rows; returns the package id."""
    cur = conn.execute(
        "INSERT INTO leader_packages(leader, department, domain, city, note, created_by, created_at, leader_id, "
        "plan, deadline) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (leader, department, domain, city, note, actor, stamp, leader_id, plan, deadline),
    )
    package_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT OR IGNORE INTO package_cases(package_id, case_id, reasons, added_at) VALUES (?,?,?,?)",
        [(package_id, cid, reasons, stamp) for cid, reasons in cases],
    )
    return package_id


def end_package(
    conn: sqlite3.Connection, package_id: int, status: str, actor: str, stamp: str, note: str | None
) -> None:
    conn.execute(
        "UPDATE leader_packages SET status = ?, ended_at = ?, ended_by = ?, end_note = ? WHERE id = ?",
        (status, stamp, actor, note, package_id),
    )


def open_case_count(conn: sqlite3.Connection, package_id: int) -> int:
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM package_cases p JOIN cases c ON c.id = p.case_id "
            f"WHERE p.package_id = ? AND c.status IN {OPEN_CASE_SQL}",
            (package_id,),
        ).fetchone()[0]
    )


def set_plan(conn: sqlite3.Connection, package_id: int, plan: str | None, deadline: str | None) -> None:
    conn.execute("UPDATE leader_packages SET plan = ?, deadline = ? WHERE id = ?", (plan, deadline, package_id))


def insert_milestone(
    conn: sqlite3.Connection, package_id: int, title: str, due_date: str, actor: str, stamp: str
) -> int:
    cur = conn.execute(
        "INSERT INTO package_milestones(package_id, title, due_date, created_by, created_at) VALUES (?,?,?,?,?)",
        (package_id, title, due_date, actor, stamp),
    )
    return int(cur.lastrowid or 0)


def milestone_row(conn: sqlite3.Connection, milestone_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM package_milestones WHERE id = ?", (milestone_id,)).fetchone()


def complete_milestone(
    conn: sqlite3.Connection, milestone_id: int, done_date: str, actor: str, stamp: str, note: str | None
) -> None:
    conn.execute(
        "UPDATE package_milestones SET done_date = ?, done_at = ?, done_by = ?, note = ? WHERE id = ?",
        (done_date, stamp, actor, note, milestone_id),
    )


def milestones(source: Database | sqlite3.Connection, package_id: int) -> list[sqlite3.Row]:
    sql = "SELECT * FROM package_milestones WHERE package_id = ? ORDER BY due_date, id"
    if isinstance(source, sqlite3.Connection):
        return source.execute(sql, (package_id,)).fetchall()
    return source.query(sql, (package_id,))


def package_head(source: Database | sqlite3.Connection, package_id: int) -> sqlite3.Row | None:
    sql = "SELECT * FROM leader_packages WHERE id = ?"
    if isinstance(source, sqlite3.Connection):
        return source.execute(sql, (package_id,)).fetchone()
    return source.query_one(sql, (package_id,))


def package_case_rows(db: Database, package_id: int, scope: Scope = PROVINCE) -> list[sqlite3.Row]:
    """The package's cases within ``scope``."""
    where, params = scope.sql("c")
    return db.query(
        "SELECT c.id, c.external_no, c.title, c.petitioner_name, c.city, c.department, c.category, c.status, "
        "c.resolved_date, c.updated_at, p.reasons FROM package_cases p JOIN cases c ON c.id = p.case_id "
        f"WHERE p.package_id = ? AND {where} ORDER BY c.id",
        [package_id, *params],
    )


def package_ids(
    db: Database, scope: Scope = PROVINCE, leader: str | None = None, leader_id: int | None = None
) -> list[int]:
    """Packages holding at least one case within ``scope``."""
    sql = "SELECT id FROM leader_packages k WHERE 1=1"
    params: list[object] = []
    if not scope.provincial:
        where, args = scope.sql("c")
        sql += (
            " AND EXISTS (SELECT 1 FROM package_cases p JOIN cases c ON c.id = p.case_id "
            f"WHERE p.package_id = k.id AND {where})"
        )
        params += args
    if leader:
        sql += " AND leader = ?"
        params.append(leader)
    if leader_id is not None:
        sql += " AND leader_id = ?"
        params.append(leader_id)
    return [int(r[0]) for r in db.query(sql + " ORDER BY id", params)]
