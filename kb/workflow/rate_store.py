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
from kb.workflow.rates import UNKNOWN, CaseFacts, Counts, RateRules


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


# The rates of kb/workflow/rates.py counted inside SQLite for a whole report (``period_counts``);
# ``rates.period_counts`` over ``case_facts`` is the same count in Python (tests compare the two).
# - since: the status in force on the period's end is the last log row (by effective day, then log
#   order) on or before it; ``grp`` numbers the runs of resolved rows (it steps at every other status),
#   so the resolution day is the earliest effective day of the last run when that run is resolved.
# - due: the 办理期限 set last before the end stamp (first row among equal stamps), then each approved
#   extension in stamp order replaces it when it was recorded on or before the due day then in force
#   (a recursive fold); no 办理期限 → received + handling_days.
PERIOD_COUNTS_SQL = """
WITH sc AS (
    SELECT c.id, c.received_date, COALESCE(NULLIF(c.{unit_col}, ''), :unknown) AS unit
    FROM cases c WHERE ({where}) AND c.received_date <= :t
),
log AS (
    SELECT l.case_id, l.effective_on, {ok} AS ok,
           SUM(NOT {ok}) OVER (PARTITION BY l.case_id ORDER BY l.effective_on, l.id ROWS UNBOUNDED PRECEDING) AS grp
    FROM case_status_log l
    WHERE l.effective_on <= :t AND l.case_id IN (SELECT id FROM sc)
),
last_run AS (SELECT case_id, MAX(grp) AS g FROM log GROUP BY case_id),
since AS (
    SELECT log.case_id, MIN(log.effective_on) AS since FROM log JOIN last_run r ON r.case_id = log.case_id
    WHERE log.ok AND log.grp = r.g GROUP BY log.case_id
),
base AS (
    SELECT case_id, due FROM (
        SELECT case_id, due_date_after AS due,
               ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY at DESC, id) AS rn
        FROM case_transitions
        WHERE due_date_after IS NOT NULL AND at < :es
          AND (action = 'accept' OR (action IN ('import', 'upgrade') AND to_stage = 'accepted'))
          AND case_id IN (SELECT id FROM sc)
    ) WHERE rn = 1
),
ext AS (
    SELECT case_id, due_date_after AS due, substr(at, 1, 10) AS day,
           ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY at, id) AS rn
    FROM case_transitions
    WHERE action = 'extend' AND due_date_after IS NOT NULL AND at < :es AND case_id IN (SELECT case_id FROM base)
),
fold(case_id, due, rn) AS (
    SELECT case_id, due, 0 FROM base
    UNION ALL
    SELECT f.case_id, CASE WHEN e.day <= f.due THEN e.due ELSE f.due END, e.rn
    FROM fold f JOIN ext e ON e.case_id = f.case_id AND e.rn = f.rn + 1
),
due AS (SELECT case_id, due, MAX(rn) FROM fold GROUP BY case_id),
flags AS (
    SELECT sc.id, sc.unit, s.since,
           COALESCE(COALESCE(d.due, date(sc.received_date, '+' || :hd || ' days')) BETWEEN :f AND :t, 0) AS is_due,
           COALESCE(s.since BETWEEN :f AND :t, 0) AS is_resolved,
           COALESCE(s.since BETWEEN :cf AND :t, 0) AS in_cohort
    FROM sc LEFT JOIN due d ON d.case_id = sc.id LEFT JOIN since s ON s.case_id = sc.id
)
SELECT unit, SUM(is_due) AS due, SUM(is_due AND since IS NOT NULL) AS due_resolved,
       SUM(is_resolved) AS resolved, SUM(in_cohort) AS repeat_base,
       SUM(CASE WHEN in_cohort THEN EXISTS (
               SELECT 1 FROM case_links k JOIN cases later ON later.id = k.case_id
               WHERE k.kind = 'repeat' AND k.other_id = flags.id AND later.received_date > flags.since
                 AND later.received_date <= MIN(date(flags.since, '+' || :w || ' days'), :t))
           ELSE 0 END) AS repeat_followed
FROM flags WHERE is_due OR is_resolved OR in_cohort GROUP BY unit
"""


def period_counts(
    db: Database,
    group_by: str,
    date_from: dt.date,
    date_to: dt.date,
    end_stamp: str,
    rules: RateRules,
    scope: Scope = PROVINCE,
    city: str | None = None,
) -> dict[str, Counts]:
    """``rates.period_counts`` of the cases within ``scope`` (and ``city``), counted in SQL: per unit,
    due in the period and resolved by its end; resolved in it; the 再次信访 cohort and its repeats."""
    where, params = scope.named_sql("c")
    if city:
        where, params = f"({where}) AND c.city = :city", {**params, "city": city}
    resolved = sorted(rules.resolved)
    marks = ", ".join(f":r{i}" for i in range(len(resolved)))
    cohort_from = min(date_from, date_to - dt.timedelta(days=rules.window_days - 1))
    sql = PERIOD_COUNTS_SQL.format(
        unit_col="city" if group_by == "city" else "department",
        where=where,
        ok=f"(l.status IN ({marks}))" if resolved else "0",
    )
    params |= {f"r{i}": s for i, s in enumerate(resolved)}
    params |= {
        "unknown": UNKNOWN,
        "f": date_from.isoformat(),
        "t": date_to.isoformat(),
        "cf": cohort_from.isoformat(),
        "es": end_stamp,
        "hd": rules.handling_days,
        "w": rules.window_days,
    }
    return {
        str(r["unit"]): Counts(
            int(r["due"]), int(r["due_resolved"]), int(r["resolved"]), int(r["repeat_base"]), int(r["repeat_followed"])
        )
        for r in db.query(sql, params)
    }
