"""Progress of running imports (migration 32): the only writer of ``import_progress``.

An HTTP upload names an ``import_id`` (any token its client chooses); ``GET
/api/cases/import/progress/{import_id}`` reads how far it got and when it should end. The progress
lives in the database, not in the process, so with ``leian serve --workers N`` (or several machines
on PostgreSQL) the worker that runs the import and the one that answers the progress request need
not be the same. Rows are keyed by (account, import id): only the account that started an import
reads its progress, and two accounts choosing the same id never meet.

Writes are throttled (at most one per ``WRITE_EVERY`` seconds while the share moves, always on a
stage change and at the end) and each is its own short transaction, taken while the import encodes
and never inside the import's own write transaction. A finished import stays readable for
``KEEP_SECONDS``; rows of imports that stopped reporting a day ago are removed at the next start.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from kb.clock import Clock
from kb.storage.db import Database
from kb.storage.migrate import Migration

KEEP_SECONDS = 600.0
STALE_SECONDS = 86400.0
WRITE_EVERY = 0.5

IMPORT_PROGRESS_V32 = """
CREATE TABLE import_progress (
    username     TEXT NOT NULL,
    import_id    TEXT NOT NULL,
    total        INTEGER NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0,
    stage        TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    finished_at  TEXT,
    PRIMARY KEY (username, import_id)
);
CREATE INDEX ix_import_progress_updated ON import_progress(updated_at);
"""
IMPORT_PROGRESS = Migration(32, "import progress shared by every API worker", IMPORT_PROGRESS_V32)
MIGRATIONS: list[Migration] = [IMPORT_PROGRESS]

FIRST_STAGE = "读取并校验"
ENCODING = "编码"
WRITING = "写入数据库、检测重复信访并归入类案组"
DONE = "完成"
FAILED = "失败，未写入任何数据"


@dataclass
class ImportTracker:
    """One running import's progress, as the importing thread sees it (``advance`` is a ``ProgressFn``)."""

    store: ImportProgressStore
    username: str
    import_id: str
    total: int
    done: int = 0
    stage: str = FIRST_STAGE
    _written: float = field(default=0.0, repr=False)

    def advance(self, n: int) -> None:
        self.done += n
        stage = ENCODING if self.done < self.total else WRITING
        now = time.monotonic()
        if stage != self.stage or now - self._written >= WRITE_EVERY:
            self.stage, self._written = stage, now
            self.store.write(self)

    def finish(self, stage: str) -> None:
        self.stage = stage
        self.store.write(self, finished=True)


class ImportProgressStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def _now(self) -> str:
        return self.clock.now().isoformat()

    def start(self, import_id: str, username: str, total: int) -> ImportTracker:
        """Begin (or restart, for the same account and id) the record of one import."""
        now = self.clock.now()
        finished_before = (now - dt.timedelta(seconds=KEEP_SECONDS)).isoformat()
        stale_before = (now - dt.timedelta(seconds=STALE_SECONDS)).isoformat()
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM import_progress WHERE (finished_at IS NOT NULL AND finished_at < ?) OR updated_at < ?",
                (finished_before, stale_before),
            )
            conn.execute(
                "INSERT INTO import_progress(username, import_id, total, done, stage, started_at, updated_at) "
                "VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT (username, import_id) DO UPDATE SET "
                "total = excluded.total, done = 0, stage = excluded.stage, started_at = excluded.started_at, "
                "updated_at = excluded.updated_at, finished_at = NULL",
                (username, import_id, total, FIRST_STAGE, now.isoformat(), now.isoformat()),
            )
        return ImportTracker(self, username, import_id, total)

    def write(self, tracker: ImportTracker, *, finished: bool = False) -> None:
        now = self._now()
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE import_progress SET done = ?, stage = ?, updated_at = ?, finished_at = ? "
                "WHERE username = ? AND import_id = ?",
                (tracker.done, tracker.stage, now, now if finished else None, tracker.username, tracker.import_id),
            )

    def get(self, import_id: str, username: str) -> dict[str, Any] | None:
        """The progress of ``username``'s import ``import_id``, or None (unknown, another account's,
        or finished more than ``KEEP_SECONDS`` ago)."""
        row = self.db.query_one(
            "SELECT * FROM import_progress WHERE username = ? AND import_id = ?", (username, import_id)
        )
        if row is None:
            return None
        now = self.clock.now()
        finished = dt.datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else None
        if finished is not None and (now - finished).total_seconds() > KEEP_SECONDS:
            return None
        started = dt.datetime.fromisoformat(row["started_at"])
        elapsed = max(0.0, ((finished or now) - started).total_seconds())
        done, total = int(row["done"]), int(row["total"])
        share = min(1.0, done / total) if total else 0.0
        eta = elapsed * (1 - share) / share if 0 < share < 1 else (0.0 if share >= 1 else None)
        return {
            "stage": row["stage"],
            "done": done,
            "total": total,
            "share": round(share, 4),
            "elapsed_seconds": round(elapsed, 1),
            "eta_seconds": None if eta is None else round(eta, 1),
            "finished": finished is not None,
        }
