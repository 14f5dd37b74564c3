"""SQL the rates read (kb/workflow/rates.py): cases, their status log, 办理期限 and repeat links.

Reads only: ``cases`` and ``case_status_log`` (storage), ``case_transitions`` (lifecycle) and
``case_links`` (repeats).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

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
    # The cases' ids as a subquery (one pass each) for a whole report; an IN list for a campaign's ids.
    if ids is None:

        def rows_for(template: str) -> list[Any]:
            return db.query(template.replace("{marks}", f"SELECT c.id FROM cases c WHERE {where}"), params)
    else:
        wanted = list(facts)

        def rows_for(template: str) -> list[Any]:
            return query_in(db, template, wanted)

    for r in rows_for(
        "SELECT case_id, status, effective_on FROM case_status_log WHERE case_id IN ({marks}) ORDER BY id"
    ):
        case = facts.get(int(r["case_id"]))
        if case is not None:
            case.history.append((dt.date.fromisoformat(r["effective_on"]), str(r["status"])))
    for r in rows_for(
        """SELECT case_id, action, due_date_after, at FROM case_transitions
           WHERE case_id IN ({marks}) AND due_date_after IS NOT NULL
             AND (action IN ('accept', 'extend') OR (action IN ('import', 'upgrade') AND to_stage = 'accepted'))
           ORDER BY id"""
    ):
        case = facts.get(int(r["case_id"]))
        if case is not None:
            target = case.extensions if r["action"] == "extend" else case.handling
            target.append((str(r["due_date_after"]), str(r["at"])))
    for r in rows_for(
        """SELECT l.other_id AS earlier, c.received_date AS later FROM case_links l JOIN cases c ON c.id = l.case_id
           WHERE l.kind = 'repeat' AND l.other_id IN ({marks})"""
    ):
        case = facts.get(int(r["earlier"]))
        if case is not None:
            case.repeats.append(dt.date.fromisoformat(r["later"]))
    return facts
