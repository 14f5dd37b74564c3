"""Which case fields a vector index stores beside the vectors, and search filters as conditions on them.

With the Milvus backend the collection holds city, district, department, category, status,
channel, the litigation flag and the received date as scalar fields (city also as the partition
key), so a filtered search is a Milvus boolean expression instead of a list of every allowed id
(docs/milvus.md "Filters"). ``pushdown`` turns ``SearchFilters`` into that ``Where``:

- a multi-value field filter -> ``field in [...]``; the date range -> ``received_date`` between
  two ``yyyymmdd`` integers; the litigation flag -> ``litigation == true/false``;
- an account's scope: a city or cities -> ``city in [...]``; 政法 -> ``litigation == true``; a
  department -> ``department == unit`` *or* the explicit ids of the cases assigned or referred to
  it (the one part no scalar field expresses: an ACL set, usually short);
- a filter on a field that is not stored (deadline, origin, backlog list) -> ``None``: the caller
  keeps the explicit id list, as before.

SQLite stays the truth: ``CaseIndex`` writes these fields with every vector and rewrites them when a
write changes them (``CaseRepository.on_filter_change``); kb/search.py checks the pushed-down hits
against the SQL allow-list it computes anyway for BM25 and falls back to the id list on a mismatch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from indexing.vectors.where import AnyOf, Between, Clause, Either, IdIn, Scalar, ScalarField, Where
from kb.domain import SearchFilters
from kb.fields import Status, field
from kb.scope import Scope

# The stored fields, in collection order; every filter the product offers on them is pushed down.
PUSHED = ("city", "district", "department", "category", "status", "channel", "litigation", "received_date")
PARTITION_KEY = "city"


def _scalar_field(name: str) -> ScalarField:
    f = field(name)
    if f.type is bool:
        return ScalarField(name, "bool")
    if f.type is dt.date:
        return ScalarField(name, "int")  # yyyymmdd
    if f.type is Status:
        return ScalarField(name, "str", max(len(s.value) for s in Status))
    return ScalarField(name, "str", f.max_length or 64)


SCALARS: tuple[ScalarField, ...] = tuple(_scalar_field(name) for name in PUSHED)


def index_options() -> dict[str, Any]:
    """What ``create_index``/``load_index`` need for a collection with these fields."""
    return {"scalars": SCALARS, "partition_key": PARTITION_KEY}


def day_number(value: dt.date | str | None) -> int | None:
    """``2025-03-07`` -> 20250307 (how the collection stores dates)."""
    if value is None or value == "":
        return None
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return day.year * 10000 + day.month * 100 + day.day


def attributes(rows: Sequence[Any]) -> tuple[list[int], dict[str, list[Scalar | None]]]:
    """Ids and per-field values of ``CaseRepository.scalar_rows(PUSHED, ...)`` rows."""
    ids = [int(r[0]) for r in rows]
    out: dict[str, list[Scalar | None]] = {}
    for pos, name in enumerate(PUSHED, start=1):
        kind = SCALARS[pos - 1].kind
        if kind == "int":
            out[name] = [day_number(r[pos]) for r in rows]
        elif kind == "bool":
            out[name] = [bool(r[pos]) for r in rows]
        else:
            out[name] = [None if r[pos] is None else str(r[pos]) for r in rows]
    return ids, out


def _scope_clauses(scope: Scope, granted: Callable[[Scope], Sequence[int]]) -> list[Clause]:
    if scope.kind in ("city", "cities"):
        return [AnyOf("city", tuple(sorted(scope.cities)))]
    if scope.kind == "zhengfa":
        return [AnyOf("litigation", (True,))]
    if scope.kind == "department":
        unit = str(scope.unit)
        extra = tuple(granted(scope))
        return [Either((AnyOf("department", (unit,)), IdIn(extra)))] if extra else [AnyOf("department", (unit,))]
    return []  # province: no restriction


def pushdown(filters: SearchFilters, granted: Callable[[Scope], Sequence[int]]) -> Where | None:
    """``filters`` as conditions on the stored fields, or None when one of them is not stored.

    ``granted(scope)`` lists the cases a department scope grants beyond its department's own
    (``CaseRepository.ids_in_scope_beyond``).
    """
    clauses: list[Clause] = []
    for name, value in filters.by_field.items():
        if name not in PUSHED:
            return None
        if name == "received_date":
            low, high = value
            clauses.append(Between(name, day_number(low), day_number(high)))
        elif isinstance(value, bool):
            clauses.append(AnyOf(name, (value,)))
        else:
            clauses.append(AnyOf(name, tuple(str(v) for v in value)))
    if filters.scope is not None:
        clauses.extend(_scope_clauses(filters.scope, granted))
    return Where(tuple(clauses))
