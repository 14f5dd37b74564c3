"""SQL of 督查督办 reports: per-unit counts of several periods in one pass over the cases table."""

from __future__ import annotations

import sqlite3

from kb.scope import PROVINCE, Scope
from kb.storage.db import Database
from kb.workflow.rates import UNKNOWN as UNKNOWN  # the unit of cases without one (never ranked)


def _period_columns(i: int) -> str:
    """received and 积案 of period ``i`` as conditional sums (bound as :f{i}, :t{i}, :b{i}); the rates
    are kb/workflow/rates.py's."""
    f, t, b = f":f{i}", f":t{i}", f":b{i}"
    return f"""
          SUM(c.received_date BETWEEN {f} AND {t}) AS received_{i},
          SUM(c.received_date <= {b} AND NOT (c.status IN ('resolved', 'closed')
              AND (c.resolved_date IS NULL OR c.resolved_date <= {t}))) AS backlog_{i}"""


def _periods_sql(group_by: str, n_periods: int, city: str | None, scope_sql: str) -> str:
    scope = ("AND c.city = :city " if city else "") + f"AND {scope_sql}"
    columns = ",".join(_period_columns(i) for i in range(n_periods))
    return f"""
        SELECT COALESCE(c.{group_by}, '{UNKNOWN}') AS unit,{columns}
        FROM cases c
        WHERE c.received_date <= :t_max {scope}
        GROUP BY unit"""


def period_counts(
    db: Database, group_by: str, n_periods: int, city: str | None, params: dict[str, object], scope: Scope = PROVINCE
) -> list[sqlite3.Row]:
    """One row per unit with ``received_{i}`` and ``backlog_{i}`` for each period ``i``, over the cases
    within ``scope`` (and ``city`` when given).

    ``group_by`` must be a checked column name (``city`` or ``department``).
    """
    where, named = scope.named_sql("c")  # named parameters, to sit beside the periods'
    return db.query(_periods_sql(group_by, n_periods, city, where), {**params, **named})
