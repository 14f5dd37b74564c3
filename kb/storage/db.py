"""One database per deployment, with the migrations it is given applied on open.

SQLite (a file, in WAL mode) is the default; a ``postgresql://`` URL opens that PostgreSQL database
through ``kb.storage.postgres``, which runs the same SQLite-dialect SQL of the stores (translated)
and raises the same ``sqlite3`` exception classes, so no store knows which one it talks to.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb.storage.migrate import Migration, apply, check_order

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# Every write transaction on PostgreSQL takes this advisory lock first: writers are serialised
# across processes and machines, the guarantee SQLite's BEGIN IMMEDIATE gives (docs/deploy.md).
WRITE_LOCK_KEY = 0x4C45_4941  # "LEIA"
# Opening a PostgreSQL database applies the migrations under this session lock: several workers
# starting at once apply each step once (the others wait, then find it recorded).
MIGRATE_LOCK_KEY = WRITE_LOCK_KEY + 1
# PostgreSQL connections per Database (per API worker process): the threads of a worker read at
# once on up to this many; writers still queue on WRITE_LOCK_KEY (docs/deploy.md).
POOL_SIZE = 4


def is_postgres(target: Path | str) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
log = logging.getLogger(__name__)


def private_file(path: Path) -> None:
    """Create ``path`` (empty) or restrict it to its owner: it holds petitions and password hashes.

    SQLite gives the ``-wal`` and ``-shm`` files the mode of the database file, so they follow.
    """
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    os.chmod(path, PRIVATE_FILE)


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only from the first byte (keys, credentials);
    a missing folder is created 0700."""
    write_private_bytes(path, text.encode("utf-8"))


def write_private_bytes(path: Path, data: bytes) -> None:
    """``write_private_text`` for bytes (an uploaded file kept for a background job)."""
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, PRIVATE_FILE)
    os.chmod(path, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _run(callbacks: Sequence[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("an after-commit step failed (the transaction is committed)")


def keyset_pages(
    db: Database, sql: str, params: Sequence[Any], key: str, page: int, after: int = -1
) -> Iterator[list[sqlite3.Row]]:
    """The rows of ``sql`` a page at a time, by keyset: its last two placeholders are the key to
    start after (``WHERE key > ?``, with ``ORDER BY key``) and the page size (``LIMIT ?``); each page
    starts after the last row's ``key`` column. Empty pages are not yielded."""
    while True:
        rows = db.query(sql, (*params, after, page))
        if rows:
            yield rows
        if len(rows) < page:
            return
        after = int(rows[-1][key])


class Database:
    """SQLite: one serialised connection (SQLite handles one writer at a time anyway).
    PostgreSQL: a pool of up to ``pool_size`` connections (``kb.storage.postgres.PgPool``), so the
    threads of one API worker read at once; a thread's transaction keeps its connection until it
    ends, and that thread's reads meanwhile go through it (they see its writes).

    ``transaction()`` is the only way to write, so an import either commits whole or not at all.
    ``migrations`` is the schema the caller expects (the product passes ``kb.schema.ALL_MIGRATIONS``;
    storage never imports features); steps not yet recorded are applied on open, ``()`` applies none.
    """

    def __init__(self, path: Path | str, *, migrations: Sequence[Migration], pool_size: int = POOL_SIZE) -> None:
        check_order(migrations)
        self.migrations = tuple(migrations)
        self._lock = threading.RLock()
        self._after: list[Callable[[], None]] = []  # SQLite: ``after_commit`` callbacks of the open transaction
        self._pool: Any = None  # PostgreSQL: kb.storage.postgres.PgPool
        self._local = threading.local()  # PostgreSQL: this thread's pinned connection and callbacks
        if is_postgres(path):
            self._open_postgres(str(path), pool_size)
            return
        self.dialect = "sqlite"
        self.url: str | None = None
        self.path = Path(path)
        if str(path) != ":memory:":
            if not self.path.parent.exists():
                self.path.parent.mkdir(mode=PRIVATE_DIR, parents=True)
            private_file(self.path)
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

    def _open_postgres(self, url: str, pool_size: int) -> None:
        from kb.storage.postgres import PgConnection, PgPool  # psycopg is the optional ``postgres`` extra

        self.dialect = "postgresql"
        self.url = url
        self.path = Path(url.rsplit("/", 1)[-1].split("?", 1)[0] or "postgresql")  # a label, never a file
        self._conn = PgConnection(url)  # a sqlite3.Connection subclass: the stores' hints hold
        self._pool = PgPool(url, pool_size, self._conn)
        try:
            self.applied = self.migrate()
        except BaseException:
            self._pool.close()
            raise

    @property
    def round_trips(self) -> int:
        """Statements sent to PostgreSQL by every connection of the pool (0 on SQLite)."""
        return sum(c.round_trips for c in self._pool.all) if self._pool is not None else 0

    @contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        """The connection for one call: SQLite's (under the lock); on PostgreSQL this thread's
        pinned one (its open transaction, a migration run), else one taken from the pool."""
        if self._pool is None:
            with self._lock:
                yield self._conn
            return
        pinned = getattr(self._local, "conn", None)
        if pinned is not None:
            yield pinned
            return
        conn = self._pool.take()
        try:
            yield conn
        finally:
            self._pool.give(conn)

    @contextmanager
    def _pinned(self, conn: sqlite3.Connection) -> Iterator[bool]:
        """This thread's calls go through ``conn`` until the block ends (PostgreSQL); True if it
        pinned it now (False: already pinned, or SQLite)."""
        if self._pool is None or getattr(self._local, "conn", None) is not None:
            yield False
            return
        self._local.conn, self._local.after = conn, []
        try:
            yield True
        finally:
            self._local.conn, self._local.after = None, []

    def migrate(self) -> list[int]:
        """Apply this database's migrations not yet recorded; returns the versions applied now."""
        if not self.migrations:
            return []
        with self._use() as conn, self._pinned(conn):
            if self.dialect == "sqlite":
                return apply(self, self.migrations)
            conn.execute("SELECT pg_advisory_lock(?)", (MIGRATE_LOCK_KEY,))
            try:
                return apply(self, self.migrations)  # reads what is recorded once it holds the lock
            finally:
                conn.execute("SELECT pg_advisory_unlock(?)", (MIGRATE_LOCK_KEY,))

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction has committed, after the database lock is
        released (so it may take other locks and read); dropped if the transaction rolls back.
        Outside a transaction it runs at once. A failing callback is logged, never raised: the
        write is stored by then."""
        if self._pool is not None:  # PostgreSQL: this thread's transaction, if it has one open
            pinned = getattr(self._local, "conn", None)
            if pinned is not None and pinned.in_transaction:
                self._local.after.append(callback)
                return
            _run([callback])
            return
        with self._lock:
            if self._conn.in_transaction:
                self._after.append(callback)
                return
        _run([callback])

    def _callbacks(self) -> list[Callable[[], None]]:
        return self._local.after if self._pool is not None else self._after

    def _reset_callbacks(self) -> list[Callable[[], None]]:
        callbacks = self._callbacks()
        if self._pool is not None:
            self._local.after = []
        else:
            self._after = []
        return callbacks

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._use() as conn:
            if conn.in_transaction:  # nested: join the outer transaction
                yield conn
                return
            with self._pinned(conn):
                if self.dialect == "sqlite":
                    conn.execute("BEGIN IMMEDIATE")
                else:
                    conn.execute("BEGIN")
                    try:
                        conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK_KEY,))
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                self._reset_callbacks()
                try:
                    yield conn
                except BaseException:
                    self._reset_callbacks()
                    # SQLite has already rolled back after SQLITE_FULL and some I/O errors: a second
                    # ROLLBACK would fail and hide the real error (a full disk answered 500).
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    self._reset_callbacks()
                    if conn.in_transaction:  # not committed: nothing of it is stored
                        conn.execute("ROLLBACK")
                    raise
                callbacks = self._reset_callbacks()
        _run(callbacks)

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[sqlite3.Row]:
        with self._use() as conn:
            return conn.execute(sql, params).fetchall()

    def query_column(self, sql: str, params: tuple | list | dict = ()) -> list[Any]:
        """The first column of every row, without building a ``Row`` per row (a search allow-list
        of tens of thousands of ids is read on every filtered query)."""
        with self._use() as conn:
            if self.dialect != "sqlite":  # the PostgreSQL connection's rows are tuples already
                return [row[0] for row in conn.execute(sql, params).fetchall()]
            cursor = conn.cursor()
            cursor.row_factory = lambda _cursor, row: row[0]
            return cursor.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple | list | dict = ()) -> sqlite3.Row | None:
        with self._use() as conn:
            return conn.execute(sql, params).fetchone()

    def backup_to(self, target: Path) -> None:
        """A consistent online copy (SQLite's backup API), safe while the service runs."""
        if self.dialect != "sqlite":
            raise NotImplementedError("PostgreSQL 数据库请用 pg_dump 备份（见 docs/deploy.md）")
        target.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        private_file(target)
        dest = sqlite3.connect(str(target))
        try:
            with self._lock:
                self._conn.backup(dest)
        finally:
            dest.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            return
        with self._lock:
            self._conn.close()
