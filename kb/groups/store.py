"""Tables and queries of homogeneous case groups: groups, members, runs, lineage, edits, decisions."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.clock import Clock
from kb.scope import PROVINCE, Scope
from kb.storage.cases import now
from kb.storage.db import Database
from kb.storage.sql import query_in


@dataclass
class Group:
    id: int
    name: str
    name_manual: bool
    state: str
    locked: bool
    keywords: list[str]
    representatives: list[int]
    lead_department: str | None
    policy_note: str | None
    batch_status: str | None
    created_at: str
    updated_at: str
    updated_by: str | None
    size: int = 0
    family_id: int | None = None  # the level above (issue 19): one issue type, kb/groups/families.py


@dataclass
class ActiveMembers:
    """Members of active groups by case id (``GroupRepository.active_members``)."""

    cases: np.ndarray  # int64 case ids, ascending
    groups: np.ndarray  # int64 group id of each
    categories: dict[int, Counter[str]]  # group -> its members' categories counted


@dataclass
class Family:
    id: int
    name: str
    keywords: list[str]
    state: str
    created_at: str
    updated_at: str
    groups: int = 0  # active groups in it (within the reader's scope)
    size: int = 0  # their members (within the reader's scope)


def _group(row: sqlite3.Row) -> Group:
    return Group(
        id=row["id"],
        name=row["name"],
        name_manual=bool(row["name_manual"]),
        state=row["state"],
        locked=bool(row["locked"]),
        keywords=json.loads(row["keywords"]),
        representatives=json.loads(row["representatives"]),
        lead_department=row["lead_department"],
        policy_note=row["policy_note"],
        batch_status=row["batch_status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        size=row["size"] if "size" in row.keys() else 0,  # noqa: SIM118 (sqlite3.Row)
        family_id=row["family_id"],
    )


def _visible(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k != "undo"}


class GroupRepository:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        """``clock`` dates the rows' ``created_at``/``updated_at`` (the service's; the machine's without one)."""
        self.db, self.clock = db, clock

    # -- reads -----------------------------------------------------------------------------------
    def get(self, group_id: int) -> Group | None:
        row = self.db.query_one(
            "SELECT g.*, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS size "
            "FROM case_groups g WHERE g.id = ?",
            (group_id,),
        )
        return _group(row) if row else None

    def list_groups(self, scope: Scope = PROVINCE, include_retired: bool = False) -> list[Group]:
        """Groups with their member count, counted within ``scope`` (bound scopes: empty ones omitted)."""
        where, params = scope.sql("c")
        # Members are counted only when their case is within the scope (a LEFT JOIN keeps empty groups).
        members = (
            "LEFT JOIN group_members m ON m.group_id = g.id"
            if scope.provincial
            else f"LEFT JOIN (SELECT m.* FROM group_members m JOIN cases c ON c.id = m.case_id WHERE {where}) m "
            "ON m.group_id = g.id"
        )
        rows = self.db.query(
            f"SELECT g.*, COUNT(m.case_id) AS size FROM case_groups g {members} "
            f"WHERE g.state = 'active' OR ? GROUP BY g.id ORDER BY size DESC, g.id",
            [*params, int(include_retired)],
        )
        groups = [_group(r) for r in rows]
        return groups if scope.provincial else [g for g in groups if g.size > 0]

    def spread(self, scope: Scope = PROVINCE) -> dict[int, dict[str, Any]]:
        """Per active group, counted within ``scope``: cases per city and per month, latest date."""
        where, params = scope.sql("c")
        rows = self.db.query(
            "SELECT m.group_id, c.city, substr(c.received_date, 1, 7) AS month, COUNT(*), MAX(c.received_date) "
            "FROM group_members m JOIN cases c ON c.id = m.case_id JOIN case_groups g ON g.id = m.group_id "
            f"WHERE g.state = 'active' AND {where} GROUP BY m.group_id, c.city, month",
            params,
        )
        out: dict[int, dict[str, Any]] = {}
        for gid, c, month, n, latest in rows:
            entry = out.setdefault(int(gid), {"cities": {}, "months": {}, "date_to": None})
            if c:
                entry["cities"][c] = entry["cities"].get(c, 0) + int(n)
            if month:
                entry["months"][month] = entry["months"].get(month, 0) + int(n)
            if latest and (entry["date_to"] is None or latest > entry["date_to"]):
                entry["date_to"] = latest
        return out

    def member_rows(self, group_id: int | None = None) -> list[sqlite3.Row]:
        where, params = ("WHERE group_id = ?", (group_id,)) if group_id is not None else ("", ())
        return self.db.query(f"SELECT case_id, group_id, source, score FROM group_members {where}", params)

    def member_ids(self, group_id: int) -> list[int]:
        return [r[0] for r in self.db.query("SELECT case_id FROM group_members WHERE group_id = ?", (group_id,))]

    def membership(self, case_ids: Sequence[int]) -> dict[int, int]:
        rows = query_in(self.db, "SELECT case_id, group_id FROM group_members WHERE case_id IN ({marks})", case_ids)
        return {r[0]: r[1] for r in rows}

    def unassigned_page(self, scope: Scope, limit: int, offset: int) -> tuple[list[int], int]:
        """Ids of cases in no group (newest first, within ``scope``) and their total."""
        in_scope, params = scope.sql()
        where = f"id NOT IN (SELECT case_id FROM group_members) AND {in_scope}"
        total = self.db.query_one(f"SELECT COUNT(*) FROM cases WHERE {where}", params)
        rows = self.db.query(
            f"SELECT id FROM cases WHERE {where} ORDER BY received_date DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [int(r[0]) for r in rows], int(total[0]) if total else 0

    def active_members(self, conn: sqlite3.Connection, groups: Collection[int] | None = None) -> ActiveMembers:
        """Every member of an active group (``groups``: of those groups only), by case id: case and
        group ids as arrays (a million members stay a few MB) and the member categories counted per group."""
        sql = (
            "SELECT m.case_id, m.group_id, c.category FROM group_members m JOIN cases c ON c.id = m.case_id "
            "JOIN case_groups g ON g.id = m.group_id WHERE g.state = 'active'"
        )
        if groups is None:
            rows: Iterable[Sequence[Any]] = conn.execute(sql + " ORDER BY m.case_id")
        else:
            wanted = sorted(int(g) for g in groups)
            found: list[Sequence[Any]] = []
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                marks = ",".join("?" * len(part))
                found += conn.execute(f"{sql} AND m.group_id IN ({marks})", part).fetchall()
            rows = sorted(found, key=lambda r: int(r[0]))
        cases: list[int] = []
        group_ids: list[int] = []
        categories: dict[int, Counter[str]] = {}
        for case_id, group_id, category in rows:
            cases.append(int(case_id))
            group_ids.append(int(group_id))
            if category:
                categories.setdefault(int(group_id), Counter())[category] += 1
        return ActiveMembers(np.asarray(cases, np.int64), np.asarray(group_ids, np.int64), categories)

    def decision_rows(self, source: Database | sqlite3.Connection, group_id: int) -> list[sqlite3.Row]:
        """(id, external_no, status, stage, decided) of the group's members by case id; ``decided``: an
        earlier decision of this group covered the case (read inside the caller's transaction if given)."""
        sql = (
            "SELECT c.id, c.external_no, c.status, c.stage, m.assigned_at, EXISTS (SELECT 1 FROM case_decisions d "
            "JOIN group_decisions g ON g.id = d.decision_id WHERE d.case_id = c.id AND g.group_id = m.group_id) "
            "AS decided FROM group_members m JOIN cases c ON c.id = m.case_id WHERE m.group_id = ? ORDER BY c.id"
        )
        if isinstance(source, sqlite3.Connection):
            return source.execute(sql, (group_id,)).fetchall()
        return source.query(sql, (group_id,))

    def last_decision_id(self, source: Database | sqlite3.Connection, group_id: int) -> int:
        sql = "SELECT COALESCE(MAX(id), 0) FROM group_decisions WHERE group_id = ?"
        if isinstance(source, sqlite3.Connection):
            return int(source.execute(sql, (group_id,)).fetchone()[0])
        row = source.query_one(sql, (group_id,))
        return int(row[0]) if row else 0

    def decision_cases(self, decision_id: int) -> list[sqlite3.Row]:
        return self.db.query(
            "SELECT d.*, c.external_no FROM case_decisions d JOIN cases c ON c.id = d.case_id "
            "WHERE d.decision_id = ? ORDER BY d.case_id",
            (decision_id,),
        )

    def name_manual(self, conn: sqlite3.Connection, group_id: int) -> bool:
        return bool(conn.execute("SELECT name_manual FROM case_groups WHERE id = ?", (group_id,)).fetchone()[0])

    def centroids(self) -> tuple[list[int], np.ndarray]:
        rows = self.db.query(
            "SELECT id, centroid FROM case_groups WHERE state = 'active' AND centroid IS NOT NULL ORDER BY id"
        )
        if not rows:
            return [], np.zeros((0, 0), np.float32)
        return [r[0] for r in rows], np.vstack([np.frombuffer(r[1], np.float32) for r in rows])

    def pool_pins(self) -> set[int]:
        """Cases a reviewer moved back to the unassigned pool (re-discovery leaves them there)."""
        return {int(r[0]) for r in self.db.query("SELECT case_id FROM group_pool_pins")}

    def latest_model(self) -> bytes | None:
        row = self.db.query_one("SELECT model FROM group_runs WHERE model IS NOT NULL ORDER BY id DESC LIMIT 1")
        return bytes(row[0]) if row else None

    def latest_run_id(self, conn: sqlite3.Connection) -> int | None:
        row = conn.execute("SELECT MAX(id) FROM group_runs").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def member_rows_of(
        self, conn: sqlite3.Connection, case_ids: Sequence[int]
    ) -> dict[int, tuple[int | None, str | None, float | None]]:
        """case id -> (group, source, score) for those of ``case_ids`` in a group, inside ``conn``."""
        out: dict[int, tuple[int | None, str | None, float | None]] = {}
        for start in range(0, len(case_ids), 500):
            chunk = list(case_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT case_id, group_id, source, score FROM group_members WHERE case_id IN ({marks})", chunk
            ).fetchall()
            out.update({int(r[0]): (int(r[1]), str(r[2]), r[3]) for r in rows})
        return out

    def pins_of(self, conn: sqlite3.Connection, case_ids: Sequence[int]) -> dict[int, tuple[int | None, str, str]]:
        """case id -> (from_group, actor, created_at) of the pool pins among ``case_ids``."""
        out: dict[int, tuple[int | None, str, str]] = {}
        for start in range(0, len(case_ids), 500):
            chunk = list(case_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT case_id, from_group, actor, created_at FROM group_pool_pins WHERE case_id IN ({marks})", chunk
            ).fetchall()
            out.update({int(r[0]): (r[1], str(r[2]), str(r[3])) for r in rows})
        return out

    def group_columns(self, conn: sqlite3.Connection, group_id: int, columns: Sequence[str]) -> dict[str, Any]:
        """The named columns of one group (names are the caller's constants, never user input)."""
        row = conn.execute(f"SELECT {', '.join(columns)} FROM case_groups WHERE id = ?", (group_id,)).fetchone()
        return dict(zip(columns, row, strict=True)) if row else {}

    def last_edit(self, group_id: int) -> dict[str, Any] | None:
        """The group's most recent edit with its full detail (including any undo snapshot)."""
        row = self.db.query_one("SELECT * FROM group_edits WHERE group_id = ? ORDER BY id DESC LIMIT 1", (group_id,))
        return {**dict(row), "detail": json.loads(row["detail"])} if row else None

    def history(self, group_id: int) -> dict[str, list[dict[str, Any]]]:
        """Edits (undo snapshots left out: they are internal), lineage both ways, decisions."""
        edits = self.db.query("SELECT * FROM group_edits WHERE group_id = ? ORDER BY id", (group_id,))
        lineage = self.db.query(
            "SELECT * FROM group_lineage WHERE group_id = ? OR other_id = ? ORDER BY id", (group_id, group_id)
        )
        decisions = self.db.query("SELECT * FROM group_decisions WHERE group_id = ? ORDER BY id", (group_id,))
        return {
            "edits": [{**dict(r), "detail": _visible(json.loads(r["detail"]))} for r in edits],
            "lineage": [dict(r) for r in lineage],
            "decisions": [dict(r) for r in decisions],
        }

    def families(self, scope: Scope = PROVINCE, include_retired: bool = False) -> list[Family]:
        """Families with their active groups and members counted within ``scope`` (bound: empty omitted)."""
        sizes: dict[int, tuple[int, int]] = {}
        for g in self.list_groups(scope):
            if g.family_id is not None and (scope.provincial or g.size > 0):
                n_groups, n_cases = sizes.get(g.family_id, (0, 0))
                sizes[g.family_id] = (n_groups + 1, n_cases + g.size)
        rows = self.db.query("SELECT * FROM group_families WHERE state = 'active' OR ? ORDER BY id", (include_retired,))
        out = [
            Family(
                r["id"], r["name"], json.loads(r["keywords"]), r["state"], r["created_at"], r["updated_at"],
                *sizes.get(int(r["id"]), (0, 0)),
            )
            for r in rows
        ]  # fmt: skip
        out = out if scope.provincial else [f for f in out if f.size > 0]
        return sorted(out, key=lambda f: (-f.size, f.id))

    def family(self, family_id: int) -> Family | None:
        r = self.db.query_one("SELECT * FROM group_families WHERE id = ?", (family_id,))
        if r is None:
            return None
        return Family(r["id"], r["name"], json.loads(r["keywords"]), r["state"], r["created_at"], r["updated_at"])

    def family_members(self, conn: sqlite3.Connection) -> dict[int, list[int]]:
        """Active family -> the active groups in it (before a refresh)."""
        rows = conn.execute(
            "SELECT g.family_id, g.id FROM case_groups g JOIN group_families f ON f.id = g.family_id "
            "WHERE g.state = 'active' AND f.state = 'active' ORDER BY g.id"
        ).fetchall()
        out: dict[int, list[int]] = {}
        for fid, gid in rows:
            out.setdefault(int(fid), []).append(int(gid))
        return out

    def family_labels(self, conn: sqlite3.Connection) -> dict[int, tuple[str, list[str]]]:
        """Active family -> (name, keywords) as stored."""
        rows = conn.execute("SELECT id, name, keywords FROM group_families WHERE state = 'active'").fetchall()
        return {int(r[0]): (str(r[1]), list(json.loads(r[2] or "[]"))) for r in rows}

    def group_labels(self, conn: sqlite3.Connection) -> dict[int, tuple[str, list[str], bool]]:
        """Active group -> (name, keywords, renamed by a reviewer) as stored."""
        rows = conn.execute("SELECT id, name, keywords, name_manual FROM case_groups WHERE state = 'active'").fetchall()
        return {int(r[0]): (str(r[1]), list(json.loads(r[2] or "[]")), bool(r[3])) for r in rows}

    # -- writes (inside the caller's transaction) ------------------------------------------------
    def create_family(self, conn: sqlite3.Connection) -> int:
        stamp = now(self.clock)
        cur = conn.execute(
            "INSERT INTO group_families(name, created_at, updated_at) VALUES ('（待命名）', ?, ?)", (stamp, stamp)
        )
        return int(cur.lastrowid or 0)

    def update_family(self, conn: sqlite3.Connection, family_id: int, name: str, keywords: list[str]) -> None:
        conn.execute(
            "UPDATE group_families SET name = ?, keywords = ?, updated_at = ? WHERE id = ?",
            (name, json.dumps(keywords, ensure_ascii=False), now(self.clock), family_id),
        )

    def retire_family(self, conn: sqlite3.Connection, family_id: int) -> None:
        conn.execute(
            "UPDATE group_families SET state = 'retired', updated_at = ? WHERE id = ?", (now(self.clock), family_id)
        )
        conn.execute("UPDATE case_groups SET family_id = NULL WHERE family_id = ? AND state = 'active'", (family_id,))

    def set_family(self, conn: sqlite3.Connection, group_id: int, family_id: int | None) -> None:
        conn.execute("UPDATE case_groups SET family_id = ? WHERE id = ?", (family_id, group_id))

    def create(self, conn: sqlite3.Connection, name: str, actor: str, run_id: int | None = None) -> int:
        stamp = now(self.clock)
        cur = conn.execute(
            "INSERT INTO case_groups(name, run_id, created_at, updated_at, updated_by) VALUES (?,?,?,?,?)",
            (name, run_id, stamp, stamp, actor),
        )
        return int(cur.lastrowid or 0)

    def update(self, conn: sqlite3.Connection, group_id: int, actor: str, **values: Any) -> None:
        for key in ("keywords", "representatives"):
            if key in values:
                values[key] = json.dumps(values[key], ensure_ascii=False)
        if "centroid" in values and values["centroid"] is not None:
            values["centroid"] = np.asarray(values["centroid"], np.float32).tobytes()
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.execute(
            f"UPDATE case_groups SET {sets}, updated_at = ?, updated_by = ? WHERE id = ?",
            [*values.values(), now(self.clock), actor, group_id],
        )

    def set_members(
        self, conn: sqlite3.Connection, rows: Iterable[tuple[int, int, str, float | None]], actor: str
    ) -> None:
        """Upsert (case_id, group_id, source, score) rows."""
        stamp = now(self.clock)
        conn.executemany(
            "INSERT OR REPLACE INTO group_members(case_id, group_id, source, score, assigned_at, assigned_by) "
            "VALUES (?,?,?,?,?,?)",
            [(c, g, s, sc, stamp, actor) for c, g, s, sc in rows],
        )

    def remove_members(self, conn: sqlite3.Connection, case_ids: Iterable[int]) -> None:
        conn.executemany("DELETE FROM group_members WHERE case_id = ?", [(c,) for c in case_ids])

    def pin_to_pool(self, conn: sqlite3.Connection, case_id: int, from_group: int | None, actor: str) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO group_pool_pins(case_id, from_group, actor, created_at) VALUES (?,?,?,?)",
            (case_id, from_group, actor, now(self.clock)),
        )

    def restore_pin(
        self, conn: sqlite3.Connection, case_id: int, from_group: int | None, actor: str, created_at: str
    ) -> None:
        """Put back a pool pin exactly as it was (undo of an edit that removed it)."""
        conn.execute(
            "INSERT OR REPLACE INTO group_pool_pins(case_id, from_group, actor, created_at) VALUES (?,?,?,?)",
            (case_id, from_group, actor, created_at),
        )

    def unpin_from_pool(self, conn: sqlite3.Connection, case_ids: Iterable[int]) -> None:
        conn.executemany("DELETE FROM group_pool_pins WHERE case_id = ?", [(c,) for c in case_ids])

    def edit(self, conn: sqlite3.Connection, group_id: int, kind: str, actor: str, **detail: Any) -> None:
        conn.execute(
            "INSERT INTO group_edits(group_id, kind, detail, actor, created_at) VALUES (?,?,?,?,?)",
            (group_id, kind, json.dumps(detail, ensure_ascii=False), actor, now(self.clock)),
        )

    def lineage(
        self, conn: sqlite3.Connection, kind: str, group_id: int, other_id: int | None, actor: str, run_id: int | None
    ) -> None:
        conn.execute(
            "INSERT INTO group_lineage(run_id, kind, group_id, other_id, actor, created_at) VALUES (?,?,?,?,?,?)",
            (run_id, kind, group_id, other_id, actor, now(self.clock)),
        )

    def record_run(self, conn: sqlite3.Connection, actor: str, params: dict[str, Any], model: bytes | None) -> int:
        cur = conn.execute(
            "INSERT INTO group_runs(actor, params, n_cases, n_groups, n_unassigned, model, created_at) "
            "VALUES (?,?,0,0,0,?,?)",
            (actor, json.dumps(params), model, now(self.clock)),
        )
        return int(cur.lastrowid or 0)

    def record_decision(
        self,
        conn: sqlite3.Connection,
        group: Group,
        decision: str,
        status: str,
        actor: str,
        members: Sequence[tuple[int, str, str | None, str | None]],
        stamp: str,
        token: str,
        left_alone: Sequence[str],
        special_group_id: int | None = None,
    ) -> int:
        """The batch decision and per member (case id, previous status, new status or None when left
        alone, reply); each changed row carries the time it changed. Returns the decision id."""
        cur = conn.execute(
            "INSERT INTO group_decisions(group_id, decision, status, lead_department, policy_note, n_cases, actor, "
            "created_at, special_group_id, preview_token, left_alone) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                group.id,
                decision,
                status,
                group.lead_department,
                group.policy_note,
                sum(1 for m in members if m[2] is not None),
                actor,
                stamp,
                special_group_id,
                token,
                json.dumps(list(left_alone)),
            ),
        )
        decision_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO case_decisions(case_id, decision_id, previous_status, new_status, reply, changed_at) "
            "VALUES (?,?,?,?,?,?)",
            [
                (case_id, decision_id, previous, new, reply, stamp if new is not None else None)
                for case_id, previous, new, reply in members
            ],
        )
        return decision_id

    def release_members(self, conn: sqlite3.Connection, group_id: int) -> bool:
        """Drop a group's members except those a reviewer pinned; True if pinned members remain."""
        left = conn.execute(
            "SELECT COUNT(*) FROM group_members WHERE group_id = ? AND source = 'manual'", (group_id,)
        ).fetchone()[0]
        if left:
            conn.execute("DELETE FROM group_members WHERE group_id = ? AND source != 'manual'", (group_id,))
            return True
        conn.execute("DELETE FROM group_members WHERE group_id = ?", (group_id,))
        return False

    def close_run(self, conn: sqlite3.Connection, run_id: int, n_cases: int) -> tuple[int, int]:
        """Store the run's totals; returns (active groups, unassigned cases)."""
        counts = conn.execute(
            "SELECT (SELECT COUNT(*) FROM case_groups WHERE state = 'active'), "
            "(SELECT COUNT(*) FROM cases WHERE id NOT IN (SELECT case_id FROM group_members))"
        ).fetchone()
        groups, unassigned = int(counts[0]), int(counts[1])
        conn.execute(
            "UPDATE group_runs SET n_cases = ?, n_groups = ?, n_unassigned = ? WHERE id = ?",
            (n_cases, groups, unassigned, run_id),
        )
        return groups, unassigned
