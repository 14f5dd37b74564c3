"""``Where`` filters as Milvus boolean expressions, string values escaped.

Milvus string literals are double-quoted with backslash escapes (``\\"``, ``\\\\``, ``\\n`` ...);
``quote`` escapes every character the expression grammar treats specially, so a value such as
``a"b\\c`` or ``x" or id > 0 or "`` is compared as the text it is and can never change the
expression. Long id lists are split: ``expressions`` returns one expression per chunk of the
largest ``IdIn``, and the caller merges the chunks' top-k lists (a ``Where`` never negates, so the
union of the chunks' matches is the filter's matches).
"""

from __future__ import annotations

from indexing.vectors.where import AnyOf, Between, Clause, Either, IdIn, Scalar, Where

# Ids per ``id in [...]`` list: longer lists are searched chunk by chunk and the top-k lists merged.
FILTER_CHUNK = 8192
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
# Matches no row (ids are never negative): what an empty value list means.
NOTHING = "id < -1"


def quote(value: str) -> str:
    """A Milvus string literal for ``value``."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def literal(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    return quote(str(value))


def _clause(clause: Clause, chunked: IdIn | None, chunk: tuple[int, ...]) -> str:
    if isinstance(clause, AnyOf):
        if not clause.values:
            return NOTHING
        if len(clause.values) == 1:
            return f"{clause.field} == {literal(clause.values[0])}"
        return f"{clause.field} in [{', '.join(literal(v) for v in clause.values)}]"
    if isinstance(clause, Between):
        parts = []
        if clause.low is not None:
            parts.append(f"{clause.field} >= {int(clause.low)}")
        if clause.high is not None:
            parts.append(f"{clause.field} <= {int(clause.high)}")
        return " and ".join(parts) or "id >= 0"
    if isinstance(clause, IdIn):
        ids = chunk if clause is chunked else clause.ids
        return f"id in [{','.join(str(int(i)) for i in ids)}]" if ids else NOTHING
    if not clause.clauses:
        return NOTHING
    return "(" + " or ".join(f"({_clause(c, chunked, chunk)})" for c in clause.clauses) + ")"


def expression(where: Where, chunked: IdIn | None = None, chunk: tuple[int, ...] = ()) -> str:
    """One expression for ``where`` (``""`` when it has no clause: every row)."""
    return " and ".join(f"({_clause(c, chunked, chunk)})" for c in where.clauses)


def _mentions(clause: Clause, name: str) -> bool:
    if isinstance(clause, AnyOf | Between):
        return clause.field == name
    if isinstance(clause, Either):
        return any(_mentions(c, name) for c in clause.clauses)
    return False


def split_on(where: Where, name: str) -> list[Where]:
    """``where`` as a union of filters in which ``name`` appears only in conjunctions: every top-level
    ``Either`` that mentions it is distributed, ``(A or B) and C`` -> ``A and C``, ``B and C``.

    Milvus server 2.3.5 prunes partitions by any partition-key condition in the expression, also
    one inside an ``or``, and so missed rows that matched the other branch (milvus_compat).
    """
    out = [Where()]
    for clause in where.clauses:
        branches = clause.clauses if isinstance(clause, Either) and _mentions(clause, name) else (clause,)
        out = [Where((*w.clauses, b)) for w in out for b in branches]
    return out


def expressions(where: Where, chunk_size: int = FILTER_CHUNK, partition_key: str | None = None) -> list[str]:
    """The expressions whose matches together are ``where``'s: one, or one per chunk of its largest id
    list; with ``partition_key``, one per branch of an ``or`` that mentions the key (``split_on``)."""
    if partition_key is not None:
        parts = split_on(where, partition_key)
        if len(parts) > 1:
            return [expr for part in parts for expr in expressions(part, chunk_size)]
    lists = where.id_lists()
    largest = max(lists, key=lambda c: len(c.ids), default=None)
    if largest is None or len(largest.ids) <= chunk_size:
        return [expression(where)]
    ids = tuple(sorted(set(largest.ids)))
    return [expression(where, largest, ids[s : s + chunk_size]) for s in range(0, len(ids), chunk_size)]


__all__ = ["FILTER_CHUNK", "Either", "expression", "expressions", "literal", "quote"]
