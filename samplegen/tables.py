"""Precomputed weighted-choice tables and rates for the generator."""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

from .model import IssueType, Topic
from .topics import ISSUE_TYPES
from .vocab import CITY_NAMES, CITY_POP, DISTRICTS, PLACES, Place

T = TypeVar("T")

REPEAT_RATE = 0.085  # reworded returns of the same petitioner
EXACT_RATE = 0.01  # identical resubmissions
GROUP_TARGET = 0.05
LITIGATION_EXTRA_TARGET = 0.03  # share of non-legal cases that mention a judgment
ONEOFF_RATE = 0.15
PII_RATE = 0.10
REPEAT_WINDOW = (10, 200)  # days after the original
EXACT_WINDOW = (1, 120)
POOL_TARGET = 20_000  # max originals kept in memory for repeats (bounds memory for any n)

_CHANNEL_SOLO = (("网上", 0.42), ("来信", 0.2), ("来访", 0.18), ("热线", 0.2))
_CHANNEL_GROUP = (("来访", 0.45), ("来信", 0.4), ("网上", 0.15))
# (max age in days, [(status, weight), ...])
_STATUS = (
    (15, (("pending", 65), ("in_progress", 32), ("resolved", 3))),
    (60, (("pending", 20), ("in_progress", 48), ("resolved", 15), ("closed", 5), ("unresolved", 12))),
    (180, (("pending", 4), ("in_progress", 20), ("resolved", 40), ("closed", 20), ("unresolved", 16))),
    (10**9, (("pending", 1), ("in_progress", 5), ("resolved", 50), ("closed", 30), ("unresolved", 14))),
)


class Picker(Generic[T]):
    """Weighted choice with precomputed cumulative weights."""

    __slots__ = ("cum", "items")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))

    def __call__(self, rng: random.Random) -> T:
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]


def _tables() -> tuple[
    list[Picker[IssueType]],
    dict[str, Picker[str]],
    dict[str, Picker[str]],
    dict[str, Picker[Topic]],
]:
    by_month = [Picker(ISSUE_TYPES, [it.weight * it.season.get(m, 1.0) for it in ISSUE_TYPES]) for m in range(1, 13)]
    city = {
        it.name: Picker(CITY_NAMES, [CITY_POP[c] * it.city_bias.get(c, 1.0) for c in CITY_NAMES]) for it in ISSUE_TYPES
    }
    district = {c: Picker([d for d, _ in ds], [w for _, w in ds]) for c, ds in DISTRICTS.items()}
    topic = {it.name: Picker(it.topics, [t.weight for t in it.topics]) for it in ISSUE_TYPES}
    return by_month, city, district, topic


BY_MONTH, CITY_PICK, DISTRICT_PICK, TOPIC_PICK = _tables()
CLONABLE = {it.name: [t for t in it.topics if t.clonable] for it in ISSUE_TYPES}
CHANNEL_SOLO = Picker([c for c, _ in _CHANNEL_SOLO], [w for _, w in _CHANNEL_SOLO])
CHANNEL_GROUP = Picker([c for c, _ in _CHANNEL_GROUP], [w for _, w in _CHANNEL_GROUP])
_STATUS_PICK = [(age, Picker([s for s, _ in ws], [w for _, w in ws])) for age, ws in _STATUS]

_total_w = sum(it.weight for it in ISSUE_TYPES)
GROUP_SCALE = GROUP_TARGET / (sum(it.weight * it.group_rate for it in ISSUE_TYPES) / _total_w)
_plain = [it for it in ISSUE_TYPES if not it.litigation]
LIT_EXTRA_P = (
    LITIGATION_EXTRA_TARGET * sum(it.weight for it in _plain) / sum(it.weight for it in _plain if it.lit_extras)
)


def draw_participants(rng: random.Random) -> int:
    return max(5, min(300, int(rng.lognormvariate(math.log(25), 0.8))))


def draw_status(rng: random.Random, day: int, end: int) -> tuple[str, int | None]:
    age = end - day
    status = "pending"
    for limit, pick in _STATUS_PICK:
        if age <= limit:
            status = pick(rng)
            break
    if status in ("resolved", "closed"):
        if age < 1:
            return "pending", None
        return status, day + min(age, max(1, int(rng.expovariate(1 / 30)) + 3))
    return status, None


# Where petitions come from (kb/fields.py ORIGINS): most are received at this level.
_ORIGIN_PICK = Picker(["本级受理", "省交办", "国家信访局转送", "中央交办"], [80, 10, 7, 3])
# Open cases handed down from above are often on a 积案 list; the share per origin.
_BACKLOG_P = {"中央交办": 0.6, "省交办": 0.45, "国家信访局转送": 0.2}


def draw_origin(rng: random.Random, status: str) -> tuple[str, bool]:
    """(origin, on a 积案 list): open cases handed down from above are often listed."""
    origin = _ORIGIN_PICK(rng)
    listed = status not in ("resolved", "closed") and rng.random() < _BACKLOG_P.get(origin, 0.0)
    return origin, listed


def random_place(rng: random.Random) -> Place:
    city = CITY_PICK["拖欠农民工工资"](rng)
    return PLACES[(city, DISTRICT_PICK[city](rng))]
