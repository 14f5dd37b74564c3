"""SQL of campaigns (migration 15): the only writer of the campaign tables."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from kb.storage.db import Database


def insert_campaign(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    cols = list(values)
    cur = conn.execute(
        f"INSERT INTO campaigns({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [values[c] for c in cols]
    )
    return int(cur.lastrowid or 0)


def campaign(db: Database | sqlite3.Connection, campaign_id: int) -> sqlite3.Row | None:
    sql = "SELECT * FROM campaigns WHERE id = ?"
    if isinstance(db, sqlite3.Connection):
        return db.execute(sql, (campaign_id,)).fetchone()
    return db.query_one(sql, (campaign_id,))


def campaigns(db: Database) -> list[sqlite3.Row]:
    return db.query("SELECT * FROM campaigns ORDER BY id")


def close(conn: sqlite3.Connection, campaign_id: int, by: str, at: str, frozen: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE campaigns SET status = 'closed', closed_by = ?, closed_at = ?, frozen = ? WHERE id = ?",
        (by, at, json.dumps(frozen, ensure_ascii=False), campaign_id),
    )


def add_entries(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """(campaign, case, locality, department, lead unit, target date, by, at); existing pairs kept."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO campaign_cases(campaign_id, case_id, locality, department, lead_unit, target_date, "
        "added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return conn.total_changes - before


def entries(db: Database, campaign_id: int, added_before: str | None = None) -> list[sqlite3.Row]:
    sql = "SELECT * FROM campaign_cases WHERE campaign_id = ?"
    params: list[Any] = [campaign_id]
    if added_before:
        sql += " AND added_at < ?"
        params.append(added_before)
    return db.query(sql + " ORDER BY case_id", params)


def upsert_letter(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    cols = list(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in ("campaign_id", "unit"))
    conn.execute(
        f"INSERT INTO campaign_letters({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT(campaign_id, unit) DO UPDATE SET {updates}",
        [values[c] for c in cols],
    )


def letters(db: Database, campaign_id: int) -> list[sqlite3.Row]:
    return db.query("SELECT * FROM campaign_letters WHERE campaign_id = ? ORDER BY unit", (campaign_id,))


def insert_notice(
    conn: sqlite3.Connection, campaign_id: int, week_end: str, by: str, at: str, content: dict[str, Any], md: str
) -> int:
    cur = conn.execute(
        "INSERT INTO campaign_notices(campaign_id, week_end, issued_by, issued_at, content, markdown) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (campaign_id, week_end, by, at, json.dumps(content, ensure_ascii=False), md),
    )
    return int(cur.lastrowid or 0)


def notice(db: Database, campaign_id: int, week_end: str) -> sqlite3.Row | None:
    return db.query_one(
        "SELECT * FROM campaign_notices WHERE campaign_id = ? AND week_end = ?", (campaign_id, week_end)
    )


def notice_by_id(db: Database, notice_id: int) -> sqlite3.Row | None:
    return db.query_one("SELECT * FROM campaign_notices WHERE id = ?", (notice_id,))


def notices(db: Database, campaign_id: int) -> list[sqlite3.Row]:
    return db.query("SELECT * FROM campaign_notices WHERE campaign_id = ? ORDER BY week_end", (campaign_id,))


def previous_notices(db: Database, campaign_id: int, before: str) -> list[sqlite3.Row]:
    """Issued notices of weeks before ``before``, newest first."""
    return db.query(
        "SELECT * FROM campaign_notices WHERE campaign_id = ? AND week_end < ? ORDER BY week_end DESC",
        (campaign_id, before),
    )


def insert_reply(conn: sqlite3.Connection, notice_id: int, unit: str, text: str, by: str, at: str) -> None:
    conn.execute(
        "INSERT INTO campaign_replies(notice_id, unit, text, filed_by, filed_at) VALUES (?, ?, ?, ?, ?)",
        (notice_id, unit, text, by, at),
    )


def replies(db: Database, notice_id: int, before: str | None = None) -> list[sqlite3.Row]:
    sql = "SELECT * FROM campaign_replies WHERE notice_id = ?"
    params: list[Any] = [notice_id]
    if before:
        sql += " AND filed_at < ?"
        params.append(before)
    return db.query(sql + " ORDER BY unit", params)


def insert_visit(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    cols = list(values)
    cur = conn.execute(
        f"INSERT INTO campaign_visits({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [values[c] for c in cols],
    )
    return int(cur.lastrowid or 0)


def visits(db: Database, campaign_id: int) -> list[sqlite3.Row]:
    return db.query("SELECT * FROM campaign_visits WHERE campaign_id = ? ORDER BY starts_on, id", (campaign_id,))


def link_order(conn: sqlite3.Connection, campaign_id: int, order_id: int) -> None:
    conn.execute("INSERT OR IGNORE INTO campaign_orders(campaign_id, order_id) VALUES (?, ?)", (campaign_id, order_id))


def orders(db: Database, campaign_id: int) -> list[sqlite3.Row]:
    return db.query(
        "SELECT o.id, o.case_id, o.unit, o.requirement, o.deadline, o.issued_at, o.replied_at "
        "FROM campaign_orders co JOIN supervision_orders o ON o.id = co.order_id WHERE co.campaign_id = ? "
        "ORDER BY o.id",
        (campaign_id,),
    )


def order_exists(conn: sqlite3.Connection, order_id: int) -> bool:
    return conn.execute("SELECT 1 FROM supervision_orders WHERE id = ?", (order_id,)).fetchone() is not None


def has_reply(conn: sqlite3.Connection, notice_id: int, unit: str) -> bool:
    sql = "SELECT 1 FROM campaign_replies WHERE notice_id = ? AND unit = ?"
    return conn.execute(sql, (notice_id, unit)).fetchone() is not None
