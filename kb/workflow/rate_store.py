"""SQL the rates read (kb/workflow/rates.py): cases, their status log, 办理期限 and repeat links.

Reads only: ``cases`` and ``case_status_log`` (storage), ``case_transitions`` (lifecycle) and
``case_links`` (repeats). Every rate of kb/workflow/rates.py is counted here and nowhere else:
化解率, 再次信访率 and 积案 (``period_counts``), 按期受理率 and 按期办结率 (``on_time_counts``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

from kb.clock import day_end
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


# The rates of kb/workflow/rates.py counted inside SQLite for a whole report, every period in one
# query (``period_counts``); ``rates.period_counts`` over ``case_facts`` is the same count in Python
# (tests compare the two on a random history).
# - runs: the log in effective-day order (log order within a day) cut into runs of resolved statuses:
#   a run starts at a resolved row whose previous row is not resolved, and ends on the day of the next
#   row of another status (open: NULL); index ix_status_log_runs (migration 21) serves both probes. The
#   status in force on day t is the last row on or before t, so a case is resolved on t exactly when a
#   run has start <= t < end, and its resolution day is that run's start.
# - dues: the 办理期限 set last before a period's end stamp (first row among equal stamps), then each
#   approved extension in stamp order replaces it when recorded on or before the due day then in force
#   (a recursive fold); a case without one is due ``handling_days`` after receipt.
# - cand: the (period, case) pairs that can count at all — due in the period (by receipt, or by a
#   recorded 办理期限) or with a run starting in the 再次信访 cohort — so no period reads every case.
# - 积案 (counted): per period, the cases received by its backlog day (:b; from ``received``, the
#   cases counted per unit and day in one pass) less those of them with a run in force at its end;
#   ``runs`` is materialized once for all its uses.
PERIOD_COUNTS_SQL = """
WITH periods(i, f, t, cf, es, b) AS (VALUES {periods}),
runs AS MATERIALIZED (
    SELECT l.case_id, l.effective_on AS start,
           (SELECT MIN(o.effective_on) FROM case_status_log o
            WHERE o.case_id = l.case_id AND NOT {ok_o} AND (o.effective_on, o.id) > (l.effective_on, l.id)) AS stop
    FROM case_status_log l
    WHERE {ok_l} AND l.effective_on <= :t_max
      AND (SELECT {ok_p} FROM case_status_log p
           WHERE p.case_id = l.case_id AND (p.effective_on, p.id) < (l.effective_on, l.id)
           ORDER BY p.effective_on DESC, p.id DESC LIMIT 1) IS NOT 1
),
received AS MATERIALIZED (
    SELECT COALESCE(NULLIF(c.{unit_col}, ''), :unknown) AS unit, c.received_date AS day, COUNT(*) AS n
    FROM cases c WHERE ({where}) AND c.received_date <= :b_max GROUP BY 1, 2
),
handling AS (
    SELECT * FROM case_transitions
    WHERE due_date_after IS NOT NULL
      AND (action IN ('accept', 'extend') OR (action IN ('import', 'upgrade') AND to_stage = 'accepted'))
),
base AS (
    SELECT i, case_id, due FROM (
        SELECT p.i, h.case_id, h.due_date_after AS due,
               ROW_NUMBER() OVER (PARTITION BY p.i, h.case_id ORDER BY h.at DESC, h.id) AS rn
        FROM handling h JOIN periods p ON h.at < p.es WHERE h.action != 'extend'
    ) WHERE rn = 1
),
ext AS (
    SELECT p.i, h.case_id, h.due_date_after AS due, substr(h.at, 1, 10) AS day,
           ROW_NUMBER() OVER (PARTITION BY p.i, h.case_id ORDER BY h.at, h.id) AS rn
    FROM handling h JOIN periods p ON h.at < p.es WHERE h.action = 'extend'
),
fold(i, case_id, due, rn) AS (
    SELECT i, case_id, due, 0 FROM base
    UNION ALL
    SELECT f.i, f.case_id, CASE WHEN e.day <= f.due THEN e.due ELSE f.due END, e.rn
    FROM fold f JOIN ext e ON e.i = f.i AND e.case_id = f.case_id AND e.rn = f.rn + 1
),
dues AS (SELECT i, case_id, due FROM (
    SELECT i, case_id, due, ROW_NUMBER() OVER (PARTITION BY i, case_id ORDER BY rn DESC) AS k FROM fold
) AS last_fold WHERE k = 1),
cand(i, id) AS (
    SELECT p.i, c.id FROM periods p JOIN cases c
        ON c.received_date BETWEEN date(p.f, '-' || :hd || ' days') AND date(p.t, '-' || :hd || ' days')
    UNION SELECT d.i, d.case_id FROM dues d JOIN periods p ON p.i = d.i AND d.due BETWEEN p.f AND p.t
    UNION SELECT p.i, r.case_id FROM periods p JOIN runs r ON r.start BETWEEN p.cf AND p.t
),
flags AS (
    SELECT x.i, c.id, COALESCE(NULLIF(c.{unit_col}, ''), :unknown) AS unit, r.start AS since, p.t,
           COALESCE(COALESCE(d.due, date(c.received_date, '+' || :hd || ' days')) BETWEEN p.f AND p.t, 0) AS is_due,
           COALESCE(r.start BETWEEN p.f AND p.t, 0) AS is_resolved,
           COALESCE(r.start BETWEEN p.cf AND p.t, 0) AS in_cohort
    FROM cand x JOIN periods p ON p.i = x.i JOIN cases c ON c.id = x.id
    LEFT JOIN dues d ON d.i = x.i AND d.case_id = x.id
    LEFT JOIN runs r ON r.case_id = x.id AND r.start <= p.t AND (r.stop IS NULL OR r.stop > p.t)
    WHERE ({where}) AND c.received_date <= p.t
),
counted AS (
    SELECT i, unit, SUM(is_due) AS due, SUM(is_due AND since IS NOT NULL) AS due_resolved,
           SUM(is_resolved) AS resolved, SUM(in_cohort) AS repeat_base,
           SUM(CASE WHEN in_cohort THEN EXISTS (
                   SELECT 1 FROM case_links k JOIN cases later ON later.id = k.case_id
                   WHERE k.kind = 'repeat' AND k.other_id = flags.id AND later.received_date > flags.since
                     AND later.received_date <= MIN(date(flags.since, '+' || :w || ' days'), flags.t))
               ELSE 0 END) AS repeat_followed,
           0 AS backlog
    FROM flags WHERE is_due OR is_resolved OR in_cohort GROUP BY i, unit
    UNION ALL
    SELECT p.i, r.unit, 0, 0, 0, 0, 0, SUM(r.n) FROM periods p JOIN received r ON r.day <= p.b GROUP BY 1, 2
    UNION ALL
    SELECT p.i, COALESCE(NULLIF(c.{unit_col}, ''), :unknown), 0, 0, 0, 0, 0, -COUNT(*)
    FROM periods p JOIN runs r ON r.start <= p.t AND (r.stop IS NULL OR r.stop > p.t)
    JOIN cases c ON c.id = r.case_id
    WHERE c.received_date <= p.b AND ({where}) GROUP BY 1, 2
)
SELECT i, unit, SUM(due) AS due, SUM(due_resolved) AS due_resolved, SUM(resolved) AS resolved,
       SUM(repeat_base) AS repeat_base, SUM(repeat_followed) AS repeat_followed, SUM(backlog) AS backlog
FROM counted GROUP BY i, unit
HAVING SUM(due) > 0 OR SUM(resolved) > 0 OR SUM(repeat_base) > 0 OR SUM(backlog) > 0
"""


def period_counts(
    db: Database,
    group_by: str,
    periods: Sequence[tuple[dt.date, dt.date]],
    rules: RateRules,
    scope: Scope = PROVINCE,
    city: str | None = None,
) -> list[dict[str, Counts]]:
    """``rates.period_counts`` for each period of the cases within ``scope`` (and ``city``), counted in
    SQL: per unit, due in the period and resolved by its end; resolved in it; the 再次信访 cohort and
    how many of it were followed by a repeat; 积案 at its end."""
    if not periods:
        return []
    where, params = scope.named_sql("c")
    if city:
        where, params = f"({where}) AND c.city = :city", {**params, "city": city}
    resolved = sorted(rules.resolved)
    marks = ", ".join(f":r{i}" for i in range(len(resolved)))
    params |= {f"r{i}": s for i, s in enumerate(resolved)}
    for i, (date_from, date_to) in enumerate(periods):
        cohort_from = min(date_from, date_to - dt.timedelta(days=rules.window_days - 1))
        params |= {f"f{i}": date_from.isoformat(), f"t{i}": date_to.isoformat()}
        params |= {f"cf{i}": cohort_from.isoformat(), f"es{i}": day_end(date_to)}
        params[f"b{i}"] = (date_to - dt.timedelta(days=rules.backlog_days)).isoformat()
    sql = PERIOD_COUNTS_SQL.format(
        periods=", ".join(f"({i}, :f{i}, :t{i}, :cf{i}, :es{i}, :b{i})" for i in range(len(periods))),
        unit_col="city" if group_by == "city" else "department",
        where=where,
        **{f"ok_{a}": f"({a}.status IN ({marks}))" if resolved else "0" for a in "lop"},
    )
    params |= {
        "unknown": UNKNOWN,
        "t_max": max(t for _, t in periods).isoformat(),
        "b_max": (max(t for _, t in periods) - dt.timedelta(days=rules.backlog_days)).isoformat(),
        "hd": rules.handling_days,
        "w": rules.window_days,
    }
    out: list[dict[str, Counts]] = [{} for _ in periods]
    for r in db.query(sql, params):
        out[int(r["i"])][str(r["unit"])] = Counts(
            int(r["due"]),
            int(r["due_resolved"]),
            int(r["resolved"]),
            int(r["repeat_base"]),
            int(r["repeat_followed"]),
            int(r["backlog"]),
        )
    return out


# -- 按期受理率 / 按期办结率 (rates.py states them) over case_transitions ----------------------------
# Per case, from its transitions: the acceptance due date set on entry and when; the first acceptance
# decision; the handling due date set on acceptance (or entry) and when; the extension; the first reply.
_PER_CASE = """
    SELECT case_id,
      MAX(CASE WHEN action IN ('import', 'upgrade') AND to_stage = 'registered' THEN due_date_after END) AS acc_due,
      MAX(CASE WHEN action IN ('import', 'upgrade') AND to_stage = 'registered' THEN at END) AS acc_set,
      MIN(CASE WHEN action IN ('accept', 'reject') THEN at END) AS decided,
      MAX(CASE WHEN action = 'accept' OR (action IN ('import', 'upgrade') AND to_stage = 'accepted')
               THEN due_date_after END) AS hand_due,
      MAX(CASE WHEN action = 'accept' OR (action IN ('import', 'upgrade') AND to_stage = 'accepted')
               THEN at END) AS hand_set,
      MAX(CASE WHEN action = 'extend' THEN due_date_after END) AS ext_due,
      MAX(CASE WHEN action = 'extend' THEN at END) AS ext_at,
      MIN(CASE WHEN action = 'reply' THEN at END) AS replied
    FROM case_transitions GROUP BY case_id"""


def _on_time_columns(i: int) -> str:
    """Four counts of period ``i`` (bound as :f{i}, :t{i} days and :e{i}, the first stamp after :t{i}).

    Only moves recorded before the period's end count, so a later move never changes the period.
    The handling due date in force is the extended one when the extension came on or before the
    original due date (and before the period's end); otherwise the original one.
    """
    f, t, e = f":f{i}", f":t{i}", f":e{i}"
    due = f"(CASE WHEN p.ext_at < {e} AND substr(p.ext_at, 1, 10) <= p.hand_due THEN p.ext_due ELSE p.hand_due END)"
    return f"""
      SUM(p.acc_set < {e} AND p.acc_due BETWEEN {f} AND {t}) AS acceptance_due_{i},
      SUM(p.acc_set < {e} AND p.acc_due BETWEEN {f} AND {t}
          AND p.decided < {e} AND substr(p.decided, 1, 10) <= p.acc_due) AS accepted_on_time_{i},
      SUM(p.hand_set < {e} AND {due} BETWEEN {f} AND {t}) AS handling_due_{i},
      SUM(p.hand_set < {e} AND {due} BETWEEN {f} AND {t}
          AND p.replied < {e} AND substr(p.replied, 1, 10) <= {due}) AS replied_on_time_{i}"""


def on_time_counts(
    db: Database,
    group_by: str,
    n_periods: int,
    city: str | None,
    params: dict[str, object],
    scope: Scope = PROVINCE,
) -> list[sqlite3.Row]:
    """One row per unit with ``acceptance_due_{i}``, ``accepted_on_time_{i}``, ``handling_due_{i}``,
    ``replied_on_time_{i}`` for each period ``i``, over the cases within ``scope`` (and ``city`` when
    given); ``group_by`` must be a checked column name."""
    where, named = scope.named_sql("c")
    if city:
        where += " AND c.city = :city"
    columns = ",".join(_on_time_columns(i) for i in range(n_periods))
    sql = f"""
        SELECT COALESCE(NULLIF(c.{group_by}, ''), '{UNKNOWN}') AS unit,{columns}
        FROM ({_PER_CASE}) p JOIN cases c ON c.id = p.case_id
        WHERE {where}
        GROUP BY unit"""
    return db.query(sql, {**params, **named})
