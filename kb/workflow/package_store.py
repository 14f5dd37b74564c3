"""SQL of 领导包案: backlog candidates, packages and their cases."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from kb.scope import PROVINCE, Scope
from kb.storage.db import Database


def candidate_rows(db: Database, as_of: str, domain: str | None, scope: Scope = PROVINCE) -> list[sqlite3.Row]:
    """Open cases within ``scope`` received by ``as_of`` and not yet packaged, with repeat count and
    departments involved.

    ``domain`` matches the case's category or responsible department.
    """
    in_scope, args = scope.sql("c")
    where = ["c.status IN ('pending', 'in_progress', 'unresolved')", "c.received_date <= ?", in_scope]
    params: list[object] = [as_of, *args]
    if domain:
        where.append("(c.category = ? OR c.department = ?)")
        params += [domain, domain]
    return db.query(
        f"""SELECT c.id, c.external_no, c.title, c.petitioner_name, c.city, c.department, c.category, c.status,
               c.received_date,
               COALESCE(l.repeat_count, 0) AS repeat_count,
               (SELECT COUNT(*) FROM case_assignments a
                 WHERE a.case_id = c.id AND a.active = 1 AND a.kind = 'department') AS departments
            FROM cases c LEFT JOIN case_links l ON l.case_id = c.id AND l.kind = 'repeat'
            WHERE {" AND ".join(where)}
              AND c.id NOT IN (SELECT case_id FROM package_cases)""",
        params,
    )


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
) -> int:
    """A package and its (case id, reasons) rows; returns the package id."""
    cur = conn.execute(
        "INSERT INTO leader_packages(leader, department, domain, city, note, created_by, created_at) "
        "VALUES (?,?,?,?,?,?,?)",
        (leader, department, domain, city, note, actor, stamp),
    )
    package_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT OR IGNORE INTO package_cases(package_id, case_id, reasons, added_at) VALUES (?,?,?,?)",
        [(package_id, cid, reasons, stamp) for cid, reasons in cases],
    )
    return package_id


def package_head(db: Database, package_id: int) -> sqlite3.Row | None:
    return db.query_one("SELECT * FROM leader_packages WHERE id = ?", (package_id,))


def package_case_rows(db: Database, package_id: int, scope: Scope = PROVINCE) -> list[sqlite3.Row]:
    """The package's cases within ``scope``."""
    where, params = scope.sql("c")
    return db.query(
        "SELECT c.id, c.external_no, c.title, c.petitioner_name, c.city, c.department, c.status, c.resolved_date, "
        "c.updated_at, "
        "p.reasons FROM package_cases p JOIN cases c ON c.id = p.case_id "
        f"WHERE p.package_id = ? AND {where} ORDER BY c.id",
        [package_id, *params],
    )


def package_ids(db: Database, scope: Scope = PROVINCE, leader: str | None = None) -> list[int]:
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
    return [int(r[0]) for r in db.query(sql + " ORDER BY id", params)]
