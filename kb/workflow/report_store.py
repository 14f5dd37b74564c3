"""SQL of 督查督办 reports: per-unit received counts of several periods in one pass over the cases table
(every rate, 积案 included, is counted by kb/workflow/rate_store.py)."""

from __future__ import annotations

import sqlite3

from kb.scope import PROVINCE, Scope
from kb.storage.db import Database
from kb.workflow.rates import UNKNOWN as UNKNOWN  # the unit of cases without one (never ranked)


def _period_columns(i: int) -> str:
    """received of period ``i`` as a conditional sum (bound as :f{i}, :t{i})."""
    return f"""
          SUM(c.received_date BETWEEN :f{i} AND :t{i}) AS received_{i}"""


def _periods_sql(group_by: str, n_periods: int, city: str | None, scope_sql: str) -> str:
    scope = ("AND c.city = :city " if city else "") + f"AND {scope_sql}"
    columns = ",".join(_period_columns(i) for i in range(n_periods))
    return f"""
        SELECT COALESCE(NULLIF(c.{group_by}, ''), '{UNKNOWN}') AS unit,{columns}
        FROM cases c
        WHERE c.received_date <= :t_max {scope}
        GROUP BY unit"""


def received_counts(
    db: Database, group_by: str, n_periods: int, city: str | None, params: dict[str, object], scope: Scope = PROVINCE
) -> list[sqlite3.Row]:
    """One row per unit with ``received_{i}`` for each period ``i``, over the cases
    within ``scope`` (and ``city`` when given).

    ``group_by`` must be a checked column name (``city`` or ``department``).
    """
    where, named = scope.named_sql("c")  # named parameters, to sit beside the periods'
    return db.query(_periods_sql(group_by, n_periods, city, where), {**params, **named})
