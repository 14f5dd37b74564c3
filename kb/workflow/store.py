"""SQL of the workflow's case-level tables: litigation tracks, repeat links, routing reads.

Workflow logic (``litigation``, ``repeats``, ``views``, ``suggest``) calls these (assignments and
handlers: ``assignment_store``);
changes to the ``cases`` table itself go through ``CaseRepository``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from kb.scope import PROVINCE, Scope
from kb.storage.db import Database
from kb.storage.sql import execute_in, marks, query_in


# -- 诉访分离 -----------------------------------------------------------------------------------------
def track_status(conn: sqlite3.Connection, case_id: int) -> str | None:
    row = conn.execute("SELECT status FROM litigation_tracks WHERE case_id = ?", (case_id,)).fetchone()
    return None if row is None else str(row["status"])


_INSERT_TRACK = "INSERT INTO litigation_tracks(case_id, score, evidence, updated_by, updated_at) VALUES (?,?,?,?,?)"
_INSERT_EVENT = "INSERT INTO litigation_events(case_id, status, note, actor, at) VALUES (?,?,?,?,?)"


def insert_track(conn: sqlite3.Connection, case_id: int, score: float, evidence: str, actor: str, stamp: str) -> None:
    conn.execute(_INSERT_TRACK, (case_id, score, evidence, actor, stamp))


def update_tracks_evidence(conn: sqlite3.Connection, rows: Sequence[tuple[float, str, int]]) -> None:
    """New evidence for tracked cases (their status kept): (score, evidence, case id) rows."""
    conn.executemany("UPDATE litigation_tracks SET score = ?, evidence = ? WHERE case_id = ?", rows)


def insert_tracks(conn: sqlite3.Connection, rows: Sequence[tuple[int, float, str, str, str]]) -> None:
    """``insert_track`` of many cases: (case id, score, evidence, actor, stamp) rows."""
    conn.executemany(_INSERT_TRACK, rows)


def add_litigation_events(conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str | None, str, str]]) -> None:
    """``add_litigation_event`` of many cases: (case id, status, note, actor, stamp) rows."""
    conn.executemany(_INSERT_EVENT, rows)


def set_track_status(conn: sqlite3.Connection, case_id: int, status: str, actor: str, stamp: str) -> None:
    conn.execute(
        "UPDATE litigation_tracks SET status = ?, updated_by = ?, updated_at = ? WHERE case_id = ?",
        (status, actor, stamp, case_id),
    )


def add_litigation_event(
    conn: sqlite3.Connection, case_id: int, status: str, note: str | None, actor: str, stamp: str
) -> None:
    conn.execute(_INSERT_EVENT, (case_id, status, note, actor, stamp))


def track(db: Database, case_id: int) -> tuple[sqlite3.Row | None, list[sqlite3.Row]]:
    """A case's litigation track and its events (oldest first); (None, []) when untracked."""
    row = db.query_one("SELECT * FROM litigation_tracks WHERE case_id = ?", (case_id,))
    if row is None:
        return None, []
    return row, db.query(
        "SELECT status, note, actor, at FROM litigation_events WHERE case_id = ? ORDER BY id", (case_id,)
    )


def litigation_rows(db: Database, status: str | None, limit: int, scope: Scope = PROVINCE) -> list[sqlite3.Row]:
    """Tracked cases within ``scope``, most recently updated first."""
    where, params = scope.sql("c")
    sql = (
        "SELECT t.case_id, c.external_no, c.title, c.petitioner_name, c.city, t.status, t.score, t.channel, "
        "t.updated_at "
        f"FROM litigation_tracks t JOIN cases c ON c.id = t.case_id WHERE {where}"
    )
    if status:
        sql, params = sql + " AND t.status = ?", [*params, status]
    return db.query(sql + " ORDER BY t.updated_at DESC, t.case_id DESC LIMIT ?", [*params, limit])


# -- 重复信访 -----------------------------------------------------------------------------------------
def delete_links(conn: sqlite3.Connection, case_ids: Sequence[int]) -> None:
    """Forget the detected links of these cases (before detecting again); manual links stay."""
    execute_in(conn, "DELETE FROM case_links WHERE manual = 0 AND case_id IN ({marks})", case_ids)


def save_fingerprints(conn: sqlite3.Connection, rows: Sequence[tuple[int, str]]) -> None:
    conn.executemany("INSERT OR REPLACE INTO case_fingerprints(case_id, norm_hash) VALUES (?, ?)", rows)


LinkRow = tuple[int, str, int, float, int, str, Sequence[str]]

LINK_SQL = (
    "INSERT INTO case_links(case_id, kind, other_id, similarity, repeat_count, created_at, evidence) "
    "VALUES (?,?,?,?,?,?,?) ON CONFLICT(case_id, kind) DO UPDATE SET other_id = excluded.other_id, "
    "similarity = excluded.similarity, repeat_count = excluded.repeat_count, created_at = excluded.created_at, "
    "evidence = excluded.evidence WHERE case_links.manual = 0"
)


def save_link(
    conn: sqlite3.Connection,
    case_id: int,
    kind: str,
    other: int,
    similarity: float,
    count: int,
    stamp: str,
    evidence: Sequence[str] = (),
) -> None:
    """A detected link with its evidence (migration 19); a manual link of the same case and kind is kept instead."""
    save_links(conn, [(case_id, kind, other, similarity, count, stamp, evidence)])


def save_links(conn: sqlite3.Connection, links: Sequence[LinkRow]) -> None:
    """``save_link`` for many links in one statement (one pipeline on PostgreSQL)."""
    if links:
        conn.executemany(LINK_SQL, [(*link[:6], json.dumps(list(link[6]), ensure_ascii=False)) for link in links])


def earliest_by_text(conn: sqlite3.Connection, hashes: Sequence[str]) -> dict[str, tuple[str, int]]:
    """norm_hash -> (received_date, id) of the earliest stored case with that normalised text (one
    statement per ``IN`` chunk for a whole import batch)."""
    rows = query_in(
        conn,
        "SELECT norm_hash, received_date, id FROM (SELECT f.norm_hash, c.received_date, c.id, "
        "ROW_NUMBER() OVER (PARTITION BY f.norm_hash ORDER BY c.received_date, c.id) AS rn "
        "FROM case_fingerprints f JOIN cases c ON c.id = f.case_id WHERE f.norm_hash IN ({marks})) AS ranked "
        "WHERE rn = 1",
        sorted(set(hashes)),
    )
    return {str(r["norm_hash"]): (str(r["received_date"]), int(r["id"])) for r in rows}


def petitioners_cases(
    conn: sqlite3.Connection, petitioner_keys: Sequence[str], since: str, until: str
) -> dict[str, list[sqlite3.Row]]:
    """Cases of these petitioners received in [since, until], by key, each list in id order (id,
    petitioner_key, received_date, tokens, text, category, city, district)."""
    rows = query_in(
        conn,
        "SELECT id, petitioner_key, received_date, tokens, title || '。' || content AS text, category, city, district "
        "FROM cases WHERE petitioner_key IN ({marks}) AND received_date BETWEEN ? AND ? ORDER BY id",
        sorted(set(petitioner_keys)),
        after=[since, until],
    )
    out: dict[str, list[sqlite3.Row]] = {}
    for r in sorted(rows, key=lambda r: int(r["id"])):
        out.setdefault(str(r["petitioner_key"]), []).append(r)
    return out


def cases_by_id(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, sqlite3.Row]:
    """id -> (id, received_date, tokens, petitioner_key) of these cases."""
    rows = query_in(conn, "SELECT id, received_date, tokens, petitioner_key FROM cases WHERE id IN ({marks})", ids)
    return {int(r["id"]): r for r in rows}


def track_statuses(conn: sqlite3.Connection, case_ids: Sequence[int]) -> dict[int, str]:
    """case id -> litigation track status, for those of ``case_ids`` tracked."""
    rows = query_in(conn, "SELECT case_id, status FROM litigation_tracks WHERE case_id IN ({marks})", case_ids)
    return {int(r[0]): str(r[1]) for r in rows}


def link_rows(db: Database, case_id: int) -> list[sqlite3.Row]:
    return db.query(
        "SELECT l.kind, l.other_id, o.external_no AS other_external_no, l.similarity, l.repeat_count, "
        "l.manual, l.note, l.evidence "
        "FROM case_links l JOIN cases o ON o.id = l.other_id WHERE l.case_id = ? ORDER BY l.kind",
        (case_id,),
    )


def later_repeats(db: Database, case_id: int) -> int:
    row = db.query_one("SELECT COUNT(*) FROM case_links WHERE other_id = ? AND kind = 'repeat'", (case_id,))
    return int(row[0]) if row else 0


def links_of(db: Database, ids: Sequence[int]) -> list[sqlite3.Row]:
    return query_in(db, "SELECT case_id, kind, repeat_count FROM case_links WHERE case_id IN ({marks})", ids)


def tracks_of(db: Database, ids: Sequence[int]) -> list[sqlite3.Row]:
    return query_in(db, "SELECT case_id, status FROM litigation_tracks WHERE case_id IN ({marks})", ids)


def repeat_rows(db: Database, kind: str | None, limit: int, scope: Scope = PROVINCE) -> list[sqlite3.Row]:
    """Links whose (later) case is within ``scope``; the earlier case may lie outside it (the caller masks it)."""
    where, params = scope.sql("c")
    sql = (
        "SELECT l.case_id, c.external_no, c.city, c.received_date, l.kind, l.other_id, "
        "o.external_no AS other_external_no, l.similarity, l.repeat_count, l.evidence "
        f"FROM case_links l JOIN cases c ON c.id = l.case_id JOIN cases o ON o.id = l.other_id WHERE {where}"
    )
    if kind:
        sql, params = sql + " AND l.kind = ?", [*params, kind]
    # A case may hold links of several kinds: ``l.kind`` orders them, or SQLite and PostgreSQL list
    # (and cut at ``limit``) them differently (tests/kb/test_congruence.py).
    return db.query(sql + " ORDER BY c.received_date DESC, l.case_id DESC, l.kind LIMIT ?", [*params, limit])


# -- 人工关联 / 解除关联 (manual repeat links, the pairs people unlinked, and the history) -------------------
def blocked_pairs(conn: sqlite3.Connection, case_ids: Sequence[int]) -> set[frozenset[int]]:
    """Pairs involving these cases that a person unlinked: detection never links them again."""
    sql = "SELECT case_id, other_id FROM case_link_blocks WHERE {column} IN ({{marks}})"
    found = [
        *query_in(conn, sql.format(column="case_id"), case_ids),
        *query_in(conn, sql.format(column="other_id"), case_ids),
    ]
    return {frozenset((int(r["case_id"]), int(r["other_id"]))) for r in found}


def links_between(conn: sqlite3.Connection, a: int, b: int) -> list[sqlite3.Row]:
    """Links of any kind and direction between two cases."""
    return conn.execute(
        "SELECT case_id, kind, other_id, manual FROM case_links "
        "WHERE (case_id = ? AND other_id = ?) OR (case_id = ? AND other_id = ?) ORDER BY case_id, kind",
        (a, b, b, a),
    ).fetchall()


def repeat_link(conn: sqlite3.Connection, case_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT other_id, repeat_count, manual FROM case_links WHERE case_id = ? AND kind = 'repeat'", (case_id,)
    ).fetchone()


def save_manual_link(
    conn: sqlite3.Connection, case_id: int, other: int, count: int, note: str | None, stamp: str
) -> None:
    """``case_id`` is a repeat of the earlier ``other`` because a person said so (replaces a detected one)."""
    conn.execute(
        "INSERT OR REPLACE INTO case_links"
        "(case_id, kind, other_id, similarity, repeat_count, created_at, manual, note) "
        "VALUES (?, 'repeat', ?, 1.0, ?, ?, 1, ?)",
        (case_id, other, count, stamp, note),
    )


def delete_links_between(conn: sqlite3.Connection, a: int, b: int) -> None:
    conn.execute(
        "DELETE FROM case_links WHERE (case_id = ? AND other_id = ?) OR (case_id = ? AND other_id = ?)", (a, b, b, a)
    )


def block_pair(conn: sqlite3.Connection, a: int, b: int, actor: str, stamp: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO case_link_blocks(case_id, other_id, blocked_by, blocked_at) VALUES (?,?,?,?)",
        (a, b, actor, stamp),
    )


def unblock_pair(conn: sqlite3.Connection, a: int, b: int) -> None:
    conn.execute(
        "DELETE FROM case_link_blocks WHERE (case_id = ? AND other_id = ?) OR (case_id = ? AND other_id = ?)",
        (a, b, b, a),
    )


def add_link_event(
    conn: sqlite3.Connection,
    case_id: int,
    other: int,
    action: str,
    kinds: str,
    note: str | None,
    actor: str,
    stamp: str,
) -> None:
    conn.execute(
        "INSERT INTO case_link_events(case_id, other_id, action, kinds, note, actor, at) VALUES (?,?,?,?,?,?,?)",
        (case_id, other, action, kinds, note, actor, stamp),
    )


def link_events(db: Database, case_ids: Sequence[int]) -> list[sqlite3.Row]:
    """The manual link history of these cases (either side), oldest first."""
    sql = (
        "SELECT id, case_id, other_id, action, kinds, note, actor, at FROM case_link_events "
        "WHERE {column} IN ({{marks}})"
    )
    found = {
        int(r["id"]): r for column in ("case_id", "other_id") for r in query_in(db, sql.format(column=column), case_ids)
    }
    return [found[i] for i in sorted(found)]


# -- 信访人 (a petitioner's cases) ---------------------------------------------------------------------
def petitioner_case_ids(db: Database, key: str, scope: Scope) -> list[int]:
    """Ids of the cases of the petitioner with key ``key``, within the scope, oldest first."""
    where, params = scope.sql()
    rows = db.query(
        f"SELECT id FROM cases WHERE petitioner_key = ? AND ({where}) ORDER BY received_date, id", [key, *params]
    )
    return [int(r["id"]) for r in rows]


def petitioner_keys_like(db: Database, key: str, scope: Scope) -> list[str]:
    """The distinct full keys within the scope that start with ``key`` (two at most: enough to refuse an
    ambiguous prefix)."""
    where, params = scope.sql()
    rows = db.query(
        f"SELECT DISTINCT petitioner_key FROM cases WHERE petitioner_key LIKE ? || '%' AND ({where}) LIMIT 2",
        [key, *params],
    )
    return [str(r[0]) for r in rows]


# -- routing (reads of handled cases) ---------------------------------------------------------------
def labelled_count(db: Database, column: str, statuses: Sequence[str]) -> int:
    row = db.query_one(
        f"SELECT COUNT(*) FROM cases WHERE {column} IS NOT NULL AND status IN ({marks(len(statuses))})",
        list(statuses),
    )
    return int(row[0]) if row else 0


def training_rows(
    db: Database, column: str, term_column: str, statuses: Sequence[str], limit: int
) -> list[sqlite3.Row]:
    """The newest ``limit`` handled cases with ``column`` set: id, label, tokens, title, content, term.

    ``status || ''`` keeps the planner off the status index on purpose: through it, SQLite fetched
    every handled row (tokens and content included) into a temporary B-tree to sort by id before
    the limit — the whole corpus at 1,000,000 cases; walking the table newest-first stops after
    about ``limit`` rows (docs/benchmarks.md "Warm paths")."""
    return db.query(
        f"SELECT id, {column} AS label, tokens, title, content, {term_column} AS term FROM cases "
        f"WHERE {column} IS NOT NULL AND status || '' IN ({marks(len(statuses))}) ORDER BY id DESC LIMIT ?",
        [*statuses, limit],
    )
