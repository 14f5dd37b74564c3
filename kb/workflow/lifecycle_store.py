"""SQL of the lifecycle: the append-only ``case_transitions`` table (migration 10) and its read views.

This store writes only ``case_transitions``; a case's ``stage`` and ``due_date`` columns are written
through ``CaseRepository.set_stage``. It reads ``cases`` where a view needs it (the 已终结事项 look-up);
the on-time rates over these transitions are counted in ``kb/workflow/rate_store.py``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from kb.storage.db import Database
from kb.storage.sql import query_in

COLUMNS = (
    "case_id",
    "action",
    "from_stage",
    "to_stage",
    "actor",
    "actor_unit",
    "at",
    "reason",
    "text",
    "approver",
    "due_date_after",
    "request_until",
)


@dataclass(frozen=True)
class TransitionRow:
    """One recorded move: who (and their unit), when (server clock), why, the text, the dates after."""

    case_id: int
    action: str
    from_stage: str | None
    to_stage: str
    actor: str
    actor_unit: str | None
    at: str
    reason: str | None = None
    text: str | None = None
    approver: str | None = None
    due_date_after: str | None = None
    request_until: str | None = None


def _values(row: TransitionRow) -> tuple[object, ...]:
    """The row's columns in ``COLUMNS`` order (its fields are flat: no ``astuple`` deep copy)."""
    return tuple(getattr(row, column) for column in COLUMNS)


def record(conn: sqlite3.Connection, row: TransitionRow) -> int:
    cur = conn.execute(
        f"INSERT INTO case_transitions({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", _values(row)
    )
    return int(cur.lastrowid or 0)


def record_many(conn: sqlite3.Connection, rows: Sequence[TransitionRow]) -> None:
    conn.executemany(
        f"INSERT INTO case_transitions({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        [_values(r) for r in rows],
    )


def _row(r: sqlite3.Row) -> TransitionRow:
    return TransitionRow(**{k: r[k] for k in COLUMNS})


def history(source: Database | sqlite3.Connection, case_id: int) -> list[TransitionRow]:
    """Every move of the case, oldest first (inside a transaction: pass its connection)."""
    sql = f"SELECT {', '.join(COLUMNS)} FROM case_transitions WHERE case_id = ? ORDER BY id"
    if isinstance(source, sqlite3.Connection):
        rows = source.execute(sql, (case_id,)).fetchall()
    else:
        rows = source.query(sql, (case_id,))
    return [_row(r) for r in rows]


@dataclass(frozen=True)
class CaseState:
    """The columns of ``cases`` the rules read, inside the mover's transaction."""

    stage: str
    due_date: str | None
    status: str
    received_date: str


def case_state(conn: sqlite3.Connection, case_id: int) -> CaseState | None:
    row = conn.execute("SELECT stage, due_date, status, received_date FROM cases WHERE id = ?", (case_id,)).fetchone()
    return CaseState(row["stage"], row["due_date"], row["status"], row["received_date"]) if row else None


# -- 已终结事项: a concluded matter petitioned again -----------------------------------------------------
def concluded_matters(db: Database, ids: Sequence[int]) -> dict[int, str]:
    """For each of ``ids`` not itself concluded: the day an earlier-or-same-day case of the same
    petitioner (keyed hash) and category was concluded (the latest such day), when there is one."""
    rows = query_in(
        db,
        """SELECT c.id AS case_id, MAX(substr(t.at, 1, 10)) AS concluded_on
           FROM cases c
           JOIN cases o ON o.petitioner_key = c.petitioner_key AND o.category = c.category AND o.id <> c.id
                        AND o.stage = 'concluded' AND o.received_date <= c.received_date
           JOIN case_transitions t ON t.case_id = o.id AND t.action = 'conclude'
           WHERE c.id IN ({marks}) AND c.petitioner_key IS NOT NULL AND c.category IS NOT NULL
                 AND c.stage <> 'concluded'
           GROUP BY c.id""",
        ids,
    )
    return {int(r["case_id"]): str(r["concluded_on"]) for r in rows}
