"""督查督办: received, resolved, 化解率, 再次信访率 and 积案 per department or city, for any period,
and the weekly rolling report with the change against the previous week and the lowest performers.

Definitions (also in docs/workflow.md):
- received: cases received in the period;
- resolved: cases whose status is 已化解 and whose resolution date falls in the period;
- 化解率: of the cases received in the period, the share 已化解 by the period's end;
- 再次信访率: of the cases received in the period, the share linked as a repeat of an earlier case;
- 积案: cases received at least ``backlog_days`` before the period's end and not concluded by then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kb.domain import EARLIEST_DATE, LATEST_DATE
from kb.errors import FieldProblem, InvalidInputError
from kb.scope import PROVINCE, Scope
from kb.storage.cases import CaseRepository
from kb.storage.db import Database
from kb.workflow.report_store import UNKNOWN as UNKNOWN
from kb.workflow.report_store import period_counts

GROUPS = {"city": "地市", "department": "责任部门"}


@dataclass
class UnitRow:
    unit: str
    received: int = 0
    resolved: int = 0
    cohort_resolved: int = 0
    repeats: int = 0
    backlog: int = 0
    change_resolution_rate: float | None = None
    change_repeat_rate: float | None = None
    lowest: bool = False

    @property
    def resolution_rate(self) -> float | None:
        return round(self.cohort_resolved / self.received, 4) if self.received else None

    @property
    def repeat_rate(self) -> float | None:
        return round(self.repeats / self.received, 4) if self.received else None


@dataclass
class TrendPoint:
    week_end: str
    received: int
    resolution_rate: float | None
    repeat_rate: float | None


@dataclass
class Report:
    title: str
    group_by: str
    date_from: str
    date_to: str
    city: str | None
    rows: list[UnitRow]
    total: UnitRow
    trend: list[TrendPoint] = field(default_factory=list)


COUNTS = ("received", "resolved", "cohort_resolved", "repeats", "backlog")
Period = tuple[dt.date, dt.date]


def _in_range(name: str, *days: dt.date) -> None:
    if any(not EARLIEST_DATE <= day <= LATEST_DATE for day in days):
        message = f"日期应在 {EARLIEST_DATE.isoformat()} 至 {LATEST_DATE.isoformat()} 之间"
        raise InvalidInputError([FieldProblem(name, message)])


def _check(group_by: str, periods: list[Period]) -> None:
    if group_by not in GROUPS:
        raise InvalidInputError([FieldProblem("group_by", "分组应为 city 或 department")])
    for date_from, date_to in periods:
        _in_range("date_from", date_from)
        _in_range("date_to", date_to)
        if date_from > date_to:
            raise InvalidInputError([FieldProblem("date_from", "开始日期不能晚于结束日期")])


def periods_rows(
    db: Database, group_by: str, periods: list[Period], city: str | None, backlog_days: int, scope: Scope = PROVINCE
) -> list[tuple[list[UnitRow], UnitRow]]:
    """Per-unit counts and the total for every period, in one pass over the cases table."""
    _check(group_by, periods)
    params: dict[str, object] = {"t_max": max(t for _, t in periods).isoformat()}
    for i, (date_from, date_to) in enumerate(periods):
        params[f"f{i}"], params[f"t{i}"] = date_from.isoformat(), date_to.isoformat()
        params[f"b{i}"] = (date_to - dt.timedelta(days=backlog_days)).isoformat()
    if city:
        params["city"] = city
    found = period_counts(db, group_by, len(periods), city, params, scope)
    out = []
    for i in range(len(periods)):
        rows = []
        for row in found:
            unit = UnitRow(row["unit"])
            for k in COUNTS:
                setattr(unit, k, int(row[f"{k}_{i}"] or 0))
            if unit.received or unit.resolved or unit.backlog:
                rows.append(unit)
        total = UnitRow("合计")
        for k in COUNTS:
            setattr(total, k, sum(getattr(r, k) for r in rows))
        rows.sort(key=lambda r: (-r.received, r.unit))
        out.append((rows, total))
    return out


def period_rows(
    db: Database,
    group_by: str,
    date_from: dt.date,
    date_to: dt.date,
    city: str | None,
    backlog_days: int,
    scope: Scope = PROVINCE,
) -> tuple[list[UnitRow], UnitRow]:
    return periods_rows(db, group_by, [(date_from, date_to)], city, backlog_days, scope)[0]


def period_report(
    db: Database,
    group_by: str,
    date_from: dt.date,
    date_to: dt.date,
    city: str | None = None,
    backlog_days: int = 60,
    scope: Scope = PROVINCE,
) -> Report:
    """``city`` narrows the report to one city; ``scope`` is the reader's (kb/scope.py)."""
    rows, total = period_rows(db, group_by, date_from, date_to, city, backlog_days, scope)
    title = f"督查督办报表（按{GROUPS[group_by]}）{date_from.isoformat()} 至 {date_to.isoformat()}"
    return Report(title, group_by, date_from.isoformat(), date_to.isoformat(), city, rows, total)


def _delta(now_: float | None, before: float | None) -> float | None:
    return None if now_ is None or before is None else round(now_ - before, 4)


def weekly_report(
    db: Database,
    group_by: str,
    week_end: dt.date,
    city: str | None = None,
    backlog_days: int = 60,
    weeks: int = 8,
    lowest: int = 3,
    min_received: int = 3,
    scope: Scope = PROVINCE,
) -> Report:
    """The week ending ``week_end`` against the week before; the ``lowest`` units by 化解率 flagged."""
    # The earliest trend week must stay a valid date too (a far-past week_end would underflow).
    _in_range("week_end", week_end)
    _in_range("week_end", week_end - dt.timedelta(days=7 * max(weeks, 2)))
    start = week_end - dt.timedelta(days=6)
    # One pass for this week, the week before and the trend weeks (oldest first).
    trend_ends = [week_end - dt.timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]
    periods = [(start, week_end), (start - dt.timedelta(days=7), week_end - dt.timedelta(days=7))]
    periods += [(end - dt.timedelta(days=6), end) for end in trend_ends]
    (rows, total), (prev_rows, prev_total), *trend_rows = periods_rows(db, group_by, periods, city, backlog_days, scope)
    before = {r.unit: r for r in prev_rows}
    for r in [*rows, total]:
        p = prev_total if r is total else before.get(r.unit)
        if p is not None:
            r.change_resolution_rate = _delta(r.resolution_rate, p.resolution_rate)
            r.change_repeat_rate = _delta(r.repeat_rate, p.repeat_rate)
    ranked = sorted(
        (r for r in rows if r.received >= min_received and r.resolution_rate is not None),
        key=lambda r: (r.resolution_rate, -(r.repeat_rate or 0.0), r.unit),
    )
    for r in ranked[:lowest]:
        r.lowest = True
    trend = [
        TrendPoint(end.isoformat(), t.received, t.resolution_rate, t.repeat_rate)
        for end, (_, t) in zip(trend_ends, trend_rows, strict=True)
    ]
    title = f"周滚动督查报表（按{GROUPS[group_by]}）{start.isoformat()} 至 {week_end.isoformat()}"
    return Report(title, group_by, start.isoformat(), week_end.isoformat(), city, rows, total, trend)


def latest_date(db: Database, city: str | None = None, scope: Scope = PROVINCE) -> dt.date:
    latest = CaseRepository(db).latest_received(scope, city)
    return dt.date.fromisoformat(latest) if latest else dt.date.today()
