"""The one helper for SQL ``IN (...)`` lists: placeholders, and queries chunked under SQLite's limit."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
# SQLite's default limit on bound parameters is 999; leave room for the query's other parameters.
CHUNK = 900


class Queryable(Protocol):
    def query(self, sql: str, params: tuple | list | dict = ...) -> list[sqlite3.Row]: ...


def marks(n: int) -> str:
    """``?,?,?`` for ``n`` values."""
    return ",".join("?" * n)


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def query_in(
    source: Queryable | sqlite3.Connection,
    template: str,
    values: Sequence[Any],
    before: Sequence[Any] = (),
    after: Sequence[Any] = (),
) -> list[sqlite3.Row]:
    """Run ``template`` (with ``{marks}`` where the ``IN`` list goes) per chunk of ``values``.

    ``before``/``after`` are the parameters bound ahead of and after the list; rows of all chunks
    are returned together. ``source`` is a ``Database`` or a connection inside a transaction.
    """
    rows: list[sqlite3.Row] = []
    for chunk in chunks(values):
        sql, params = template.format(marks=marks(len(chunk))), [*before, *chunk, *after]
        if isinstance(source, sqlite3.Connection):
            rows.extend(source.execute(sql, params).fetchall())
        else:
            rows.extend(source.query(sql, params))
    return rows


def execute_in(conn: sqlite3.Connection, template: str, values: Sequence[Any], before: Sequence[Any] = ()) -> int:
    """A chunked write (``DELETE``/``UPDATE`` ... ``IN ({marks})``) inside the caller's transaction."""
    changed = 0
    for chunk in chunks(values):
        changed += conn.execute(template.format(marks=marks(len(chunk))), [*before, *chunk]).rowcount
    return changed
