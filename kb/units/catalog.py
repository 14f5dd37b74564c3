"""The unit catalog: every unit a case, an account or an assignment may name, looked up by name or alias.

A unit is a city (地级市), one of its districts or counties (区县; in 东莞市 and 中山市 the towns and
街道), a provincial department of the joint meeting (省直部门), the 政法委, a 政法 body (法院、检察院、
公安、司法), the bureau itself (省信访局) or one of its supervision divisions (督查处, each covering a
region of cities). The catalog is read-only; ``kb.units.store`` keeps it and ``kernel.units`` serves it.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from kb.errors import FieldProblem, InvalidInputError

KIND_LABELS: dict[str, str] = {
    "province": "省级",
    "city": "地级市",
    "district": "区县",
    "department": "省直部门",
    "zhengfa": "政法委",
    "zhengfa_body": "政法单位",
    "division": "督查处",
}
KINDS: tuple[str, ...] = tuple(KIND_LABELS)
# Kinds a unit's parent may have (empty: the unit has no parent); ``PARENT_REQUIRED`` must have one.
PARENT_KINDS: dict[str, tuple[str, ...]] = {
    "province": (),
    "city": (),
    "district": ("city",),
    "department": (),
    "zhengfa": (),
    "zhengfa_body": ("city",),
    "division": ("province",),
}
PARENT_REQUIRED: frozenset[str] = frozenset({"district"})
# The units a case may name as its responsible department (责任部门).
DEPARTMENT_KINDS: tuple[str, ...] = ("department", "zhengfa", "zhengfa_body")
MAX_SUGGESTIONS = 3
_SIMILARITY_CUTOFF = 0.3
_RELATIVE_CUTOFF = 0.6


class CaseUnits(Protocol):
    """The unit-valued fields of a case (``CaseIn`` or any record with them), rewritten in place."""

    city: str | None
    district: str | None
    department: str | None


@dataclass(frozen=True)
class Unit:
    name: str  # canonical: 广州市, 越秀区, 省交通运输厅, 省委政法委, 省信访局督查一处
    kind: str  # one of KINDS
    parent: str | None = None  # district -> its city; zhengfa_body -> None or a city; division -> 省信访局
    aliases: tuple[str, ...] = ()  # 广州 -> 广州市, 省人社厅 -> 省人力资源社会保障厅
    cities: tuple[str, ...] = ()  # division: the cities it supervises

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "parent": self.parent,
            "aliases": list(self.aliases),
            "cities": list(self.cities),
        }


def kinds_text(kinds: Iterable[str]) -> str:
    return "或".join(KIND_LABELS.get(k, k) for k in kinds)


def clean_name(name: str) -> str:
    """A unit name as typed: surrounding and inner whitespace (full-width included) removed."""
    return "".join(name.split())


class UnitCatalog:
    """Units by canonical name and alias. Built from consistent units (``kb.units.rows.check`` says why not)."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self._units: dict[str, Unit] = {}
        self._lookup: dict[str, Unit] = {}
        for unit in units:
            if unit.kind not in KIND_LABELS:
                raise ValueError(f"unknown unit kind {unit.kind!r} of {unit.name}")
            for spelling in (unit.name, *unit.aliases):
                if spelling in self._lookup:
                    raise ValueError(f"unit name or alias {spelling!r} is used twice")
                self._lookup[spelling] = unit
            self._units[unit.name] = unit

    # -- lookups ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self._units.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def get(self, name: str) -> Unit | None:
        """The unit of a canonical name or an alias (whitespace ignored), or None."""
        return self._lookup.get(clean_name(name))

    def of_kind(self, *kinds: str) -> list[Unit]:
        return [u for u in self._units.values() if u.kind in kinds]

    def cities(self) -> list[Unit]:
        return self.of_kind("city")

    def departments(self) -> list[Unit]:
        """The units a case may name as its responsible department: departments, 政法委 and 政法 bodies."""
        return self.of_kind(*DEPARTMENT_KINDS)

    def districts_of(self, city: str) -> list[Unit]:
        unit = self.get(city)
        if unit is None or unit.kind != "city":
            return []
        return [u for u in self._units.values() if u.kind == "district" and u.parent == unit.name]

    def city_of(self, name: str) -> str | None:
        """A city's own name; the city of a district or of a city-level 政法 body; else None."""
        unit = self.get(name)
        if unit is None:
            return None
        if unit.kind == "city":
            return unit.name
        parent = self.get(unit.parent) if unit.parent else None
        return parent.name if parent is not None and parent.kind == "city" else None

    # -- validation ------------------------------------------------------------------------------
    def suggestions(
        self, name: str, kinds: Collection[str] | None = None, among: Iterable[Unit] | None = None
    ) -> list[str]:
        """Up to three canonical names closest to ``name`` (by name or alias), of the given kinds."""
        pool: dict[str, str] = {}
        for unit in among if among is not None else self._units.values():
            if kinds is None or unit.kind in kinds:
                for spelling in (unit.name, *unit.aliases):
                    pool.setdefault(spelling, unit.name)
        typed = clean_name(name)
        matcher = difflib.SequenceMatcher(b=typed)
        scored: list[tuple[float, str]] = []
        for spelling in pool:
            matcher.set_seq1(spelling)
            score = matcher.ratio()
            if score >= _SIMILARITY_CUTOFF:
                scored.append((score, spelling))
        scored.sort(key=lambda s: (-s[0], s[1]))
        # Far weaker matches than the best one are noise ("广洲市" -> 广州市 only).
        floor = scored[0][0] * _RELATIVE_CUTOFF if scored else 1.0
        out: list[str] = []
        for score, spelling in scored:
            if score < floor or len(out) == MAX_SUGGESTIONS:
                break
            if pool[spelling] not in out:
                out.append(pool[spelling])
        return out

    def problem(
        self, name: str, field: str, kinds: Collection[str] | None = None, row: int | None = None
    ) -> FieldProblem | None:
        """Why ``name`` is not a known unit of ``kinds`` (None when it is one)."""
        unit = self.get(name)
        if unit is not None and (kinds is None or unit.kind in kinds):
            return None
        if unit is not None:
            message = f"单位“{unit.name}”是{unit.kind_label}，此处应为{kinds_text(kinds or ())}"
        else:
            message = f"未知单位“{clean_name(name) or name}”"
        close = self.suggestions(name, kinds)
        message += f"，最接近的有：{'、'.join(close)}" if close else "，单位名录中没有相近的单位"
        return FieldProblem(field, message, row)

    def require(self, name: str, field: str, kinds: Collection[str] | None = None, row: int | None = None) -> Unit:
        """The unit named ``name`` (or an alias); InvalidInputError naming the field and the closest units."""
        problem = self.problem(name, field, kinds, row)
        if problem is not None:
            raise InvalidInputError([problem])
        unit = self.get(name)
        assert unit is not None
        return unit

    def normalise_case(
        self, case: CaseUnits, row: int | None = None, fields: Collection[str] | None = None
    ) -> list[FieldProblem]:
        """Check a case's unit fields and rewrite aliases to canonical names in place (广州 -> 广州市).

        ``city`` must be a known city, ``district`` a district of that city (or, without a city, a known
        district), ``department`` a department, the 政法委 or a 政法 body. ``fields`` limits the check to
        those fields (an update checks what it changes; a changed city re-checks the district).
        """
        check = set(fields) if fields is not None else {"city", "district", "department"}
        if "city" in check:
            check.add("district")
        problems: list[FieldProblem] = []
        city: Unit | None = None
        if case.city:
            city = self.get(case.city)
            if "city" in check:
                problem = self.problem(case.city, "city", ("city",), row)
                if problem is not None:
                    problems.append(problem)
                    city = None
                elif city is not None:
                    case.city = city.name
        if "district" in check and case.district:
            problems += self._district(case, city if city is not None and city.kind == "city" else None, row)
        if "department" in check and case.department:
            problem = self.problem(case.department, "department", DEPARTMENT_KINDS, row)
            if problem is not None:
                problems.append(problem)
            else:
                case.department = self.require(case.department, "department").name
        return problems

    def _district(self, case: CaseUnits, city: Unit | None, row: int | None) -> list[FieldProblem]:
        if city is None and case.city:
            return []  # the city itself is wrong (reported once, above)
        assert case.district is not None
        district = self.get(case.district)
        if city is None:
            problem = self.problem(case.district, "district", ("district",), row)
            if problem is not None:
                return [problem]
        elif district is None or district.kind != "district" or district.parent != city.name:
            local = self.districts_of(city.name)
            message = f"区县“{clean_name(case.district)}”不属于{city.name}"
            close = self.suggestions(case.district, ("district",), among=local)
            if close:
                message += f"，{city.name}最接近的有：{'、'.join(close)}"
            return [FieldProblem("district", message, row)]
        assert district is not None
        case.district = district.name
        return []
