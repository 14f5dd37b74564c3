"""SQL of the inbox: which item keys each user has read."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from kb.storage.db import Database
from kb.storage.sql import query_in


def read_keys(db: Database, username: str, keys: Sequence[str]) -> set[str]:
    rows = query_in(db, "SELECT key FROM inbox_reads WHERE username = ? AND key IN ({marks})", keys, [username])
    return {str(r[0]) for r in rows}


def mark_read(conn: sqlite3.Connection, username: str, keys: Sequence[str], stamp: str) -> int:
    """Record ``keys`` as read by ``username`` (keys already read keep their first time); how many were new."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO inbox_reads(username, key, read_at) VALUES (?,?,?)",
        [(username, key, stamp) for key in keys],
    )
    return conn.total_changes - before
