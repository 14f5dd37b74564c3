"""UnitStore: the one owner of the ``units`` table (migration 8)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from kb.clock import Clock
from kb.storage.cases import now
from kb.storage.db import Database
from kb.units.catalog import Unit

# The ``meta`` key counting writes of ``units`` (PostgreSQL's stand-in for ``PRAGMA data_version``).
VERSION_KEY = "units_version"


@dataclass(frozen=True)
class StoredUnit:
    """A row of ``units``: the unit plus whether it is in use and who added it when."""

    unit: Unit
    active: bool
    created_by: str
    created_at: str


class UnitStore:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        """``clock`` (the service's) dates ``created_at``, as every other table's write times."""
        self.db, self.clock = db, clock

    def count(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) FROM units")
        return int(row[0]) if row else 0

    def rows(self, *, active_only: bool = True) -> list[StoredUnit]:
        where = " WHERE active = 1" if active_only else ""
        return [self._stored(r) for r in self.db.query(f"SELECT * FROM units{where} ORDER BY rowid")]

    def load(self) -> list[Unit]:
        """The active units, in the order they were added."""
        return [s.unit for s in self.rows()]

    def names(self, conn: sqlite3.Connection) -> set[str]:
        return {r[0] for r in conn.execute("SELECT name FROM units")}

    def seed(self, units: Iterable[Unit], created_by: str = "system") -> int:
        """Add the bundled units to an empty table (another process may have seeded it first)."""
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM units LIMIT 1").fetchone():
                return 0
            # One batch, not an UPDATE and an INSERT per unit: the table is empty (PostgreSQL turns a
            # batch of 16 rows or more into one COPY).
            stamp, rows = now(self.clock), []
            for unit in {u.name: u for u in units}.values():  # a repeated name: the last one, as upsert
                rows.append((unit.name, *self._values(unit, active=True), created_by, stamp))
            if rows:
                self._bump(conn)
                conn.executemany(
                    "INSERT INTO units(name, kind, parent, aliases, cities, active, created_by, created_at) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    rows,
                )
            return len(rows)

    def upsert(self, conn: sqlite3.Connection, unit: Unit, *, active: bool, created_by: str) -> bool:
        """Insert ``unit`` or replace the stored one of that name (keeping who added it when); True if new."""
        values = self._values(unit, active=active)
        self._bump(conn)
        updated = conn.execute(
            "UPDATE units SET kind = ?, parent = ?, aliases = ?, cities = ?, active = ? WHERE name = ?",
            (*values, unit.name),
        ).rowcount
        if updated:
            return False
        conn.execute(
            "INSERT INTO units(name, kind, parent, aliases, cities, active, created_by, created_at) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (unit.name, *values, created_by, now(self.clock)),
        )
        return True

    @staticmethod
    def _values(unit: Unit, *, active: bool) -> tuple[str, str | None, str, str, int]:
        """The stored columns after ``name``: kind, parent, aliases and cities (JSON), active."""
        return (
            unit.kind,
            unit.parent,
            json.dumps(list(unit.aliases), ensure_ascii=False),
            json.dumps(list(unit.cities), ensure_ascii=False),
            int(active),
        )

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        """Count a write of ``units`` in ``meta`` (``units_version``), inside the writer's transaction."""
        conn.execute(
            f"INSERT INTO meta(key, value) VALUES ('{VERSION_KEY}', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def data_version(self) -> int:
        """A number that changes when another connection changes the units (a CLI import while the
        server runs): SQLite's counter of commits by other connections (``PRAGMA data_version``);
        on PostgreSQL, which has no such counter, ``units_version`` in ``meta``, counted up by every
        ``upsert`` (the only writer of ``units``) in the same transaction. A reader that reads it
        before the units can only reload too often, never keep a stale catalog."""
        if getattr(self.db, "dialect", "sqlite") == "postgresql":
            row = self.db.query_one("SELECT value FROM meta WHERE key = ?", (VERSION_KEY,))
        else:
            row = self.db.query_one("PRAGMA data_version")
        return int(row[0]) if row else 0

    @staticmethod
    def _stored(row: sqlite3.Row) -> StoredUnit:
        unit = Unit(
            row["name"],
            row["kind"],
            row["parent"],
            tuple(json.loads(row["aliases"] or "[]")),
            tuple(json.loads(row["cities"] or "[]")),
        )
        return StoredUnit(unit, bool(row["active"]), row["created_by"], row["created_at"])
