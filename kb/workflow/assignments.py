"""双向交办: a case's locality (属地) and department (行业部门) assignees, one lead (主责单位), with history."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from kb.errors import FieldProblem, InvalidInputError
from kb.storage.cases import now
from kb.storage.db import Database

KINDS = {"locality": "属地", "department": "行业部门"}


@dataclass
class Assignment:
    id: int
    case_id: int
    kind: str
    unit: str
    lead: bool
    active: bool
    note: str | None
    assigned_by: str
    assigned_at: str
    ended_by: str | None
    ended_at: str | None


def _row(r: sqlite3.Row) -> Assignment:
    data = dict(r)
    data["lead"], data["active"] = bool(data["lead"]), bool(data["active"])
    return Assignment(**data)


def assign(
    conn: sqlite3.Connection,
    case_id: int,
    *,
    locality: str | None,
    departments: list[str],
    lead: str | None,
    actor: str,
    note: str | None = None,
) -> None:
    """Replace the active assignees; unchanged ones stay, removed ones are ended (history is kept).

    With several departments one must be named ``lead``; with one, it is the lead. The lead
    department also becomes the case's responsible department, so reports follow the assignment.
    """
    departments = list(dict.fromkeys(d.strip() for d in departments if d and d.strip()))
    problems = []
    if not locality and not departments:
        problems.append(FieldProblem("locality", "属地和行业部门至少指定一个"))
    if len(departments) > 1 and lead not in departments:
        problems.append(FieldProblem("lead", "涉及多个部门时须指定其中之一为主责单位"))
    if lead and departments and lead not in departments:
        problems.append(FieldProblem("lead", "主责单位须是所列行业部门之一"))
    if problems:
        raise InvalidInputError(problems)
    if len(departments) == 1:
        lead = departments[0]
    wanted = {("department", d, int(d == lead)) for d in departments}
    if locality:
        wanted.add(("locality", locality.strip(), 0))
    stamp = now()
    current = conn.execute(
        "SELECT id, kind, unit, lead FROM case_assignments WHERE case_id = ? AND active = 1", (case_id,)
    ).fetchall()
    kinds = {k for k, _, _ in wanted}
    for r in current:
        key = (r["kind"], r["unit"], r["lead"])
        if key in wanted:
            wanted.discard(key)
        elif r["kind"] in kinds:
            conn.execute(
                "UPDATE case_assignments SET active = 0, ended_by = ?, ended_at = ? WHERE id = ?",
                (actor, stamp, r["id"]),
            )
    conn.executemany(
        "INSERT INTO case_assignments(case_id, kind, unit, lead, note, assigned_by, assigned_at) "
        "VALUES (?,?,?,?,?,?,?)",
        [(case_id, kind, unit, is_lead, note, actor, stamp) for kind, unit, is_lead in sorted(wanted)],
    )
    if lead:
        conn.execute("UPDATE cases SET department = ?, updated_at = ? WHERE id = ?", (lead, stamp, case_id))


def history(db: Database, case_id: int) -> list[Assignment]:
    rows = db.query(
        "SELECT id, case_id, kind, unit, lead, active, note, assigned_by, assigned_at, ended_by, ended_at "
        "FROM case_assignments WHERE case_id = ? ORDER BY id",
        (case_id,),
    )
    return [_row(r) for r in rows]
