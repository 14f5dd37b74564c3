"""Undo of a group's last reviewer edit.

Each undoable edit stores, beside its visible detail, what it changed: the touched cases'
memberships before and after, their pool pins before, the touched groups' columns before and their
state after, and the latest discovery run. Undo checks that nothing moved since (no later edit of
any touched group, no discovery run, every touched case still where the edit put it) and then puts
the stored "before" back in one transaction. Edits recorded before undo existed carry no snapshot
and cannot be undone; batch handling and decisions are never undone here (they change cases).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kb.errors import ConflictError
from kb.groups.store import GroupRepository

UNDO_KEY = "undo"
UNDOABLE = frozenset({"rename", "lock", "unlock", "merge", "split", "move", "unassign"})
# Columns of case_groups an undo may put back.
RESTORABLE = frozenset({"name", "name_manual", "locked", "state"})

EDIT_NAMES = {
    "rename": "重命名",
    "lock": "锁定",
    "unlock": "解锁",
    "merge": "合并",
    "split": "拆分",
    "move": "移入案件",
    "unassign": "移回未归组",
}


def label(kind: str) -> str:
    """The Chinese name of an edit kind."""
    other = {"batch_start": "启动批量处理", "decision": "批量决定", "undo": "撤销"}
    return EDIT_NAMES.get(kind) or other.get(kind, kind)


@dataclass
class Snapshot:
    """What one edit is about to change, taken inside its transaction before the change."""

    run: int | None
    # case id -> (group, source, score) before; group None: the case was in the pool.
    before: dict[int, tuple[int | None, str | None, float | None]] = field(default_factory=dict)
    after: dict[int, int | None] = field(default_factory=dict)
    pins: dict[int, tuple[int | None, str, str]] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    group_after: dict[int, str] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "members": [[c, g, s, sc, self.after.get(c)] for c, (g, s, sc) in sorted(self.before.items())],
            "pins": [[c, g, a, t] for c, (g, a, t) in sorted(self.pins.items())],
            "groups": [[gid, cols, self.group_after.get(gid, "active")] for gid, cols in sorted(self.groups.items())],
        }


def take(
    repo: GroupRepository,
    conn: sqlite3.Connection,
    after: Mapping[int, int | None] | None = None,
    groups: Mapping[int, Iterable[str]] | None = None,
    group_after: Mapping[int, str] | None = None,
) -> Snapshot:
    """The state ``after`` (case -> group it will be in) and ``groups`` (id -> columns) will change."""
    after = dict(after or {})
    snap = Snapshot(run=repo.latest_run_id(conn), after=after, group_after=dict(group_after or {}))
    rows = repo.member_rows_of(conn, list(after))
    snap.before = {c: rows.get(c, (None, None, None)) for c in after}
    snap.pins = repo.pins_of(conn, list(after))
    for gid, cols in (groups or {}).items():
        chosen = [c for c in cols if c in RESTORABLE]
        snap.groups[gid] = repo.group_columns(conn, gid, chosen) if chosen else {}
    return snap


@dataclass(frozen=True)
class Undoable:
    """The last edit of a group, when it can be undone."""

    edit_id: int
    kind: str
    label: str
    actor: str
    created_at: str


def undoable(repo: GroupRepository, group_id: int) -> Undoable | None:
    last = repo.last_edit(group_id)
    if last is None or last["kind"] not in UNDOABLE or UNDO_KEY not in last["detail"]:
        return None
    return Undoable(last["id"], last["kind"], EDIT_NAMES[last["kind"]], last["actor"], last["created_at"])


def related_groups(payload: Mapping[str, Any], group_id: int) -> set[int]:
    """Every group the edit touched besides ``group_id`` (sources, the split-off group, the old group)."""
    out = {int(g[0]) for g in payload["groups"]}
    for _case, before, _s, _sc, after in payload["members"]:
        out.update(g for g in (before, after) if g is not None)
    return out - {group_id}


def check(repo: GroupRepository, conn: sqlite3.Connection, group_id: int, edit: Mapping[str, Any]) -> None:
    """Refuse (ConflictError, in words) when anything the edit touched has changed since."""
    payload = edit["detail"][UNDO_KEY]
    name = EDIT_NAMES.get(edit["kind"], edit["kind"])
    if repo.latest_run_id(conn) != payload["run"]:
        raise ConflictError(f"“{name}”之后已重新发现类案组，不能再撤销")
    for gid in related_groups(payload, group_id):
        later = repo.last_edit(gid)
        if later is not None and later["id"] > edit["id"]:
            raise ConflictError(f"“{name}”之后类案组 {gid} 又有修改，不能再撤销")
    for gid, _cols, state in payload["groups"]:
        current = repo.group_columns(conn, int(gid), ["state"])
        if current.get("state") != state:
            raise ConflictError(f"“{name}”之后类案组 {gid} 的状态已改变，不能再撤销")
    cases = [int(m[0]) for m in payload["members"]]
    now = {c: g for c, (g, _s, _sc) in repo.member_rows_of(conn, cases).items()}
    moved = [c for c, _b, _s, _sc, after in payload["members"] if now.get(int(c)) != after]
    if moved:
        shown = "、".join(str(c) for c in moved[:5]) + ("等" if len(moved) > 5 else "")
        raise ConflictError(f"“{name}”之后案件 {shown} 已被移动，不能再撤销")


def restore(repo: GroupRepository, conn: sqlite3.Connection, payload: Mapping[str, Any], actor: str) -> None:
    """Put the stored "before" back: memberships, pool pins and group columns."""
    gone = [int(c) for c, before, _s, _sc, _a in payload["members"] if before is None]
    back = [(int(c), int(g), str(s), sc) for c, g, s, sc, _a in payload["members"] if g is not None]
    repo.remove_members(conn, gone)
    repo.set_members(conn, back, actor)
    pinned = {int(p[0]): p for p in payload["pins"]}
    repo.unpin_from_pool(conn, [int(m[0]) for m in payload["members"] if int(m[0]) not in pinned])
    for case_id, from_group, who, at in pinned.values():
        repo.restore_pin(conn, int(case_id), from_group, who, at)
    for gid, cols, _state in payload["groups"]:
        values: dict[str, Any] = {k: v for k, v in cols.items() if k in RESTORABLE}
        if values.get("state", "active") != "active":
            values["centroid"] = None  # an ended group takes no new members on ingest
        if values:
            repo.update(conn, int(gid), actor, **values)
