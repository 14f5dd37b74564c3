"""Migration of the unit master data: 8 (the ``units`` table, owned by ``kb.units.store``)."""

from __future__ import annotations

from kb.storage.migrate import Migration

UNITS_V8 = """
-- Master data: cities, districts, departments, 政法 units and the bureau's divisions (name = canonical).
-- aliases and cities are JSON lists; the bundled 广东省 data is seeded when the table is empty.
CREATE TABLE units (
    name       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    parent     TEXT,
    aliases    TEXT NOT NULL DEFAULT '[]',
    cities     TEXT NOT NULL DEFAULT '[]',
    active     INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_units_kind ON units(kind, parent);
"""

UNITS = Migration(8, "unit master data", UNITS_V8)

# This module's steps, ascending; kb/schema.py places them in the global order.
MIGRATIONS: list[Migration] = [UNITS]
