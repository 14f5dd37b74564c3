"""A psycopg 3 connection that behaves like the ``sqlite3`` connection the stores were written for.

The stores call ``conn.execute(sql, params)`` with SQLite SQL and read ``fetchone()``/``fetchall()``,
``rowcount`` and ``lastrowid``; rows are read by column name and by index. This adapter gives them
exactly that on PostgreSQL:

- SQL goes through ``kb.storage.pg_dialect`` (translated once per distinct statement, cached);
- rows are ``Row``: by name (case-insensitive, as ``sqlite3.Row``), by index, ``keys()``, ``dict(row)``;
- values come back as SQLite gives them: ``numeric`` (``SUM``/``AVG``) as ``int`` when whole, else
  ``float``; a boolean expression as 0/1; Python ``bool`` parameters are bound as 0/1;
- errors are raised as the ``sqlite3`` DB-API exception classes (``PgIntegrityError`` is a
  ``sqlite3.IntegrityError`` with the PostgreSQL ``pgcode``), so every ``except sqlite3.Error`` and
  ``kb.errors.storage_error`` keep working; a full disk (53100) and a read-only server (25006) map to
  the same storage errors as on SQLite.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import adapt, pq
from psycopg.types.numeric import IntDumper

from kb.storage.pg_dialect import CopyPlan, Statement, Table, Translator

# An ``executemany`` of at least this many rows with a ``COPY`` plan (kb.storage.pg_dialect) is
# streamed with ``COPY``; fewer go as one pipelined statement per row (a temporary table costs more).
COPY_MIN_ROWS = 16
SQLITE_FULL = "SQLITE_FULL"
SQLITE_READONLY = "SQLITE_READONLY"


class PgError(sqlite3.DatabaseError):
    """A PostgreSQL error in the ``sqlite3`` vocabulary; ``pgcode`` is the server's SQLSTATE."""

    pgcode: str | None = None
    sqlite_errorname: str = ""


class PgIntegrityError(PgError, sqlite3.IntegrityError):
    pass


class PgOperationalError(PgError, sqlite3.OperationalError):
    pass


class PgProgrammingError(PgError, sqlite3.ProgrammingError):
    pass


def map_error(exc: psycopg.Error) -> PgError:
    code = getattr(exc, "sqlstate", None) or ""
    kind: type[PgError]
    if code.startswith("23"):
        kind = PgIntegrityError
    elif code.startswith("42"):
        kind = PgProgrammingError
    else:
        kind = PgOperationalError
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    out = kind(message)
    out.pgcode = code
    if code.startswith("53"):  # insufficient resources: disk full, out of memory, too many connections
        out.sqlite_errorname = SQLITE_FULL if code == "53100" else ""
    elif code == "25006":
        out.sqlite_errorname = SQLITE_READONLY
    return out


def _lost_error(detail: str) -> PgOperationalError:
    """The server dropped the connection (SQLSTATE class 08, as PostgreSQL names it)."""
    out = PgOperationalError(f"与 PostgreSQL 数据库的连接已断开（服务器重启、主备切换或网络中断）：{detail}")
    out.pgcode = "08006"
    return out


class Row:
    """One result row: by column name (case-insensitive, like ``sqlite3.Row``) or by index."""

    __slots__ = ("_index", "_names", "_values")

    def __init__(self, names: tuple[str, ...], index: dict[str, int], values: Sequence[Any]) -> None:
        self._names = names
        self._index = index
        self._values = tuple(values)

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, str):
            found = self._index.get(key)
            if found is None:
                found = self._index.get(key.lower())
                if found is None:
                    raise IndexError(f"No item with that key: {key}")
            return self._values[found]
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._names)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._values == other._values and self._names == other._names
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values, strict=True))!r})"


def _row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    names = tuple(c.name for c in cursor.description or ())
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name.lower(), i)
    for i, name in enumerate(names):
        index.setdefault(name, i)

    def make(values: Sequence[Any]) -> Row:
        return Row(names, index, values)

    return make


class _NumericLoader(adapt.Loader):
    """``numeric`` (PostgreSQL's SUM of BIGINT, AVG, ROUND) as SQLite returns it: int when whole."""

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        exponent = value.as_tuple().exponent
        whole = isinstance(exponent, int) and exponent >= 0
        return int(value) if whole else float(value)


class _BoolLoader(adapt.Loader):
    """A boolean expression (``a = b``) as SQLite's 0/1 (no column is declared BOOLEAN)."""

    def load(self, data: Any) -> int:
        return 1 if bytes(data) == b"t" else 0


class _BoolDumper(IntDumper):
    """Python ``True``/``False`` bound as 1/0: SQLite flags are INTEGER columns."""

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


def _catalog(conn: psycopg.Connection[Any]) -> dict[str, Table]:
    rows = conn.execute(
        """
        SELECT c.relname, a.attname, a.attidentity <> '', COALESCE(a.attnum = ANY(i.indkey), false)
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
        WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
        ORDER BY c.relname, a.attnum
        """
    ).fetchall()
    tables: dict[str, tuple[list[str], list[str], list[str]]] = {}
    for table, column, identity, is_pk in rows:
        columns, pk, ident = tables.setdefault(table, ([], [], []))
        columns.append(column)
        if is_pk:
            pk.append(column)
        if identity:
            ident.append(column)
    # The hidden "rowid" (a table without INTEGER PRIMARY KEY, pg_dialect._ddl_types) is no column of
    # SQLite's: INSERT OR REPLACE without a column list and lastrowid ignore it.
    return {
        t: Table(tuple(x for x in c if x != "rowid"), tuple(p), next((x for x in i if x != "rowid"), None))
        for t, (c, p, i) in tables.items()
    }


def _without_rowid(rows: list[Any], description: Any) -> tuple[list[Any], Any]:
    keep = [i for i, c in enumerate(description) if c.name != "rowid"]
    names = tuple(description[i].name for i in keep)
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name.lower(), i)
    for i, name in enumerate(names):
        index.setdefault(name, i)
    return [Row(names, index, [r[i] for i in keep]) for r in rows], [description[i] for i in keep]


class PgCursor:
    """What the stores read from ``conn.execute(...)``: rows, ``rowcount``, ``lastrowid``."""

    def __init__(self) -> None:
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []
        self.description: Any = None

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def fetchmany(self, size: int = 1) -> list[Any]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.pop(0)


def _applied(plan: CopyPlan, staged: str) -> str:
    """The statement that applies the rows ``COPY`` put in the temporary table ``staged``."""
    names = ", ".join(f'"{c}"' for c in plan.columns)
    if plan.kind == "update":
        sets = ", ".join(f'"{c}" = s."{c}"' for c in plan.columns if c not in plan.keys)
        match = " AND ".join(f't."{k}" = s."{k}"' for k in plan.keys)
        return f'UPDATE "{plan.table}" AS t SET {sets} FROM {staged} AS s WHERE {match}'
    insert = f'INSERT INTO "{plan.table}" ({names}) SELECT {names} FROM {staged} ORDER BY ctid'
    if plan.kind == "ignore":
        return f"{insert} ON CONFLICT DO NOTHING"
    rest = [c for c in plan.columns if c not in plan.keys]
    keys = ", ".join(f'"{k}"' for k in plan.keys)
    if not rest:
        return f"{insert} ON CONFLICT ({keys}) DO NOTHING"
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in rest)
    return f"{insert} ON CONFLICT ({keys}) DO UPDATE SET {sets}"


class PgConnection(sqlite3.Connection):
    """A psycopg connection with the ``sqlite3.Connection`` surface the stores use.

    It subclasses ``sqlite3.Connection`` (never initialising the SQLite part) so the stores' type
    hints and their ``isinstance(source, sqlite3.Connection)`` checks (a connection inside a
    transaction vs the ``Database``) hold unchanged; any sqlite3 method not overridden here raises
    ``sqlite3.ProgrammingError`` instead of touching SQLite.
    """

    dialect = "postgresql"

    def __init__(self, url: str, translator: Translator | None = None) -> None:
        self._url = url
        self._conn = self._connect()
        self.translator = translator or Translator()  # shared by the connections of one pool
        self._changes = 0
        self.reconnects = 0  # connections re-opened after the server dropped one
        self.round_trips = 0  # statements sent, an ``executemany`` (one pipeline or COPY) counted once
        self._copies = 0  # names the temporary tables of ``_copy``

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._url, autocommit=True)
        except psycopg.Error as exc:
            raise map_error(exc) from exc
        conn.adapters.register_loader("numeric", _NumericLoader)
        conn.adapters.register_loader("bool", _BoolLoader)
        conn.adapters.register_dumper(bool, _BoolDumper)
        conn.row_factory = _row_factory
        return conn

    @property
    def _lost(self) -> bool:
        return bool(self._conn.broken or self._conn.closed)

    def _reopen(self) -> None:
        """A new connection in place of one the server dropped (a restart, a fail-over, a network cut)."""
        with contextlib.suppress(psycopg.Error):
            self._conn.close()
        try:
            self._conn = self._connect()
        except PgError as exc:
            raise _lost_error(f"无法重新连接：{exc}") from exc
        self.reconnects += 1

    def refresh_catalog(self) -> None:
        self._conn.row_factory = psycopg.rows.tuple_row
        try:
            self.translator.set_catalog(_catalog(self._conn))
        finally:
            self._conn.row_factory = _row_factory

    @property
    def total_changes(self) -> int:
        """Rows inserted, updated or deleted through this connection (as ``sqlite3``'s counter)."""
        return self._changes

    @property
    def in_transaction(self) -> bool:
        """A transaction is open (False on a dropped connection: nothing is left to roll back)."""
        status = self._conn.info.transaction_status
        return status not in (pq.TransactionStatus.IDLE, pq.TransactionStatus.UNKNOWN)

    def execute(  # type: ignore[override]
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> PgCursor:
        with_params = params is not None and (len(params) > 0 or isinstance(params, dict))
        if self._lost:  # dropped since the last call (its error was raised then): open a new one
            self._reopen()
        self._fresh_catalog(sql)
        statements = self.translator.translate(sql, with_params)
        cursor = PgCursor()
        changed_catalog = False
        for statement in statements:
            if statement.noop:
                continue
            self._run_kept(statement, params if with_params else None, cursor)
            changed_catalog = changed_catalog or statement.ddl
        if changed_catalog:  # read again before the next INSERT (its translation depends on the keys)
            self.translator.stale = True
        return cursor

    def _fresh_catalog(self, sql: str) -> None:
        if self.translator.stale and sql.lstrip()[:6].upper() in ("INSERT", "REPLAC"):
            self.refresh_catalog()
            self.translator.stale = False

    def _run_kept(self, statement: Statement, params: Any, out: PgCursor) -> None:
        """``_run``, and on a connection the server dropped: outside a transaction a read (or the
        ``BEGIN`` of one) runs again on a new connection; anything else raises ``_lost_error`` (a
        write may or may not have been stored; inside a transaction nothing of it was) and the
        next call opens a new connection."""
        idle = not self.in_transaction
        try:
            self._run(statement, params, out)
        except PgError:
            if not self._lost:
                raise
            if not (idle and statement.sql.lstrip()[:6].upper() in ("SELECT", "BEGIN")):
                raise _lost_error("事务未提交，已回滚，请重试") from None
            self._reopen()
            try:
                self._run(statement, params, out)
            except PgError as exc:
                if self._lost:
                    raise _lost_error(str(exc)) from exc
                raise

    def executemany(self, sql: str, seq: Any) -> PgCursor:  # type: ignore[override]
        rows = [tuple(r) if not isinstance(r, dict) else r for r in seq]
        if self._lost:
            self._reopen()
        self._fresh_catalog(sql)
        cursor = PgCursor()
        if not rows:
            cursor.rowcount = 0
            return cursor
        plan = self.translator.copy_plan(sql) if len(rows) >= COPY_MIN_ROWS else None
        if plan is not None and not isinstance(rows[0], dict):
            self._copy(plan, rows, cursor)
            return cursor
        (statement,) = self.translator.translate(sql, True)
        if statement.returns_id:  # executemany has no lastrowid: drop the RETURNING the translator added
            statement = Statement(statement.sql.rsplit(" RETURNING ", 1)[0], reseed=statement.reseed)
        self.round_trips += 1
        with self._batch_errors(), self._conn.cursor() as cur:
            cur.executemany(statement.sql, rows)
            cursor.rowcount = cur.rowcount
            self._count(statement.sql, cur.rowcount)
            if statement.reseed:
                self._reseed(cur, statement.reseed)
        return cursor

    @contextlib.contextmanager
    def _batch_errors(self) -> Iterator[None]:
        """A batch write's psycopg errors as the store's: a dropped connection as ``_lost_error``
        (the transaction is gone), anything else through ``map_error``."""
        try:
            yield
        except psycopg.Error as exc:
            if self._lost:
                raise _lost_error("事务未提交，已回滚，请重试") from exc
            raise map_error(exc) from exc

    def _copy(self, plan: CopyPlan, rows: list[Any], out: PgCursor) -> None:
        """``executemany`` by ``COPY``: the rows straight into the table ("insert"), or into a
        temporary table dropped at commit that one ``INSERT … SELECT … ON CONFLICT`` or ``UPDATE …
        FROM`` applies. Inside the caller's transaction (outside one, in its own), so an import
        stays all or nothing; identity values are assigned in row order, as one by one."""
        self.round_trips += 1
        names = ", ".join(f'"{c}"' for c in plan.columns)
        if plan.keys:  # one row per key, the last: what the statements one after the other leave
            at = [plan.columns.index(k) for k in plan.keys]
            rows = list({tuple(r[i] for i in at): r for r in rows}.values())
        with self._batch_errors(), contextlib.ExitStack() as stack:
            if not self.in_transaction:
                stack.enter_context(self._conn.transaction())
            with self._conn.cursor() as cur:
                if plan.kind == "insert":
                    target = f'"{plan.table}"'
                else:
                    self._copies += 1
                    target = f'"_leian_copy_{self._copies}"'
                    cur.execute(
                        f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS "
                        f'SELECT {names} FROM "{plan.table}" WITH NO DATA'
                    )
                with cur.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                if plan.kind == "insert":
                    changed = cur.rowcount
                else:
                    cur.execute(_applied(plan, target))
                    changed = cur.rowcount
                    cur.execute(f"DROP TABLE {target}")
                if plan.reseed:
                    self._reseed(cur, plan.reseed)
        out.rowcount = changed
        self._changes += max(changed, 0)

    def _run(self, statement: Statement, params: Any, out: PgCursor) -> None:
        self.round_trips += 1
        try:
            with self._conn.cursor() as cur:
                cur.execute(statement.sql, params)
                out.rowcount = cur.rowcount
                self._count(statement.sql, cur.rowcount)
                out.description = cur.description
                if cur.description is not None:
                    rows = cur.fetchall()
                    if statement.hide_rowid and any(c.name == "rowid" for c in cur.description):
                        rows, out.description = _without_rowid(rows, cur.description)
                    if statement.returns_id:
                        out.lastrowid = rows[-1][0] if rows else None
                    else:
                        out._rows = rows
                if statement.reseed:
                    self._reseed(cur, statement.reseed)
        except psycopg.Error as exc:
            raise map_error(exc) from exc

    def _count(self, sql: str, rowcount: int) -> None:
        if rowcount > 0 and sql[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self._changes += rowcount

    @staticmethod
    def _reseed(cur: psycopg.Cursor[Any], target: str) -> None:
        """An explicit id went in: the identity's next value must pass it (SQLite takes max + 1)."""
        table, column = target.split(".", 1)
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f'GREATEST((SELECT MAX("{column}") FROM "{table}"), 1))'
        )

    def close(self) -> None:
        self._conn.close()


class PgPool:
    """The PostgreSQL connections of one ``Database``: at most ``size``, opened on demand, reused
    last-in first-out (a single-threaded caller keeps using one). ``take`` waits while all are in
    use. Each is a ``PgConnection`` (which opens its server connection again after a drop), and
    all share one translator, so a statement is translated once per process."""

    def __init__(self, url: str, size: int, first: PgConnection) -> None:
        if size < 1:
            raise ValueError("pool size must be at least 1")
        self.url, self.size = url, size
        self.all = [first]
        self._idle = [first]
        self._opening = 0
        self._closed = False
        self._cond = threading.Condition()

    def take(self) -> PgConnection:
        with self._cond:
            while not self._idle:
                if self._closed:
                    raise PgOperationalError("数据库已关闭")
                if len(self.all) + self._opening < self.size:
                    self._opening += 1
                    break
                self._cond.wait()
            else:
                return self._idle.pop()
        try:
            conn = PgConnection(self.url, self.all[0].translator)
        except BaseException:
            with self._cond:
                self._opening -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._opening -= 1
            self.all.append(conn)
        return conn

    def give(self, conn: PgConnection) -> None:
        if conn.in_transaction:  # never left open by Database; a safety net, not a path
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        with self._cond:
            self._idle.append(conn)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            for conn in self.all:
                with contextlib.suppress(psycopg.Error, sqlite3.Error):
                    conn.close()
            self._cond.notify_all()
