"""SQL of 满意度评价 (``case_evaluations``) and 回访 (``case_followups``), and the counts behind 参评率 / 满意率."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from kb.storage.db import Database
from kb.storage.sql import marks, query_in

EVALUATION_COLUMNS = "id, case_id, reply_ref, reply_at, rating, note, recorded_by, recorded_at"
FOLLOWUP_COLUMNS = "id, case_id, method, note, recorded_by, recorded_at"


def insert_evaluation(
    conn: sqlite3.Connection,
    case_id: int,
    reply_ref: str,
    reply_at: str,
    rating: str,
    note: str | None,
    actor: str,
    stamp: str,
) -> int | None:
    """Record the rating of one reply; None when that reply already has one (once per reply)."""
    cur = conn.execute(
        "INSERT INTO case_evaluations(case_id, reply_ref, reply_at, rating, note, recorded_by, recorded_at) "
        "VALUES (?,?,?,?,?,?,?) ON CONFLICT(case_id, reply_ref) DO NOTHING",
        (case_id, reply_ref, reply_at, rating, note, actor, stamp),
    )
    return int(cur.lastrowid) if cur.rowcount == 1 and cur.lastrowid else None


def evaluations(db: Database, case_id: int) -> list[sqlite3.Row]:
    return db.query(f"SELECT {EVALUATION_COLUMNS} FROM case_evaluations WHERE case_id = ? ORDER BY id", (case_id,))


def evaluation_for(db: Database, case_id: int, reply_ref: str) -> sqlite3.Row | None:
    return db.query_one(
        f"SELECT {EVALUATION_COLUMNS} FROM case_evaluations WHERE case_id = ? AND reply_ref = ?", (case_id, reply_ref)
    )


def insert_followup(
    conn: sqlite3.Connection, case_id: int, method: str, note: str | None, actor: str, stamp: str
) -> int:
    cur = conn.execute(
        "INSERT INTO case_followups(case_id, method, note, recorded_by, recorded_at) VALUES (?,?,?,?,?)",
        (case_id, method, note, actor, stamp),
    )
    return int(cur.lastrowid or 0)


def followups(db: Database, case_id: int) -> list[sqlite3.Row]:
    return db.query(f"SELECT {FOLLOWUP_COLUMNS} FROM case_followups WHERE case_id = ? ORDER BY id", (case_id,))


def rate_counts(
    db: Database, group_by: str, replied_sql: str, scope: tuple[str, list[Any]], date_from: str, date_to: str
) -> list[sqlite3.Row]:
    """Per unit: cases replied to in the period, how many of them were rated, how many (basically) satisfied.

    ``replied_sql`` selects ``case_id, at`` of every reply (bound dates :f and :t are applied here);
    a case counts once. Its rating is that of its latest reply in the period, among ratings recorded by
    the period's end, so a later rating never changes a past period. ``group_by`` is a checked column.
    """
    where, params = scope
    sql = f"""
        WITH replied AS (
            SELECT DISTINCT case_id FROM ({replied_sql}) WHERE substr(at, 1, 10) BETWEEN ? AND ?
        ),
        rated AS (
            SELECT case_id, rating,
                   ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY reply_at DESC, id DESC) AS latest
            FROM case_evaluations
            WHERE substr(reply_at, 1, 10) BETWEEN ? AND ? AND substr(recorded_at, 1, 10) <= ?
        )
        SELECT COALESCE(NULLIF(c.{group_by}, ''), '（未指定）') AS unit,
               COUNT(*) AS replied,
               SUM(rated.case_id IS NOT NULL) AS evaluated,
               SUM(rated.rating IN ('satisfied', 'basically_satisfied')) AS satisfied
        FROM replied JOIN cases c ON c.id = replied.case_id
        LEFT JOIN rated ON rated.case_id = replied.case_id AND rated.latest = 1
        WHERE {where}
        GROUP BY unit"""
    return db.query(sql, [date_from, date_to, date_from, date_to, date_to, *params])


def unsatisfied_at_reply(
    db: Database, ids: Sequence[int], stages: Sequence[str], reply_stages: Sequence[str]
) -> dict[int, str]:
    """Of ``ids``, the cases in one of ``stages`` whose current reply (their latest move into one of
    ``reply_stages``, ``case_transitions``) is rated 不满意: case id -> stage."""
    sql = f"""
        SELECT c.id AS case_id, c.stage FROM cases c
        JOIN case_evaluations e ON e.case_id = c.id AND e.rating = 'unsatisfied'
        WHERE c.stage IN ({marks(len(stages))}) AND e.reply_ref = (
            SELECT t.to_stage || '@' || t.at FROM case_transitions t
            WHERE t.case_id = c.id AND t.to_stage IN ({marks(len(reply_stages))})
              AND t.action != 'batch_decision' ORDER BY t.id DESC LIMIT 1
        ) AND c.id IN ({{marks}})"""
    found = query_in(db, sql, ids, before=[*stages, *reply_stages])
    return {int(r["case_id"]): str(r["stage"]) for r in found}
