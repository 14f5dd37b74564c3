"""Places named in a petition's text, from the unit catalog (issue 19, locality from the text).

The gazetteer holds every city and district/county/town of ``UnitCatalog`` under its name, its
aliases and its name without the suffix (曲江区 -> 曲江, 韶关市 -> 韶关, 虎门镇 -> 虎门) when what is
left has two characters or more and is no other unit's spelling. ``city_in`` reads a text left to
right, longest spelling first, and answers the city the text names most. A district counts for its
city; a district's suffix-less spelling (金湾 of 金湾花园, 和平 of 和平路) and a spelling shared by
two cities count only beside a firm mention of their city; ties go to the first named.
The routing card prefers it to the classifier (``kb.workflow.suggest``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from kb.units.catalog import UnitCatalog

_SUFFIXES = ("市", "区", "县", "镇", "街道")
# Suffix-less spellings that are ordinary words far more often than places.
_AMBIGUOUS = frozenset({"城区", "新区", "开发", "高新", "南山", "东区", "西区", "中心", "石龙", "长安", "大朗"})


@dataclass(frozen=True)
class Mention:
    spelling: str  # as written in the text
    unit: str  # canonical unit name
    cities: tuple[str, ...]  # the city or cities the spelling may mean
    weak: bool = False  # a district's suffix-less spelling, or one shared by two cities


@dataclass(frozen=True)
class Place:
    city: str
    mentions: tuple[str, ...]  # spellings found, in text order (韶关市、曲江区)

    @property
    def label(self) -> str:
        return "、".join(dict.fromkeys(self.mentions))


class Gazetteer:
    def __init__(self, catalog: UnitCatalog) -> None:
        spellings: dict[str, set[tuple[str, str]]] = {}
        weak: set[str] = set()
        for unit in catalog.of_kind("city", "district"):
            city = unit.name if unit.kind == "city" else catalog.city_of(unit.name)
            if city is None:
                continue
            names = {unit.name, *unit.aliases}
            for name in list(names):
                for suffix in _SUFFIXES:
                    core = name[: -len(suffix)]
                    if name.endswith(suffix) and len(core) >= 2 and core not in _AMBIGUOUS:
                        names.add(core)
                        if unit.kind == "district":
                            weak.add(core)
            for name in names:
                spellings.setdefault(name, set()).add((unit.name, city))
        self._spellings = spellings
        self._weak = weak - {n for u in catalog.of_kind("city", "district") for n in (u.name, *u.aliases)}
        self._longest = max((len(s) for s in spellings), default=0)

    def is_place(self, word: str) -> bool:
        """Whether ``word`` is one of the gazetteer's spellings (a city, district or town)."""
        return word in self._spellings

    def mentions(self, text: str) -> list[Mention]:
        """Every place spelling in ``text``, left to right, the longest at each position."""
        out, i = [], 0
        while i < len(text):
            for size in range(min(self._longest, len(text) - i), 1, -1):
                found = self._spellings.get(text[i : i + size])
                if found:
                    units, spelling = sorted(found), text[i : i + size]
                    cities = tuple(sorted({c for _, c in units}))
                    out.append(Mention(spelling, units[0][0], cities, spelling in self._weak or len(cities) > 1))
                    i += size
                    break
            else:
                i += 1
        return out

    def city_in(self, text: str) -> Place | None:
        """The city the text names (see the module docstring), or None when it names none."""
        found = self.mentions(text)
        sure = [m for m in found if not m.weak]
        named = {m.cities[0] for m in sure}
        votes: Counter[str] = Counter(m.cities[0] for m in sure)
        for m in found:
            if m.weak:
                beside = [c for c in m.cities if c in named]
                if len(beside) == 1:
                    votes[beside[0]] += 1
        if not votes:
            return None
        order = [m.cities[0] for m in sure]
        best = max(votes, key=lambda c: (votes[c], -order.index(c) if c in order else -len(order)))
        return Place(best, tuple(m.spelling for m in found if best in m.cities))
