"""督查督办: received, due, resolved, 化解率, 再次信访率 and 积案 per department or city, for any period,
and the weekly rolling report with the change against the previous week and the lowest performers.

化解率, 再次信访率, 积案, 按期受理率, 按期办结率, the resolved statuses and who is ranked are defined in
ONE place, ``kb/workflow/rates.py``, and counted in ONE place, ``kb/workflow/rate_store.py`` (their
``definitions`` travel with every report); this module only assembles them per unit and week:
- received: cases received in the period (``report_store``);
- 参评率: of the cases replied to in the period, the share with the petitioner's rating (recorded by
  the period's end); 满意率: of the rated cases, the share rated 满意 or 基本满意
  (``kb.workflow.evaluations``, which states them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from kb.clock import day_end
from kb.domain import EARLIEST_DATE, LATEST_DATE
from kb.errors import FieldProblem, InvalidInputError
from kb.scope import PROVINCE, Scope
from kb.storage.cases import CaseRepository
from kb.storage.db import Database
from kb.workflow import evaluations, rate_store, rates
from kb.workflow.rate_store import on_time_counts
from kb.workflow.rates import UNKNOWN as UNKNOWN
from kb.workflow.rates import RateRules
from kb.workflow.report_store import received_counts

GROUPS = {"city": "地市", "department": "责任部门"}


def definitions(rules: RateRules) -> dict[str, str]:
    """Every definition a report states: the rates' (kb/workflow/rates.py) and the ratings'."""
    return {**rates.definitions(rules), **evaluations.DEFINITIONS}


@dataclass
class UnitRow:
    unit: str
    received: int = 0
    # kb/workflow/rates.py: resolved in the period (as of its end); due in it, and of those resolved by
    # its end (cohort_resolved); the 再次信访 cohort (repeat_base) and those followed by one (repeats);
    # 积案 at its end (backlog).
    resolved: int = 0
    due: int = 0
    cohort_resolved: int = 0
    repeat_base: int = 0
    repeats: int = 0
    backlog: int = 0
    # On-time rates (kb/workflow/rate_store.on_time_counts): due in the period, and met.
    acceptance_due: int = 0
    accepted_on_time: int = 0
    handling_due: int = 0
    replied_on_time: int = 0
    replied: int = 0
    evaluated: int = 0
    satisfied: int = 0
    change_resolution_rate: float | None = None
    change_repeat_rate: float | None = None
    lowest: bool = False
    # Enough cases (and a named unit) to be ranked; 再次信访率 above the alert line (rates.py).
    ranked: bool = False
    repeat_alert: bool = False

    @property
    def resolution_rate(self) -> float | None:
        """化解率 (kb/workflow/rates.py): due in the period and resolved by its end ÷ due."""
        return rates.ratio(self.cohort_resolved, self.due)

    @property
    def repeat_rate(self) -> float | None:
        """再次信访率 (kb/workflow/rates.py): followed by a new petition in the window ÷ resolved."""
        return rates.ratio(self.repeats, self.repeat_base)

    @property
    def on_time_acceptance_rate(self) -> float | None:
        """按期受理率."""
        return round(self.accepted_on_time / self.acceptance_due, 4) if self.acceptance_due else None

    @property
    def on_time_reply_rate(self) -> float | None:
        """按期办结率."""
        return round(self.replied_on_time / self.handling_due, 4) if self.handling_due else None

    @property
    def evaluation_rate(self) -> float | None:
        """参评率: rated ÷ replied to in the period."""
        return round(self.evaluated / self.replied, 4) if self.replied else None

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: (满意 + 基本满意) ÷ rated."""
        return round(self.satisfied / self.evaluated, 4) if self.evaluated else None


@dataclass
class TrendPoint:
    week_end: str
    received: int
    resolution_rate: float | None
    repeat_rate: float | None
    due: int = 0


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
    definitions: dict[str, str] = field(default_factory=lambda: definitions(RateRules()))


CASE_COUNTS = ("received",)
RATE_COUNTS = {
    "due": "due",
    "cohort_resolved": "due_resolved",
    "resolved": "resolved",
    "repeat_base": "repeat_base",
    "repeats": "repeat_followed",
    "backlog": "backlog",
}
ON_TIME_COUNTS = ("acceptance_due", "accepted_on_time", "handling_due", "replied_on_time")
COUNTS = (*CASE_COUNTS, *RATE_COUNTS, *ON_TIME_COUNTS)
Period = tuple[dt.date, dt.date]
# A unit gets a row when any of these is non-zero in the period.
SHOWN_IF_ANY = ("received", "resolved", "due", "backlog", "acceptance_due", "handling_due")


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
    db: Database,
    group_by: str,
    periods: list[Period],
    city: str | None,
    backlog_days: int,
    scope: Scope = PROVINCE,
    rules: RateRules | None = None,
) -> list[tuple[list[UnitRow], UnitRow]]:
    """Per-unit counts and the total for every period: received in one pass over the cases table; the
    rates as ``kb/workflow/rates.py`` defines them (化解率, 再次信访率, 积案 over ``backlog_days``) and the
    on-time counts, counted by ``kb/workflow/rate_store.py`` for every period at once."""
    _check(group_by, periods)
    rules = replace(rules or RateRules(), backlog_days=backlog_days)
    t_max = max(t for _, t in periods)
    params: dict[str, object] = {"t_max": t_max.isoformat()}
    on_time: dict[str, object] = {}
    for i, (date_from, date_to) in enumerate(periods):
        params[f"f{i}"], params[f"t{i}"] = date_from.isoformat(), date_to.isoformat()
        on_time |= {f"f{i}": date_from.isoformat(), f"t{i}": date_to.isoformat(), f"e{i}": day_end(date_to)}
    if city:
        params["city"] = on_time["city"] = city
    found = {r["unit"]: r for r in received_counts(db, group_by, len(periods), city, params, scope)}
    timely = {r["unit"]: r for r in on_time_counts(db, group_by, len(periods), city, on_time, scope)}
    counted_all = rate_store.period_counts(db, group_by, periods, rules, scope, city)
    out = []
    for i, counted in enumerate(counted_all):
        rows = []
        for name in sorted(set(found) | set(timely) | set(counted)):
            unit = UnitRow(name)
            for source, keys in ((found.get(name), CASE_COUNTS), (timely.get(name), ON_TIME_COUNTS)):
                for k in keys:
                    setattr(unit, k, int(source[f"{k}_{i}"] or 0) if source is not None else 0)
            c = counted.get(name)
            if c is not None:
                for k, ck in RATE_COUNTS.items():
                    setattr(unit, k, getattr(c, ck))
                unit.ranked = rates.rankable(name, c.due, rules)
                unit.repeat_alert = rates.repeat_alert(name, c, rules)
            if any(getattr(unit, k) for k in SHOWN_IF_ANY):
                rows.append(unit)
        total = UnitRow("合计")
        for k in COUNTS:
            setattr(total, k, sum(getattr(r, k) for r in rows))
        rows.sort(key=lambda r: (-r.due, -r.received, r.unit))
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
    rules: RateRules | None = None,
) -> tuple[list[UnitRow], UnitRow]:
    return periods_rows(db, group_by, [(date_from, date_to)], city, backlog_days, scope, rules)[0]


def period_report(
    db: Database,
    group_by: str,
    date_from: dt.date,
    date_to: dt.date,
    city: str | None = None,
    backlog_days: int = 60,
    scope: Scope = PROVINCE,
    rules: RateRules | None = None,
) -> Report:
    """``city`` narrows the report to one city; ``scope`` is the reader's (kb/scope.py)."""
    rules = rules or RateRules()
    rows, total = period_rows(db, group_by, date_from, date_to, city, backlog_days, scope, rules)
    add_evaluation_rates(db, group_by, date_from, date_to, city, rows, total, scope)
    title = f"督查督办报表（按{GROUPS[group_by]}）{date_from.isoformat()} 至 {date_to.isoformat()}"
    return Report(
        title, group_by, date_from.isoformat(), date_to.isoformat(), city, rows, total, definitions=definitions(rules)
    )


def add_evaluation_rates(
    db: Database,
    group_by: str,
    date_from: dt.date,
    date_to: dt.date,
    city: str | None,
    rows: list[UnitRow],
    total: UnitRow,
    scope: Scope = PROVINCE,
) -> None:
    """Fill 参评率 / 满意率 counts into the rows (a unit with replies only gets a row of its own)."""
    where, params = scope.sql("c")
    if city:
        where, params = f"({where}) AND c.city = ?", [*params, city]
    by_unit = {r.unit: r for r in rows}
    for unit, counts in sorted(evaluations.rates(db, group_by, date_from, date_to, (where, params)).items()):
        row = by_unit.get(unit)
        if row is None:
            row = by_unit[unit] = UnitRow(unit)
            rows.append(row)
        row.replied, row.evaluated, row.satisfied = counts.replied, counts.evaluated, counts.satisfied
    total.replied = sum(r.replied for r in rows)
    total.evaluated = sum(r.evaluated for r in rows)
    total.satisfied = sum(r.satisfied for r in rows)


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
    scope: Scope = PROVINCE,
    rules: RateRules | None = None,
) -> Report:
    """The week ending ``week_end`` against the week before; the ``lowest`` ranked units by 化解率
    flagged (only units with enough due cases are ranked, never "（未指定）": rates.py)."""
    rules = rules or RateRules()
    # The earliest trend week must stay a valid date too (a far-past week_end would underflow).
    _in_range("week_end", week_end)
    _in_range("week_end", week_end - dt.timedelta(days=7 * max(weeks, 2)))
    start = week_end - dt.timedelta(days=6)
    # One pass for this week, the week before and the trend weeks (oldest first).
    trend_ends = [week_end - dt.timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]
    periods = [(start, week_end), (start - dt.timedelta(days=7), week_end - dt.timedelta(days=7))]
    periods += [(end - dt.timedelta(days=6), end) for end in trend_ends]
    (rows, total), (prev_rows, prev_total), *trend_rows = periods_rows(
        db, group_by, periods, city, backlog_days, scope, rules
    )
    before = {r.unit: r for r in prev_rows}
    for r in [*rows, total]:
        p = prev_total if r is total else before.get(r.unit)
        if p is not None:
            r.change_resolution_rate = _delta(r.resolution_rate, p.resolution_rate)
            r.change_repeat_rate = _delta(r.repeat_rate, p.repeat_rate)
    ranked = sorted(
        (r for r in rows if r.ranked and r.resolution_rate is not None),
        key=lambda r: (r.resolution_rate, -(r.repeat_rate or 0.0), r.unit),
    )
    for r in ranked[:lowest]:
        r.lowest = True
    trend = [
        TrendPoint(end.isoformat(), t.received, t.resolution_rate, t.repeat_rate, t.due)
        for end, (_, t) in zip(trend_ends, trend_rows, strict=True)
    ]
    title = f"周滚动督查报表（按{GROUPS[group_by]}）{start.isoformat()} 至 {week_end.isoformat()}"
    return Report(
        title, group_by, start.isoformat(), week_end.isoformat(), city, rows, total, trend, definitions(rules)
    )


def latest_date(db: Database, city: str | None = None, scope: Scope = PROVINCE) -> dt.date:
    latest = CaseRepository(db).latest_received(scope, city)
    return dt.date.fromisoformat(latest) if latest else dt.date.today()
