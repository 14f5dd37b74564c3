"""One SQLite database per deployment, in WAL mode, with the migrations it is given applied on open."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb.storage.migrate import Migration, apply, check_order

PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700


def private_file(path: Path) -> None:
    """Create ``path`` (empty) or restrict it to its owner: it holds petitions and password hashes.

    SQLite gives the ``-wal`` and ``-shm`` files the mode of the database file, so they follow.
    """
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    os.chmod(path, PRIVATE_FILE)


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only from the first byte (keys, credentials);
    a missing folder is created 0700."""
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, PRIVATE_FILE)
    os.chmod(path, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


class Database:
    """A serialised connection: SQLite handles one writer at a time anyway.

    ``transaction()`` is the only way to write, so an import either commits whole or not at all.
    ``migrations`` is the schema the caller expects (the product passes ``kb.schema.ALL_MIGRATIONS``;
    storage never imports features); steps not yet recorded are applied on open, ``()`` applies none.
    """

    def __init__(self, path: Path | str, *, migrations: Sequence[Migration]) -> None:
        check_order(migrations)
        self.path = Path(path)
        self.migrations = tuple(migrations)
        if str(path) != ":memory:":
            if not self.path.parent.exists():
                self.path.parent.mkdir(mode=PRIVATE_DIR, parents=True)
            private_file(self.path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=10000")
        try:
            self.applied = self.migrate()
        except BaseException:
            self._conn.close()
            raise
        for suffix in ("-wal", "-shm"):  # left by an older release with its default mode
            side = Path(f"{self.path}{suffix}")
            if str(path) != ":memory:" and side.exists():
                os.chmod(side, PRIVATE_FILE)

    def migrate(self) -> list[int]:
        """Apply this database's migrations not yet recorded; returns the versions applied now."""
        if not self.migrations:
            return []
        with self._lock:
            return apply(self, self.migrations)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn.in_transaction:  # nested: join the outer transaction
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                # SQLite has already rolled back after SQLITE_FULL and some I/O errors: a second
                # ROLLBACK would fail and hide the real error (a full disk answered 500).
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:  # not committed: nothing of it is stored
                    self._conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def query_column(self, sql: str, params: tuple | list | dict = ()) -> list[Any]:
        """The first column of every row, without building a ``Row`` per row (a search allow-list
        of tens of thousands of ids is read on every filtered query)."""
        with self._lock:
            cursor = self._conn.cursor()
            cursor.row_factory = lambda _cursor, row: row[0]
            return cursor.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple | list | dict = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def backup_to(self, target: Path) -> None:
        """A consistent online copy (SQLite's backup API), safe while the service runs."""
        target.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        private_file(target)
        dest = sqlite3.connect(str(target))
        try:
            with self._lock:
                self._conn.backup(dest)
        finally:
            dest.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
