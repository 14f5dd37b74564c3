"""SQL the rates read (kb/workflow/rates.py): cases, their status log, 办理期限 and repeat links.

Reads only: ``cases`` and ``case_status_log`` (storage), ``case_transitions`` (lifecycle) and
``case_links`` (repeats).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kb.scope import PROVINCE, Scope
from kb.storage.db import Database
from kb.storage.sql import query_in
from kb.workflow.rates import CaseFacts


def case_facts(
    db: Database,
    scope: Scope = PROVINCE,
    city: str | None = None,
    received_by: dt.date | None = None,
    ids: Sequence[int] | None = None,
) -> dict[int, CaseFacts]:
    """The facts of the cases within ``scope`` (and ``city``; received by ``received_by``; or ``ids``)."""
    where, params = scope.sql("c")
    if city:
        where, params = f"({where}) AND c.city = ?", [*params, city]
    if received_by:
        where, params = f"({where}) AND c.received_date <= ?", [*params, received_by.isoformat()]
    sql = f"SELECT c.id, c.city, c.department, c.received_date FROM cases c WHERE {where}"
    if ids is None:
        rows = db.query(sql, params)
    else:
        rows = query_in(db, sql + " AND c.id IN ({marks})", list(ids), params) if ids else []
    facts = {
        int(r["id"]): CaseFacts(int(r["id"]), r["city"], r["department"], dt.date.fromisoformat(r["received_date"]))
        for r in rows
    }
    if not facts:
        return facts
    wanted = list(facts)
    for r in query_in(
        db, "SELECT case_id, status, effective_on FROM case_status_log WHERE case_id IN ({marks}) ORDER BY id", wanted
    ):
        facts[int(r["case_id"])].history.append((dt.date.fromisoformat(r["effective_on"]), str(r["status"])))
    for r in query_in(
        db,
        """SELECT case_id, action, due_date_after, at FROM case_transitions
           WHERE case_id IN ({marks}) AND due_date_after IS NOT NULL
             AND (action IN ('accept', 'extend') OR (action IN ('import', 'upgrade') AND to_stage = 'accepted'))
           ORDER BY id""",
        wanted,
    ):
        target = facts[int(r["case_id"])].extensions if r["action"] == "extend" else facts[int(r["case_id"])].handling
        target.append((str(r["due_date_after"]), str(r["at"])))
    for r in query_in(
        db,
        """SELECT l.other_id AS earlier, c.received_date AS later FROM case_links l JOIN cases c ON c.id = l.case_id
           WHERE l.kind = 'repeat' AND l.other_id IN ({marks})""",
        wanted,
    ):
        facts[int(r["earlier"])].repeats.append(dt.date.fromisoformat(r["later"]))
    return facts
