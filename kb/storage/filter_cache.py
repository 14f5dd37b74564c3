"""Filter -> allowed id list, cached while the database's filter generation is unchanged.

A filtered search needs the ids of every case matching its filters (kb/search.py). Reading them
from the database on every query cost up to 14x an unfiltered search at 100,000 cases
(docs/benchmarks.md "Filtered search at 100,000 cases"), so ``CaseRepository.filter_ids`` keeps the
sorted id array of each filter here and reuses it while ``meta.filter_generation`` stays the same.

The counter is moved by **triggers** (migration 29, ``FILTER_GENERATION``), not by code paths: every
writer in every process — imports, edits, status changes, deletes, assignments and 诉访分离
referrals, even a hand-written ``UPDATE`` — bumps it in its own transaction, so a process-local
cache is correct beside other processes: each lookup reads the counter (one cheap query) and drops
the whole cache when it moved. The triggers cover what ``filter_sql`` reads:

- ``cases``: any insert or delete, and updates of the filterable columns (``kb.fields.filter_fields``)
  and of the columns an account scope reads (``kb.scope.Scope.sql``: city, department, litigation, id);
- ``case_assignments`` and ``litigation_referrals``, which a department scope reads.

tests/kb/storage/test_filter_cache.py checks these lists against the field table and the SQL of
every scope, so a new filterable column without a new trigger fails the tests. The key of a cached
list is the filter's SQL and parameters themselves, so a deadline filter (which compares with
today's date) is keyed on the day and cannot outlive it.

The counter is read *before* the ids: a write that commits in between leaves ids newer than the
counter they are stored under, and the next lookup sees the moved counter and recomputes; a
cached list is never older than its counter. The cache is bounded in bytes (least recently used
first out: ``indexing.lru.VersionedLRU``). A database whose ``filter_generation`` row is missing (a
write path this module does not know) is never cached.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np

from indexing.lru import VersionedLRU
from kb.storage.db import Database
from kb.storage.migrate import Migration

GENERATION_KEY = "filter_generation"
# What the triggers watch (the test compares these with the field table and the scope SQL).
CASE_COLUMNS = (
    "id",
    "received_date",
    "channel",
    "city",
    "department",
    "category",
    "status",
    "litigation",
    "due_date",
    "origin",
    "backlog_list",
)
SCOPE_TABLES: dict[str, tuple[str, ...]] = {
    "case_assignments": ("case_id", "unit", "active"),
    "litigation_referrals": ("case_id", "unit"),
}
DEFAULT_MAX_BYTES = 64 << 20  # 64 MiB: ~80 lists of the whole 100,000-case corpus

_BUMP = f"UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = '{GENERATION_KEY}';"


def _triggers(table: str, columns: tuple[str, ...]) -> str:
    prefix = f"filter_generation_{table}"
    return "\n".join(
        [
            f"CREATE TRIGGER {prefix}_insert AFTER INSERT ON {table} BEGIN {_BUMP} END;",
            f"CREATE TRIGGER {prefix}_delete AFTER DELETE ON {table} BEGIN {_BUMP} END;",
            f"CREATE TRIGGER {prefix}_update AFTER UPDATE OF {', '.join(columns)} ON {table} BEGIN {_BUMP} END;",
        ]
    )


# Migration 29: the counter and its triggers, plus the composite index the combined filter
# (city + status + received date, docs/benchmarks.md) uses instead of the city index alone.
FILTER_GENERATION_V29 = "\n".join(
    [
        f"INSERT OR IGNORE INTO meta(key, value) VALUES ('{GENERATION_KEY}', '0');",
        _triggers("cases", CASE_COLUMNS),
        *(_triggers(table, cols) for table, cols in SCOPE_TABLES.items()),
        "CREATE INDEX ix_cases_city_status_received ON cases(city, status, received_date);",
    ]
)
FILTER_GENERATION = Migration(29, "cases: filter generation counter and triggers", FILTER_GENERATION_V29)

MIGRATIONS: list[Migration] = [FILTER_GENERATION]


def read_filter_generation(db: Database) -> int | None:
    """The counter the triggers move, or None when the row is missing (then nothing is cached)."""
    row = db.query_one(f"SELECT value FROM meta WHERE key = '{GENERATION_KEY}'")
    return int(row[0]) if row else None


class FilterCache:
    """Sorted, read-only id arrays by filter key, valid for one value of the filter generation."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        # ordered: a reader that saw an older counter than another thread neither drops nor fills it.
        self._lists: VersionedLRU[Hashable, np.ndarray] = VersionedLRU(max_bytes, ordered=True)
        self.hits = self.misses = 0

    @property
    def generation(self) -> int | None:
        return self._lists.version

    @property
    def max_bytes(self) -> int:
        return self._lists.max_bytes

    def __len__(self) -> int:
        return len(self._lists)

    def clear(self) -> None:
        self._lists.clear()

    def ids(self, db: Database, key: Hashable, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The ids of ``key``: cached while the generation holds, else ``compute()`` (and kept)."""
        generation = read_filter_generation(db)  # before the ids: see the module docstring
        found = None if generation is None else self._lists.get(generation, key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        ids = compute()
        if generation is not None:
            ids.setflags(write=False)  # shared by every caller until the generation moves
            self._lists.put(generation, key, ids, ids.nbytes)
        return ids
