"""A campaign's figures per unit on a day, and the rules of the weekly rolling notice.

Every rate is ``kb/workflow/rates.py``'s (a campaign's 化解率 = its listed cases resolved by the day ÷
its listed cases; 再次信访率 = of those resolved, the share followed by a new petition on the same
matter within the window). The list counts as handed down on every day (an issued notice is
stored, so a later addition or resolution never changes it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from kb.workflow import rates
from kb.workflow.rates import CaseFacts, RateRules


@dataclass
class UnitProgress:
    unit: str
    listed: int
    resolved: int
    resolution_rate: float | None
    repeat_base: int
    repeat_followed: int
    repeat_rate: float | None
    overdue: int  # past its target date and not resolved on the day
    ranked: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def unit_progress(
    entries: Iterable[Mapping[str, Any]], facts: Mapping[int, CaseFacts], day: dt.date, rules: RateRules
) -> list[UnitProgress]:
    """Per lead unit, on ``day``: listed, resolved, 化解率, 再次信访率, overdue (worst 化解率 first)."""
    by_unit: dict[str, list[Mapping[str, Any]]] = {}
    for e in entries:
        by_unit.setdefault(str(e["lead_unit"]), []).append(e)
    out = []
    for unit, rows in by_unit.items():
        cases = [facts[int(e["case_id"])] for e in rows if int(e["case_id"]) in facts]
        c = rates.list_counts(cases, day, rules)
        overdue = sum(
            1
            for e in rows
            if int(e["case_id"]) in facts
            and str(e["target_date"]) < day.isoformat()
            and rates.resolved_on(facts[int(e["case_id"])], day, rules) is None
        )
        out.append(
            UnitProgress(
                unit,
                c.due,
                c.due_resolved,
                c.resolution_rate,
                c.repeat_base,
                c.repeat_followed,
                c.repeat_rate,
                overdue,
                rates.rankable(unit, c.due, rules),
            )
        )
    out.sort(key=lambda p: (p.resolution_rate if p.resolution_rate is not None else 2.0, p.unit))
    return out


def total(progress: Iterable[UnitProgress], rules: RateRules) -> UnitProgress:
    rows = list(progress)
    listed, resolved = sum(p.listed for p in rows), sum(p.resolved for p in rows)
    base, followed = sum(p.repeat_base for p in rows), sum(p.repeat_followed for p in rows)
    return UnitProgress(
        "合计",
        listed,
        resolved,
        rates.ratio(resolved, listed),
        base,
        followed,
        rates.ratio(followed, base),
        sum(p.overdue for p in rows),
        False,
    )


def notice_reasons(p: UnitProgress, resolution_line: float, repeat_line: float) -> list[str]:
    """Why a ranked unit is on the notice (empty: it is not)."""
    if not p.ranked:
        return []
    out = []
    if p.resolution_rate is not None and p.resolution_rate < resolution_line:
        out.append(f"化解率低于 {resolution_line:.0%}")
    if p.repeat_rate is not None and p.repeat_rate > repeat_line:
        out.append(f"再次信访率高于 {repeat_line:.0%}")
    return out
