"""领导包案: a register of leaders and their domains; hard backlog cases ranked by difficulty signals;
packages (a registered leader, open cases of their domain, a plan, milestones, a deadline, a status)
and each leader's progress report.

Rules (docs/workflow.md, "领导包案"): a leader holds at most ``package_max_open`` open packages; a
case sits in at most one open package; only open cases (待办 / 办理中 / 未化解) are packaged; each
case's category (or responsible department) must be one of the leader's domains.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field

from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from kb.fields import STATUS_LABELS, Status
from kb.privacy import mask_personal
from kb.scope import PROVINCE, Scope
from kb.storage.db import Database
from kb.workflow import package_store as store
from kb.workflow.views import masked_title

OPEN = ("pending", "in_progress", "unresolved")
PACKAGE_STATUS_LABELS = {"open": "包案中", "concluded": "已办结", "withdrawn": "已撤销"}
# The weights of the difficulty score (docs/workflow.md lists them with the reasons shown).
WEIGHTS = {
    "month_open": 1.0,
    "repeat": 2.0,
    "participants": 1.5,
    "litigation": 3.0,
    "overdue": 3.0,
    "department": 2.0,
    "group": 1.0,
}
MANY_PARTICIPANTS = 5
BIG_GROUP = 5


def _text(field: str, value: str | None, limit: int, required: bool = True, label: str = "") -> str | None:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInputError([FieldProblem(field, f"{label or field}不能为空")])
    if len(value) > limit:
        raise InvalidInputError([FieldProblem(field, f"{label or field}不能超过 {limit} 字")])
    return value or None


@dataclass
class Leader:
    id: int
    name: str
    post: str
    unit: str
    domains: list[str]
    city: str | None
    active: bool
    open_packages: int
    created_at: str


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
    participants: int = 1
    litigation: bool = False
    overdue: bool = False
    group_size: int = 0


@dataclass
class Milestone:
    id: int
    title: str
    due_date: str
    done_date: str | None
    done_at: str | None
    done_by: str | None
    note: str | None
    overdue: bool


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
    leader_id: int | None = None
    plan: str | None = None
    deadline: str | None = None
    status: str = "open"
    status_label: str = "包案中"
    ended_at: str | None = None
    overdue: bool = False
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def progress(self) -> float:
        return round(self.concluded / self.total, 4) if self.total else 0.0


def _leader(r: sqlite3.Row) -> Leader:
    return Leader(
        int(r["id"]),
        r["name"],
        r["post"],
        r["unit"],
        list(json.loads(r["domains"])),
        r["city"],
        bool(r["active"]),
        int(r["open_packages"]),
        r["created_at"],
    )


# -- the register ------------------------------------------------------------------------------------
def clean_domains(domains: list[str]) -> list[str]:
    out = [d.strip() for d in domains if d and d.strip()]
    if not out:
        raise InvalidInputError([FieldProblem("domains", "请至少填写一个分管领域（案件类别，如“住房建设”）")])
    if any(len(d) > 64 for d in out):
        raise InvalidInputError([FieldProblem("domains", "分管领域每项不能超过 64 字")])
    return list(dict.fromkeys(out))


def register(
    conn: sqlite3.Connection,
    *,
    name: str,
    post: str,
    unit: str,
    domains: list[str],
    city: str | None,
    actor: str,
    stamp: str,
) -> int:
    """A new leader of the register; the unit must already be the catalog's name (the service checks)."""
    clean_name = _text("name", name, 64, label="领导姓名") or ""
    clean_post = _text("post", post, 64, label="职务") or ""
    clean = clean_domains(domains)
    if store.leader_exists(conn, clean_name, unit):
        raise ConflictError(f"{unit}的领导“{clean_name}”已在名册中")
    return store.insert_leader(conn, clean_name, clean_post, unit, clean, city, actor, stamp)


def leaders(source: Database | sqlite3.Connection) -> list[Leader]:
    return [_leader(r) for r in store.leader_rows(source)]


def leader(source: Database | sqlite3.Connection, leader_id: int) -> Leader:
    rows = store.leader_rows(source, leader_id)
    if not rows:
        raise NotFoundError(f"领导 {leader_id} 不在名册中")
    return _leader(rows[0])


# -- candidates ---------------------------------------------------------------------------------------
def candidates(
    db: Database,
    *,
    as_of: dt.date,
    domain: str | None = None,
    domains: list[str] | None = None,
    scope: Scope = PROVINCE,
    min_open_days: int = 90,
    limit: int = 20,
) -> list[Candidate]:
    """Open cases within ``scope`` in no open package, scored by difficulty; hardest first.

    Signals (each shown as a reason when present): age (months open), repeat count, participants
    (≥ ``MANY_PARTICIPANTS``), the 涉法涉诉 flag, overdue, departments involved, the size of the case
    group (≥ ``BIG_GROUP``). ``domain``/``domains`` match the case's category or department.
    """
    wanted = domains if domains else ([domain] if domain else None)
    rows = store.candidate_rows(db, as_of.isoformat(), wanted, scope)
    out = []
    for r in rows:
        open_days = (as_of - dt.date.fromisoformat(r["received_date"])).days
        participants = int(r["participants"] or 1)
        overdue = bool(r["due_date"] and r["due_date"] < as_of.isoformat())
        group_size = int(r["group_size"] or 0)
        reasons = []
        if open_days >= min_open_days:
            reasons.append(f"长期未结（{open_days} 天）")
        if r["repeat_count"]:
            reasons.append(f"重复信访（第 {r['repeat_count'] + 1} 次）")
        if participants >= MANY_PARTICIPANTS:
            reasons.append(f"群体信访（{participants} 人）")
        if r["litigation"]:
            reasons.append("涉法涉诉")
        if overdue:
            reasons.append(f"已超期（期限 {r['due_date']}）")
        if r["departments"] > 1:
            reasons.append(f"跨部门（{r['departments']} 个部门）")
        if group_size >= BIG_GROUP:
            reasons.append(f"同类案件 {group_size} 件")
        if not reasons:
            continue
        score = (
            WEIGHTS["month_open"] * open_days / 30
            + WEIGHTS["repeat"] * r["repeat_count"]
            + WEIGHTS["participants"] * (participants >= MANY_PARTICIPANTS) * min(participants / MANY_PARTICIPANTS, 4)
            + WEIGHTS["litigation"] * bool(r["litigation"])
            + WEIGHTS["overdue"] * overdue
            + WEIGHTS["department"] * max(r["departments"] - 1, 0)
            + WEIGHTS["group"] * (group_size >= BIG_GROUP) * min(group_size / BIG_GROUP, 4)
        )
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
                participants,
                bool(r["litigation"]),
                overdue,
                group_size,
            )
        )
    out.sort(key=lambda c: (-c.score, c.case_id))
    return out[:limit]


# -- packages -----------------------------------------------------------------------------------------
def check_cases(conn: sqlite3.Connection, case_ids: list[int], domains: list[str] | None) -> None:
    """Refuse (naming each case) closed cases, cases already in an open package, and cases outside
    the leader's domains."""
    facts = store.case_facts(conn, case_ids)
    problems = []
    missing = [c for c in case_ids if c not in facts]
    if missing:
        raise NotFoundError(f"案件 {missing} 不存在")
    for cid in case_ids:
        r = facts[cid]
        if r["status"] not in OPEN:
            label = STATUS_LABELS[Status(r["status"])]
            problems.append(
                FieldProblem(
                    "case_ids", f"案件 {r['external_no']} 状态为{label}，只能包案未结案件（待办、办理中、未化解）"
                )
            )
    held = store.open_package_of(conn, case_ids)
    for cid, (pid, name) in sorted(held.items()):
        problems.append(
            FieldProblem(
                "case_ids",
                f"案件 {facts[cid]['external_no']} 已由{name}包案（包案 {pid}），一件案件只能在一个未办结包案中",
            )
        )
    if domains is not None:
        for cid in case_ids:
            r = facts[cid]
            if r["category"] not in domains and r["department"] not in domains:
                problems.append(
                    FieldProblem(
                        "case_ids",
                        f"案件 {r['external_no']} 的类别“{r['category'] or '未填写'}”不在该领导分管领域"
                        f"（{'、'.join(domains)}）内",
                    )
                )
    if problems:
        raise InvalidInputError(problems, "；".join(p.message for p in problems))


def check_quota(the_leader: Leader, max_open: int) -> None:
    if the_leader.open_packages >= max_open:
        raise ConflictError(
            f"{the_leader.name}已有 {the_leader.open_packages} 个未办结包案，每位领导最多同时包案 {max_open} 个"
            "（设置 package_max_open）；请先办结或撤销其中一个"
        )


def _deadline(value: dt.date | str | None, today: dt.date) -> str | None:
    if value is None or value == "":
        return None
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if day < today:
        raise InvalidInputError([FieldProblem("deadline", f"包案期限 {day} 早于今天（{today}）")])
    return day.isoformat()


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
    stamp: str,
    note: str | None = None,
    leader_id: int | None = None,
    plan: str | None = None,
    deadline: str | None = None,
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
    rows = [(cid, reasons.get(cid, "")) for cid in dict.fromkeys(case_ids)]
    return store.insert_package(
        conn,
        leader.strip(),
        department.strip(),
        domain,
        city,
        note,
        actor,
        stamp,
        rows,
        leader_id,
        _text("plan", plan, 4000, required=False, label="包案方案"),
        deadline,
    )


def end(conn: sqlite3.Connection, package_id: int, status: str, actor: str, stamp: str, note: str | None) -> None:
    """Conclude (every case concluded) or withdraw (with a reason) an open package."""
    head = store.package_head(conn, package_id)
    if head is None:
        raise NotFoundError(f"包案 {package_id} 不存在")
    if head["status"] != "open":
        raise ConflictError(f"包案 {package_id} {PACKAGE_STATUS_LABELS[head['status']]}，不能再变更；可进行的操作：无")
    if status not in ("concluded", "withdrawn"):
        raise InvalidInputError([FieldProblem("status", "应为 concluded（办结）或 withdrawn（撤销）")])
    if status == "withdrawn":
        note = _text("note", note, 1000, label="撤销理由")
    else:
        left = store.open_case_count(conn, package_id)
        if left:
            raise ConflictError(
                f"包案 {package_id} 尚有 {left} 件案件未办结，不能办结；可进行的操作：撤销（需填写理由）"
            )
    store.end_package(conn, package_id, status, actor, stamp, note)


def add_milestone(
    conn: sqlite3.Connection, package_id: int, title: str, due_date: dt.date, actor: str, stamp: str
) -> int:
    head = store.package_head(conn, package_id)
    if head is None:
        raise NotFoundError(f"包案 {package_id} 不存在")
    if head["status"] != "open":
        raise ConflictError(f"包案 {package_id} {PACKAGE_STATUS_LABELS[head['status']]}，不能再添加节点")
    clean = _text("title", title, 200, label="节点名称") or ""
    return store.insert_milestone(conn, package_id, clean, due_date.isoformat(), actor, stamp)


def complete_milestone(
    conn: sqlite3.Connection,
    package_id: int,
    milestone_id: int,
    today: dt.date,
    actor: str,
    stamp: str,
    note: str | None,
) -> None:
    """Mark a milestone done today (the done date is the server's, never a client's)."""
    row = store.milestone_row(conn, milestone_id)
    if row is None or int(row["package_id"]) != package_id:
        raise NotFoundError(f"包案 {package_id} 没有节点 {milestone_id}")
    if row["done_date"]:
        raise ConflictError(f"节点“{row['title']}”已于 {row['done_date']} 完成")
    store.complete_milestone(conn, milestone_id, today.isoformat(), actor, stamp, _text("note", note, 1000, False))


def progress(db: Database, package_id: int, scope: Scope = PROVINCE, today: dt.date | None = None) -> PackageProgress:
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
    day = (today or dt.date.today()).isoformat()
    marks = [
        Milestone(
            int(m["id"]),
            m["title"],
            m["due_date"],
            m["done_date"],
            m["done_at"],
            m["done_by"],
            m["note"],
            bool(not m["done_date"] and m["due_date"] < day),
        )
        for m in store.milestones(db, package_id)
    ]
    status = head["status"]
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
        head["leader_id"],
        head["plan"],
        head["deadline"],
        status,
        PACKAGE_STATUS_LABELS[status],
        head["ended_at"],
        bool(status == "open" and head["deadline"] and head["deadline"] < day),
        marks,
    )


def list_ids(
    db: Database, scope: Scope = PROVINCE, leader: str | None = None, leader_id: int | None = None
) -> list[int]:
    return store.package_ids(db, scope, leader, leader_id)


# -- the leader's progress report ----------------------------------------------------------------------
@dataclass
class LeaderReportRow:
    leader_id: int | None
    leader: str
    post: str
    unit: str
    domains: list[str]
    packages_open: int
    packages_concluded: int
    cases: int
    cases_concluded: int
    concluded_in_period: int
    milestones_due: int
    milestones_done: int
    milestones_overdue: int
    packages_overdue: int

    @property
    def conclusion_rate(self) -> float:
        return round(self.cases_concluded / self.cases, 4) if self.cases else 0.0


CONCLUSION_RATE_DEFINITION = (
    "办结率 = 包案案件中状态为已化解或已办结的件数 ÷ 包案案件总数（截至报告日）；"
    "本期办结 = 办结日期在报告期内的包案案件数；节点逾期 = 计划日期早于报告日仍未完成的节点"
)


def leader_report(
    packages_seen: list[PackageProgress], register: list[Leader], date_from: dt.date, date_to: dt.date
) -> list[LeaderReportRow]:
    """One row per leader of the register (and per free-text leader of older packages)."""
    by_id = {ld.id: ld for ld in register}
    rows: dict[object, LeaderReportRow] = {}
    for ld in register:
        rows[ld.id] = LeaderReportRow(ld.id, ld.name, ld.post, ld.unit, ld.domains, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    start, end_ = date_from.isoformat(), date_to.isoformat()
    for p in packages_seen:
        if p.status == "withdrawn":
            continue
        key: object = p.leader_id if p.leader_id in by_id else f"name:{p.leader}"
        row = rows.get(key)
        if row is None:
            row = rows[key] = LeaderReportRow(None, p.leader, "", p.department, [], 0, 0, 0, 0, 0, 0, 0, 0, 0)
        row.packages_open += p.status == "open"
        row.packages_concluded += p.status == "concluded"
        row.packages_overdue += p.overdue
        row.cases += p.total
        row.cases_concluded += p.concluded
        row.concluded_in_period += sum(
            1
            for c in p.cases
            if c["status"] not in OPEN and c["resolved_date"] and start <= str(c["resolved_date"]) <= end_
        )
        for m in p.milestones:
            if start <= m.due_date <= end_:
                row.milestones_due += 1
                row.milestones_done += bool(m.done_date and m.done_date <= end_)
            row.milestones_overdue += m.overdue
    return list(rows.values())
