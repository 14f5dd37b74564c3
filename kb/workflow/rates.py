"""The ONE place the rates are defined: 化解率, 再次信访率 and which statuses count as resolved.

Every campaign progress table counts through these functions; every report, weekly notice and export
counts the same rules in SQL (``kb/workflow/rate_store.period_counts``, which tests/kb/workflow/
test_rate_sql.py holds equal to ``period_counts`` here). All state ``definitions(rules)`` beside the
figure (docs/workflow.md "统计口径" says the same).

- **resolved** (已化解 by a day): the case's status in force that day is one of
  ``Settings.resolved_statuses`` (default 已化解 and 已办结). The status in force is read from the
  status log (``case_status_log``, migration 14), never from today's column: a first import takes the
  registry's dates, and every later change takes effect on the day it was recorded, so a period's
  figures never change after its end. The resolution day is when the case's current run of resolved
  statuses began.
- **化解期限** (the day a case is due): the 办理期限 in force at the period's end (set on 受理 or import,
  extended when approved on time; ``lifecycle_store``), else the received date + ``handling_days``.
- **化解率** of a unit for a period = cases due in the period that are resolved by the period's end
  ÷ cases due in the period (a campaign: its listed cases resolved by the day ÷ its listed cases).
- **再次信访率** = resolved cases followed by a new petition on the same matter (a 'repeat' link to a
  later case) received within ``repeat_window_days`` after the resolution day, as of the period's end
  ÷ resolved cases. The resolved cases observed are those resolved in the period, or in the
  ``repeat_window_days`` before its end when the period is shorter. A link whose earlier case was
  still open when the later petition came does not count.
- **积案** of a unit on a period's end = cases received at least ``backlog_days`` before that day and
  not resolved on it (the status in force, as above).
- **按期受理率 / 按期办结率**: from the lifecycle's transitions recorded before the period's end
  (``rate_store.on_time_counts``): of the cases whose acceptance / handling due day falls in the
  period, the share decided / replied to on or before it.
- Units with fewer than ``rate_min_cases`` cases in the denominator are shown but not ranked, and the
  unit "（未指定）" is never ranked; a ranked unit whose 再次信访率 is above ``repeat_rate_alert`` is flagged.

Every rate a page, export or notice shows is one of these, with ``definitions`` (a report) or
``list_definitions`` (a campaign's list) beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from kb.fields import STATUS_LABELS, Status
from kb.settings import RESOLVED_STATUSES, Settings

UNKNOWN = "（未指定）"


@dataclass(frozen=True)
class RateRules:
    """The settings the rates read (``Settings.resolved_statuses`` and the three below it)."""

    resolved: frozenset[str] = frozenset(RESOLVED_STATUSES)
    window_days: int = 90
    min_cases: int = 5
    repeat_alert: float = 0.2
    handling_days: int = 60
    backlog_days: int = 60
    acceptance_days: int = 15

    @classmethod
    def of(cls, settings: Settings) -> RateRules:
        return cls(
            frozenset(settings.resolved_statuses),
            settings.repeat_window_days,
            settings.rate_min_cases,
            settings.repeat_rate_alert,
            settings.handling_days,
            acceptance_days=settings.acceptance_days,
        )

    def resolved_labels(self) -> str:
        return "、".join(STATUS_LABELS[Status(s)] for s in Status if s.value in self.resolved)


def definitions(rules: RateRules) -> dict[str, str]:
    """The rates' definitions in the words every page and export shows."""
    labels = rules.resolved_labels()
    return {
        "化解率": (
            f"化解期限落在本期内的案件中，截至期末状态为{labels}的比例（化解期限：期末前已记录的办理期限，"
            f"含按期批准的延期；没有时为收到之日起 {rules.handling_days} 天）；"
            "状态按记录日期计：导入时按登记系统的办结日期，之后的改动自记录之日起生效，期末之后的改动不改变本期数字"
        ),
        "再次信访率": (
            f"本期（短于 {rules.window_days} 天时取期末前 {rules.window_days} 天）化解的案件中，"
            f"化解之日后 {rules.window_days} 天内（截至期末）同一事项又有新信访（重复信访关联）的比例；"
            "原案件尚未化解时的关联不计"
        ),
        "已化解状态": f"计为化解的状态：{labels}（设置 resolved_statuses，环境变量 LEIAN_RESOLVED_STATUSES）",
        "排名": (
            f"分母不足 {rules.min_cases} 件的单位只列示、不排名（设置 rate_min_cases）；“{UNKNOWN}”不参与排名；"
            f"再次信访率高于 {rules.repeat_alert:.0%} 的单位标注“再次信访率偏高”（设置 repeat_rate_alert）"
        ),
        "积案": (
            f"期末前 {rules.backlog_days} 天及更早收到、截至期末状态不是{labels}的案件数"
            "（状态按记录日期计，期末之后的改动不改变本期数字）"
        ),
        "按期受理率": (
            f"受理期限（收到之日起 {rules.acceptance_days} 天）落在本期内的案件中，在期限当日或之前作出受理或"
            "不予受理决定的比例；只计期末之前记录的登记与决定，期末之后的操作不改变本期数字"
        ),
        "按期办结率": (
            f"办理期限（受理之日起 {rules.handling_days} 天；在原期限当日或之前批准延期的，按延长后的期限）"
            "落在本期内的案件中，在期限当日或之前作出书面答复的比例；只计期末之前记录的受理、延期与答复"
        ),
    }


def list_definitions(rules: RateRules) -> dict[str, str]:
    """The rates of a campaign's case list (``list_counts``) in the words its pages, letters and notices show."""
    labels = rules.resolved_labels()
    return {
        "化解率": f"列入本活动清单的案件中，截至统计日状态为{labels}的比例"
        "（按当前清单计）；状态按记录日期计，统计日之后的改动不改变当日数字；已印发的通报存档，不再改变",
        "再次信访率": f"清单内已化解案件中，化解之日后 {rules.window_days} 天内（截至统计日）"
        "同一事项又有新信访（重复信访关联）的比例；原案件尚未化解时的关联不计",
        "已化解状态": f"计为化解的状态：{labels}（设置 resolved_statuses，环境变量 LEIAN_RESOLVED_STATUSES）",
        "排名": f"列入不足 {rules.min_cases} 件的单位只列示、不上榜（设置 rate_min_cases）",
    }


@dataclass
class CaseFacts:
    """What the rates need of one case: its units, receipt, status log, 办理期限 and later repeats."""

    id: int
    city: str | None
    department: str | None
    received: dt.date
    # (effective day, status), in log order.
    history: list[tuple[dt.date, str]] = field(default_factory=list)
    # (due day, recorded at) of each 办理期限 set on 受理 / import, and of each approved extension
    # (with the due day it extended).
    handling: list[tuple[str, str]] = field(default_factory=list)
    extensions: list[tuple[str, str]] = field(default_factory=list)
    # Received dates of the later cases linked as repeats of this one.
    repeats: list[dt.date] = field(default_factory=list)

    def unit(self, group_by: str) -> str:
        return (self.city if group_by == "city" else self.department) or UNKNOWN


def resolved_on(case: CaseFacts, day: dt.date, rules: RateRules) -> dt.date | None:
    """The day the case's resolution in force on ``day`` began, or None when it is not resolved then."""
    since: dt.date | None = None
    for effective, status in sorted(case.history, key=lambda h: h[0]):  # stable: log order within a day
        if effective > day:
            break
        since = (since or effective) if status in rules.resolved else None
    return since


def due_on(case: CaseFacts, end_stamp: str, rules: RateRules) -> dt.date:
    """The 化解期限 in force at ``end_stamp`` (the first stored stamp after the period)."""
    set_before = [(due, at) for due, at in case.handling if at < end_stamp]
    if not set_before:
        return case.received + dt.timedelta(days=rules.handling_days)
    due = max(set_before, key=lambda d: d[1])[0]
    for extended, at in sorted(case.extensions, key=lambda e: e[1]):
        if at < end_stamp and at[:10] <= due:
            due = extended
    return dt.date.fromisoformat(due)


def followed_by_repeat(case: CaseFacts, resolved: dt.date, as_of: dt.date, rules: RateRules) -> bool:
    """A later petition on the same matter came after ``resolved``, within the window and by ``as_of``."""
    last = min(resolved + dt.timedelta(days=rules.window_days), as_of)
    return any(resolved < later <= last for later in case.repeats)


@dataclass
class Counts:
    """One unit's counts for one period (or one campaign day)."""

    due: int = 0
    due_resolved: int = 0
    resolved: int = 0
    repeat_base: int = 0
    repeat_followed: int = 0
    backlog: int = 0

    @property
    def resolution_rate(self) -> float | None:
        return ratio(self.due_resolved, self.due)

    @property
    def repeat_rate(self) -> float | None:
        return ratio(self.repeat_followed, self.repeat_base)

    def add(self, other: Counts) -> None:
        for k in ("due", "due_resolved", "resolved", "repeat_base", "repeat_followed", "backlog"):
            setattr(self, k, getattr(self, k) + getattr(other, k))


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def period_counts(
    cases: Iterable[CaseFacts], group_by: str, date_from: dt.date, date_to: dt.date, end_stamp: str, rules: RateRules
) -> dict[str, Counts]:
    """Per unit: due in the period and resolved by its end; resolved in it; the 再次信访 cohort; 积案 at its end."""
    cohort_from = min(date_from, date_to - dt.timedelta(days=rules.window_days - 1))
    backlog_by = date_to - dt.timedelta(days=rules.backlog_days)
    out: dict[str, Counts] = {}
    for case in cases:
        if case.received > date_to:
            continue
        c = Counts()
        since = resolved_on(case, date_to, rules)
        if date_from <= due_on(case, end_stamp, rules) <= date_to:
            c.due = 1
            c.due_resolved = int(since is not None)
        if since is not None and date_from <= since <= date_to:
            c.resolved = 1
        if since is not None and cohort_from <= since <= date_to:
            c.repeat_base = 1
            c.repeat_followed = int(followed_by_repeat(case, since, date_to, rules))
        c.backlog = int(case.received <= backlog_by and since is None)
        if c.due or c.resolved or c.repeat_base or c.backlog:
            out.setdefault(case.unit(group_by), Counts()).add(c)
    return out


def list_counts(cases: Iterable[CaseFacts], day: dt.date, rules: RateRules) -> Counts:
    """A campaign list's counts on ``day``: every listed case is due; resolved by ``day``; of those
    resolved, followed by a repeat within the window (as of ``day``)."""
    c = Counts()
    for case in cases:
        c.due += 1
        since = resolved_on(case, day, rules)
        if since is not None:
            c.due_resolved += 1
            c.resolved += 1
            c.repeat_base += 1
            c.repeat_followed += int(followed_by_repeat(case, since, day, rules))
    return c


def rankable(unit: str, denominator: int, rules: RateRules) -> bool:
    return unit != UNKNOWN and denominator >= rules.min_cases


def repeat_alert(unit: str, counts: Counts, rules: RateRules) -> bool:
    rate = counts.repeat_rate
    return rankable(unit, counts.repeat_base, rules) and rate is not None and rate > rules.repeat_alert
