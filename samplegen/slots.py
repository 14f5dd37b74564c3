"""Per-case slot dictionaries (the values substituted into templates)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping

from .model import IssueType, Topic
from .people import Person, age_on, pick, randint, random_surname
from .phrases import PREV_CHANNEL
from .vocab import CORES, PLACE_CORES, PLATFORM_CORES, ROADS, VILLAGES, Place

_CN_NUM = "零一二三四五六七八九十"


def month_text(day: dt.date, months_back: int) -> str:
    """'2025年3月' for the month *months_back* months before *day*."""
    k = day.year * 12 + day.month - 1 - months_back
    return f"{k // 12}年{k % 12 + 1}月"


def day_text(day: dt.date, ref: dt.date) -> str:
    if day.year == ref.year:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def gap_text(days: int) -> str:
    """Colloquial duration: '一个多月', '半年多', '一年多' ..."""
    months = days // 30
    if months < 1:
        return "二十多天"
    if months < 6:
        return f"{'两' if months == 2 else _CN_NUM[months]}个多月"
    if months < 7:
        return "半年多"
    if months < 12:
        return f"{_CN_NUM[months] if months <= 10 else '十' + _CN_NUM[months - 10]}个多月"
    return "一年多" if months < 24 else "两年多"


def yuan(v: int, rng: random.Random) -> str:
    """Format an amount of money the way petitioners write it."""
    if v < 10_000:
        return f"{round(v, -2)}元"
    if v >= 1_000_000:
        return f"{v / 10_000:.0f}万元"
    if rng.random() < 0.5:
        return f"{round(v, -1 if v < 100_000 else -3)}元"
    w = f"{v / 10_000:.1f}".removesuffix(".0")
    return f"{w}万元"


def base_slots(
    rng: random.Random,
    it: IssueType,
    place: Place,
    person: Person,
    day: dt.date,
    *,
    group: bool,
    participants: int,
) -> dict[str, object]:
    road = pick(rng, ROADS)
    back = randint(rng, 2, 20)
    since = month_text(day, back)
    k = day.year * 12 + day.month - 1 - back
    s: dict[str, object] = {
        "we": "我们" if group else "我",
        "name": person.name,
        "age": age_on(person, day),
        "phone": person.phone,
        "pid": person.id_number,
        "spouse": pick(rng, ("我爱人", "我妻子")) if person.male else pick(rng, ("我爱人", "我丈夫")),
        "city": place.city,
        "district": place.district,
        "gov": place.gov,
        "court": place.court,
        "mid_court": place.mid_court,
        "police": place.police,
        "ccode": place.ccode,
        "road": road,
        "addr": f"{place.district}{road}{randint(rng, 1, 388)}号",
        "village": pick(rng, VILLAGES),
        "since": since,
        "sinceyear": k // 12,
        "since2": month_text(day, randint(rng, 0, back - 1)),
        "year": day.year,
        "n": participants,
        "gnoun": it.gnoun,
        "gunit": it.gunit,
        "category": it.name,
        "department": it.department,
        "xsurname": random_surname(rng),
        "rdate": "",
        "prev": "",
        "gap": "",
        "prevch": "",
    }
    for key, options in it.choices.items():
        s[key] = pick(rng, options)
    if group and "kid" in s:  # parents petitioning together speak of "孩子"
        s["kid"] = "孩子"
    for key, (lo, hi, kind) in it.numbers.items():
        v = randint(rng, lo, hi)
        if kind == "int":
            s[key] = v
            continue
        if kind == "money" and group:
            v = int(v * participants * rng.uniform(0.5, 1.0))
        s[key] = yuan(v, rng)
    s["local"] = pick(rng, it.locals_).format_map(s)
    return s


def apply_topic(rng: random.Random, tp: Topic, s: dict[str, object]) -> None:
    for key, value in tp.slots.items():
        v = pick(rng, value) if isinstance(value, tuple) else value
        s[key] = v.format_map(s) if "{" in v else v


def apply_oneoff(rng: random.Random, it: IssueType, s: dict[str, object]) -> str:
    """Replace entity slots with fresh synthetic names; return the topic label."""
    s.update(
        core=pick(rng, CORES),
        estcore=pick(rng, PLACE_CORES),
        platcore=pick(rng, PLATFORM_CORES),
        surname=random_surname(rng),
        phase=pick(rng, "一二三"),
    )
    for key, patterns in it.oneoff.items():
        s[key] = pick(rng, patterns).format_map(s)
    return it.oneoff_label.format_map(s)


def repeat_slots(orig: Mapping[str, object], orig_day: dt.date, orig_channel: str, day: dt.date) -> dict[str, object]:
    s = dict(orig)
    s["prev"] = day_text(orig_day, day) if (day - orig_day).days < 120 else month_text(orig_day, 0)
    s["gap"] = gap_text((day - orig_day).days)
    s["prevch"] = PREV_CHANNEL[orig_channel]
    return s
