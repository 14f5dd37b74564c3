"""Copy an embedded SQLite database into an empty PostgreSQL database (moving a deployment over).

The target gets the schema the source has recorded (the same migrations, applied by the same
runner), then every row of every table, in one transaction: a failure leaves the target as
empty as it was. Afterwards open it with the full migration list as usual, which applies the steps
the source had not reached yet (the upgrade path; tests/kb/storage/test_postgres.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from kb.errors import ConflictError
from kb.storage.db import Database
from kb.storage.migrate import Migration

BATCH = 500
# Tables the migrations themselves write rows into (migration 29 starts meta's filter generation):
# on the target they are replaced by the source's rows, not taken for data already there.
SEEDED = frozenset({"meta"})


def copy_sqlite_to_postgres(source: Path, url: str, migrations: Sequence[Migration]) -> dict[str, int]:
    """Copy ``source`` into the empty PostgreSQL database ``url``; returns rows copied per table.

    ``migrations`` is the product's full list; only the steps ``source`` recorded are applied to
    the target before the copy, so both have the same tables and columns.
    """
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        recorded = {int(r[0]) for r in src.execute("SELECT version FROM schema_migrations")}
        tables = [
            r[0]
            for r in src.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        target = Database(url, migrations=[m for m in migrations if m.version in recorded])
        try:
            return _copy(src, target, [t for t in tables if t != "schema_migrations"])
        finally:
            target.close()
    finally:
        src.close()


def _copy(src: sqlite3.Connection, target: Database, tables: list[str]) -> dict[str, int]:
    copied: dict[str, int] = {}
    with target.transaction() as conn:
        for table in tables:
            if table in SEEDED:
                continue
            if conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() is not None:
                raise ConflictError(f"目标数据库的表 {table} 已有数据：只能复制到空数据库")
        for table in SEEDED & set(tables):  # the source's values replace what the migrations wrote
            conn.execute(f'DELETE FROM "{table}"')
        # Rows go in table by table: foreign keys and triggers wait until the copy is complete.
        conn.execute("SET LOCAL session_replication_role = replica")
        for table in tables:
            cur = src.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cur.description]
            names = ", ".join(f'"{c}"' for c in columns)
            sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
            count = 0
            while batch := cur.fetchmany(BATCH):
                conn.executemany(sql, batch)
                count += len(batch)
            copied[table] = count
        conn.execute("SET LOCAL session_replication_role = origin")
    return copied
