"""Filters an index may evaluate itself: scalar fields stored beside the vectors, and conditions on them.

A backend that stores scalar fields (Milvus) takes a ``Where`` and filters inside the engine; the
others take an explicit allow-list of ids. ``matches`` evaluates a ``Where`` in Python over the same
attribute values, so both kinds of backend can be checked against one exact answer.

A ``Where`` is a conjunction of clauses; ``Either`` is a disjunction. ``IdIn`` names ids explicitly
and is kept for what scalar fields cannot express (e.g. cases assigned to an account's unit).
Clauses never negate, so an ``IdIn`` may be split into chunks whose results are merged (the union
of the chunks' matches is the whole filter's matches).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

ScalarKind = Literal["str", "int", "bool"]
Scalar = str | int | bool


@dataclass(frozen=True)
class ScalarField:
    """One scalar column of the index: ``str`` values up to ``max_chars`` characters, ``int`` or ``bool``."""

    name: str
    kind: ScalarKind
    max_chars: int = 64


@dataclass(frozen=True)
class AnyOf:
    """``field`` equals one of ``values``."""

    field: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Between:
    """``low <= field <= high`` on an ``int`` field; either bound may be open (None)."""

    field: str
    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class IdIn:
    """The case id is one of ``ids``."""

    ids: tuple[int, ...]


@dataclass(frozen=True)
class Either:
    """At least one of ``clauses`` holds."""

    clauses: tuple[Clause, ...]


Clause = AnyOf | Between | IdIn | Either


@dataclass(frozen=True)
class Where:
    """Every clause holds (an empty ``Where`` matches every row)."""

    clauses: tuple[Clause, ...] = ()

    def id_lists(self) -> list[IdIn]:
        """The ``IdIn`` clauses anywhere in the filter."""
        return [c for c in _walk(self.clauses) if isinstance(c, IdIn)]


def _walk(clauses: Sequence[Clause]) -> list[Clause]:
    out: list[Clause] = []
    for clause in clauses:
        out.append(clause)
        if isinstance(clause, Either):
            out.extend(_walk(clause.clauses))
    return out


def _holds(clause: Clause, case_id: int, row: Mapping[str, Scalar]) -> bool:
    if isinstance(clause, AnyOf):
        return row.get(clause.field) in clause.values
    if isinstance(clause, Between):
        value = row.get(clause.field)
        if not isinstance(value, int):
            return False
        return (clause.low is None or value >= clause.low) and (clause.high is None or value <= clause.high)
    if isinstance(clause, IdIn):
        return case_id in clause.ids
    return any(_holds(c, case_id, row) for c in clause.clauses)


def matches(where: Where, ids: np.ndarray, attributes: Mapping[str, Sequence[Scalar]]) -> np.ndarray:
    """The ids (in ``ids`` order) whose attribute values satisfy ``where``: the reference answer."""
    names = list(attributes)
    keep = []
    for row_no, case_id in enumerate(ids.tolist()):
        row = {name: attributes[name][row_no] for name in names}
        if all(_holds(c, int(case_id), row) for c in where.clauses):
            keep.append(case_id)
    return np.asarray(keep, dtype=np.int64)
