"""Which cases an account may see and write: the ONE rule per kind of unit, used by every door.

An account is bound to a unit (its 单位) and a scope (its 权限范围):

- ``province`` 全省: every case;
- ``city`` 地市: cases whose ``city`` is the account's city (a district's account sees its city);
- ``cities`` 督查片区: cases whose ``city`` is one of the supervised cities (a supervision division);
- ``department`` 部门: cases whose lead ``department`` is the unit, or with an active assignment
  (``case_assignments.unit``) to it, or referred to it (a 政法 body's account: ``litigation_referrals``,
  诉访分离), across all cities;
- ``zhengfa`` 政法: litigation-related cases (``cases.litigation = 1``), for 政法委 and 政法 bodies.

``Scope.sees`` (one case in Python) and ``Scope.sql`` (a WHERE fragment for lists, search
allow-lists, facets, reports and exports) state the same rule twice; tests/kb/test_scope.py checks
that they agree on every kind. ``Scope.may_write`` is the rule for where a new case may be put.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

KIND_LABELS = {
    "province": "全省",
    "city": "地市",
    "cities": "督查片区（多个地市）",
    "department": "部门",
    "zhengfa": "政法（涉法涉诉案件）",
}
KINDS = tuple(KIND_LABELS)


class ScopedRecord(Protocol):
    """What the rule reads of a case (a stored ``Case`` or an incoming ``CaseIn``)."""

    @property
    def city(self) -> str | None: ...

    @property
    def department(self) -> str | None: ...


@dataclass(frozen=True)
class Scope:
    kind: str = "province"
    unit: str | None = None
    cities: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.kind not in KIND_LABELS:
            raise ValueError(f"unknown scope kind: {self.kind}")
        object.__setattr__(self, "cities", frozenset(self.cities))
        if self.kind == "city" and len(self.cities) != 1:
            raise ValueError("a city scope covers exactly one city")
        if self.kind == "cities" and not self.cities:
            raise ValueError("a cities scope covers at least one city")
        if self.kind in ("department", "zhengfa") and not self.unit:
            raise ValueError(f"a {self.kind} scope needs its unit")
        if self.kind in ("province", "department", "zhengfa") and self.cities:
            raise ValueError(f"a {self.kind} scope lists no cities")

    # -- constructors ------------------------------------------------------------------------------
    @classmethod
    def city_of(cls, city: str, unit: str | None = None) -> Scope:
        """A city's scope; ``unit`` is the account's unit when it is not the city itself (a district)."""
        return cls("city", unit or city, frozenset({city}))

    @classmethod
    def cities_of(cls, cities: Iterable[str], unit: str | None = None) -> Scope:
        return cls("cities", unit, frozenset(cities))

    @classmethod
    def department_of(cls, unit: str) -> Scope:
        return cls("department", unit)

    @classmethod
    def zhengfa_of(cls, unit: str) -> Scope:
        return cls("zhengfa", unit)

    # -- the rule ------------------------------------------------------------------------------------
    @property
    def provincial(self) -> bool:
        return self.kind == "province"

    @property
    def city(self) -> str | None:
        """The one city of a city scope (else None)."""
        return next(iter(self.cities)) if self.kind == "city" else None

    def sees(self, case: ScopedRecord, assigned_units: Collection[str] = ()) -> bool:
        """Whether ``case`` is within this scope; ``assigned_units`` are the units it is actively
        assigned to (only a department scope reads them)."""
        if self.kind == "province":
            return True
        if self.kind in ("city", "cities"):
            return case.city in self.cities
        if self.kind == "department":
            return case.department == self.unit or self.unit in assigned_units
        return bool(getattr(case, "litigation", False))

    def may_write(self, city: str | None, department: str | None) -> bool:
        """Whether a case with this ``city`` and ``department`` may be registered (or kept) here.

        A 政法 account follows litigation-related cases flagged by detection; it registers none.
        """
        if self.kind == "province":
            return True
        if self.kind in ("city", "cities"):
            return city in self.cities
        if self.kind == "department":
            return department == self.unit
        return False

    def sql(self, alias: str | None = None) -> tuple[str, list[Any]]:
        """The WHERE fragment (and parameters) over ``cases`` columns selecting this scope's cases;
        ``alias`` is the name of ``cases`` in the caller's query (``c`` in ``FROM cases c``)."""
        col = f"{alias}." if alias else ""
        if self.kind == "province":
            return "1=1", []
        if self.kind in ("city", "cities"):
            cities = sorted(self.cities)
            return f"{col}city IN ({', '.join('?' * len(cities))})", cities
        if self.kind == "department":
            return (
                f"({col}department = ? OR {col}id IN (SELECT case_id FROM litigation_referrals WHERE unit = ?) "
                f"OR {col}id IN (SELECT case_id FROM case_assignments WHERE unit = ? AND active = 1))",
                [self.unit, self.unit, self.unit],
            )
        return f"{col}litigation = 1", []

    def named_sql(self, alias: str | None = None, prefix: str = "s") -> tuple[str, dict[str, Any]]:
        """``sql()`` with named parameters (``:s0``, ``:s1`` …) for queries that use named ones."""
        where, args = self.sql(alias)
        named: dict[str, Any] = {}
        for i, value in enumerate(args):
            where = where.replace("?", f":{prefix}{i}", 1)
            named[f"{prefix}{i}"] = value
        return where, named

    def contains(self, other: Scope) -> bool:
        """Whether every case ``other`` may see is also within this scope (for granting accounts)."""
        if self.kind == "province":
            return True
        if self.kind in ("city", "cities"):
            return other.kind in ("city", "cities") and other.cities <= self.cities
        return other == self

    # -- presentation and storage --------------------------------------------------------------------
    @property
    def label(self) -> str:
        """In Chinese: 全省 / 广州市 / 督查一处（广州市、佛山市）/ 省交通运输厅 / 省委政法委（涉法涉诉案件）."""
        if self.kind == "province":
            return "全省"
        if self.kind == "city":
            return self.city or ""
        if self.kind == "cities":
            listed = "、".join(sorted(self.cities))
            return f"{self.unit}（{listed}）" if self.unit else listed
        if self.kind == "zhengfa":
            return f"{self.unit}（涉法涉诉案件）"
        return self.unit or ""

    def describe(self) -> str:
        """For refusals: "本单位权限范围（广州市）"."""
        return f"本单位权限范围（{self.label}）"


PROVINCE = Scope("province")
