"""SQL of 专项小组 (special groups): the record, its policy document and the case groups it owns."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from kb.storage.db import Database


def insert(
    conn: sqlite3.Connection,
    name: str,
    lead_unit: str,
    member_units: Sequence[str],
    policy: dict[str, str | None],
    actor: str,
    stamp: str,
) -> int:
    cur = conn.execute(
        "INSERT INTO special_groups(name, lead_unit, member_units, policy_title, policy_number, policy_date, "
        "policy_text, created_by, created_at, updated_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            name,
            lead_unit,
            json.dumps(list(member_units), ensure_ascii=False),
            policy.get("title"),
            policy.get("number"),
            policy.get("date"),
            policy.get("text"),
            actor,
            stamp,
            actor,
            stamp,
        ),
    )
    return int(cur.lastrowid or 0)


def update(conn: sqlite3.Connection, special_id: int, actor: str, stamp: str, **values: object) -> None:
    """Set the named columns (names are the caller's constants)."""
    if "member_units" in values:
        values["member_units"] = json.dumps(list(values["member_units"]), ensure_ascii=False)  # type: ignore[call-overload]
    sets = ", ".join(f"{k} = ?" for k in values)
    conn.execute(
        f"UPDATE special_groups SET {sets}, updated_by = ?, updated_at = ? WHERE id = ?",
        [*values.values(), actor, stamp, special_id],
    )


def add_groups(conn: sqlite3.Connection, special_id: int, group_ids: Sequence[int], actor: str, stamp: str) -> None:
    conn.executemany(
        "INSERT INTO special_group_groups(group_id, special_group_id, added_by, added_at) VALUES (?,?,?,?)",
        [(g, special_id, actor, stamp) for g in group_ids],
    )


def remove_group(conn: sqlite3.Connection, special_id: int, group_id: int) -> bool:
    return (
        conn.execute(
            "DELETE FROM special_group_groups WHERE special_group_id = ? AND group_id = ?", (special_id, group_id)
        ).rowcount
        > 0
    )


def owners(conn: sqlite3.Connection, group_ids: Sequence[int]) -> dict[int, int]:
    """group id -> the special group owning it, for those of ``group_ids`` already owned."""
    out = {}
    for g in group_ids:
        row = conn.execute("SELECT special_group_id FROM special_group_groups WHERE group_id = ?", (g,)).fetchone()
        if row:
            out[g] = int(row[0])
    return out


def special_group_of(conn: sqlite3.Connection, group_id: int) -> int | None:
    return owners(conn, [group_id]).get(group_id)


def row(source: Database | sqlite3.Connection, special_id: int) -> sqlite3.Row | None:
    sql = "SELECT * FROM special_groups WHERE id = ?"
    if isinstance(source, sqlite3.Connection):
        return source.execute(sql, (special_id,)).fetchone()
    return source.query_one(sql, (special_id,))


def ids(db: Database) -> list[int]:
    return [int(r[0]) for r in db.query("SELECT id FROM special_groups ORDER BY id")]


def group_ids(db: Database, special_id: int) -> list[int]:
    return [
        int(r[0])
        for r in db.query(
            "SELECT group_id FROM special_group_groups WHERE special_group_id = ? ORDER BY group_id", (special_id,)
        )
    ]
