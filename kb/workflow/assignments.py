"""双向交办: a case's locality (属地) and department (行业部门) assignees, one lead (主责单位), with history."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from kb.errors import FieldProblem, InvalidInputError
from kb.storage.cases import CaseRepository, now
from kb.storage.db import Database
from kb.workflow import store

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
    cases: CaseRepository,
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
    current = store.active_assignments(conn, case_id)
    kinds = {k for k, _, _ in wanted}
    for r in current:
        key = (r["kind"], r["unit"], r["lead"])
        if key in wanted:
            wanted.discard(key)
        elif r["kind"] in kinds:
            store.end_assignment(conn, r["id"], actor, stamp)
    store.add_assignments(conn, case_id, sorted(wanted), note, actor, stamp)
    if lead:
        cases.set_department(conn, case_id, lead)


def history(db: Database, case_id: int) -> list[Assignment]:
    return [_row(r) for r in store.assignment_rows(db, case_id)]
