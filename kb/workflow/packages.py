"""领导包案: pick hard backlog cases (long-open, repeated, cross-department) by domain, assign them
to a named leader and department, and report their progress."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field

from kb.errors import FieldProblem, InvalidInputError, NotFoundError
from kb.privacy import mask_personal
from kb.scope import PROVINCE, Scope
from kb.storage.cases import now
from kb.storage.db import Database
from kb.workflow import package_store as store

OPEN = ("pending", "in_progress", "unresolved")


@dataclass
class Candidate:
    case_id: int
    external_no: str
    title: str
    city: str | None
    department: str | None
    category: str | None
    status: str
    open_days: int
    repeat_count: int
    departments: int
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class PackageProgress:
    id: int
    leader: str
    department: str
    domain: str | None
    city: str | None
    created_by: str
    created_at: str
    total: int
    by_status: dict[str, int]
    concluded: int
    cases: list[dict[str, object]]

    @property
    def progress(self) -> float:
        return round(self.concluded / self.total, 4) if self.total else 0.0


def candidates(
    db: Database,
    *,
    as_of: dt.date,
    domain: str | None = None,
    scope: Scope = PROVINCE,
    min_open_days: int = 90,
    limit: int = 20,
) -> list[Candidate]:
    """Open cases within ``scope`` scored by age, repeats and departments involved; hardest first.

    ``domain`` matches the case's category or responsible department.
    """
    rows = store.candidate_rows(db, as_of.isoformat(), domain, scope)
    out = []
    for r in rows:
        open_days = (as_of - dt.date.fromisoformat(r["received_date"])).days
        reasons = []
        if open_days >= min_open_days:
            reasons.append(f"长期未结（{open_days} 天）")
        if r["repeat_count"]:
            reasons.append(f"重复信访（第 {r['repeat_count'] + 1} 次）")
        if r["departments"] > 1:
            reasons.append(f"跨部门（{r['departments']} 个部门）")
        if not reasons:
            continue
        score = open_days / 30 + 2.0 * r["repeat_count"] + 2.0 * max(r["departments"] - 1, 0)
        out.append(
            Candidate(
                r["id"],
                r["external_no"],
                mask_personal(r["title"], [r["petitioner_name"]]),
                r["city"],
                r["department"],
                r["category"],
                r["status"],
                open_days,
                r["repeat_count"],
                r["departments"],
                round(score, 2),
                reasons,
            )
        )
    out.sort(key=lambda c: (-c.score, c.case_id))
    return out[:limit]


def create(
    conn: sqlite3.Connection,
    *,
    leader: str,
    department: str,
    domain: str | None,
    city: str | None,
    case_ids: list[int],
    reasons: dict[int, str],
    actor: str,
    note: str | None = None,
) -> int:
    problems = []
    if not leader.strip():
        problems.append(FieldProblem("leader", "包案领导不能为空"))
    if not department.strip():
        problems.append(FieldProblem("department", "包案部门不能为空"))
    if not case_ids:
        problems.append(FieldProblem("case_ids", "没有可包案的案件"))
    if problems:
        raise InvalidInputError(problems)
    rows = [(cid, reasons.get(cid, "")) for cid in case_ids]
    return store.insert_package(conn, leader.strip(), department.strip(), domain, city, note, actor, now(), rows)


def progress(db: Database, package_id: int, scope: Scope = PROVINCE) -> PackageProgress:
    """A package as ``scope`` sees it: only its cases within the scope are listed and counted; a
    package with none of them is reported as absent."""
    head = store.package_head(db, package_id)
    rows = store.package_case_rows(db, package_id, scope) if head is not None else []
    if head is None or (not scope.provincial and not rows):
        raise NotFoundError(f"包案 {package_id} 不存在")
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    concluded = sum(n for s, n in by_status.items() if s not in OPEN)
    return PackageProgress(
        head["id"],
        head["leader"],
        head["department"],
        head["domain"],
        head["city"],
        head["created_by"],
        head["created_at"],
        len(rows),
        by_status,
        concluded,
        [masked_title(dict(r)) for r in rows],
    )


def masked_title(row: dict[str, object]) -> dict[str, object]:
    """A package's case row with its title masked (IDs, phones, names) whatever the role."""
    name = row.pop("petitioner_name", None)
    return row | {"title": mask_personal(str(row.get("title") or ""), [str(name) if name else None])}


def list_ids(db: Database, scope: Scope = PROVINCE, leader: str | None = None) -> list[int]:
    return store.package_ids(db, scope, leader)
