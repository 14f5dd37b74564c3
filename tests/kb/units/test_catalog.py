"""The unit catalog on the bundled 广东省 data: lookups, aliases, closest suggestions, completeness."""

from __future__ import annotations

import pytest

from kb.errors import InvalidInputError
from kb.units.catalog import DEPARTMENT_KINDS, Unit, UnitCatalog
from kb.units.rows import bundled_rows, resolve
from samplegen.topics import CATEGORY_DEPARTMENT
from samplegen.vocab import CITY_NAMES, DISTRICTS


@pytest.fixture(scope="module")
def catalog() -> UnitCatalog:
    rows, problems = resolve(bundled_rows())
    assert problems == []
    return UnitCatalog(r.unit for r in rows)


def test_bundled_data_has_the_21_cities_and_their_districts(catalog: UnitCatalog) -> None:
    assert sorted(u.name for u in catalog.cities()) == sorted(CITY_NAMES) and len(catalog.cities()) == 21
    assert [u.name for u in catalog.districts_of("广州市")] == [
        *["越秀区", "海珠区", "荔湾区", "天河区", "白云区", "黄埔区", "番禺区", "花都区", "南沙区", "从化区", "增城区"]
    ]
    county_level = [u for u in catalog.of_kind("district") if u.parent not in ("东莞市", "中山市")]
    assert len(county_level) == 122  # 广东省's 市辖区、县级市、县 and 自治县
    assert {u.parent for u in catalog.of_kind("district")} == set(CITY_NAMES)


def test_every_district_the_sample_generator_uses_is_known(catalog: UnitCatalog) -> None:
    for city, districts in DISTRICTS.items():
        for district, _ in districts:
            unit = catalog.get(district)
            assert unit is not None and unit.kind == "district" and unit.parent == city, (city, district)
            assert catalog.city_of(district) == city


def test_every_department_the_sample_generator_uses_is_known(catalog: UnitCatalog) -> None:
    for department in set(CATEGORY_DEPARTMENT.values()):
        unit = catalog.get(department)
        assert unit is not None and unit.kind in DEPARTMENT_KINDS and unit.name == department, department


def test_the_joint_meeting_departments_the_zhengfa_units_and_the_divisions(catalog: UnitCatalog) -> None:
    assert len(catalog.of_kind("department")) >= 35
    assert len(catalog.departments()) >= 35
    for short, full in (
        ("省法院", "省高级人民法院"),
        ("省检察院", "省人民检察院"),
        ("省人社厅", "省人力资源社会保障厅"),
        ("省住建厅", "省住房城乡建设厅"),
        ("省卫健委", "省卫生健康委员会"),
    ):
        unit = catalog.get(short)
        assert unit is not None and unit.name == full
    assert catalog.require("省委政法委", "x").kind == "zhengfa"
    for body in ("省高级人民法院", "省人民检察院", "省公安厅", "省司法厅"):
        assert catalog.require(body, "x").kind == "zhengfa_body"
    assert catalog.require("省信访局", "x").kind == "province"
    divisions = catalog.of_kind("division")
    assert len(divisions) == 4 and all(d.parent == "省信访局" for d in divisions)
    covered = [c for d in divisions for c in d.cities]
    assert sorted(covered) == sorted(CITY_NAMES)  # every city supervised by exactly one division
    assert "东莞市" in catalog.require("督查一处", "x").cities
    court = catalog.require("广州中院", "x")
    assert (court.name, court.kind, court.parent) == ("广州市中级人民法院", "zhengfa_body", "广州市")
    assert catalog.city_of(court.name) == "广州市" and catalog.city_of("省公安厅") is None


def test_names_and_aliases_are_looked_up_alike_whitespace_ignored(catalog: UnitCatalog) -> None:
    assert catalog.get("广州") == catalog.get("广州市") == catalog.get(" 广州市\u3000")
    assert catalog.get("火星市") is None and "火星市" not in catalog and "广州" in catalog
    assert catalog.city_of("广州") == "广州市"
    assert catalog.districts_of("省教育厅") == [] and catalog.districts_of("广州")[0].name == "越秀区"


def test_require_names_the_field_the_unknown_unit_and_the_closest_ones(catalog: UnitCatalog) -> None:
    with pytest.raises(InvalidInputError) as err:
        catalog.require("广洲市", "locality", kinds=("city",), row=7)
    (problem,) = err.value.problems
    assert (problem.field, problem.row) == ("locality", 7)
    assert problem.message == "未知单位“广洲市”，最接近的有：广州市"
    assert "第 7 行 字段 locality" in err.value.message

    with pytest.raises(InvalidInputError) as err:
        catalog.require("火星市", "city", kinds=("city",))
    message = err.value.problems[0].message
    assert message.startswith("未知单位“火星市”，最接近的有：")
    named = message.split("：", 1)[1].split("、")
    assert 1 <= len(named) <= 3 and all(catalog.require(n, "city").kind == "city" for n in named)

    # Closest by alias too, reported by the canonical name; only the kinds asked for.
    problem = catalog.problem("省人社", "department", kinds=DEPARTMENT_KINDS)
    assert problem is not None and "最接近的有：省人力资源社会保障厅" in problem.message
    problem = catalog.problem("不存在的部门xyz", "department")
    assert problem is not None and problem.message == "未知单位“不存在的部门xyz”，单位名录中没有相近的单位"


def test_require_refuses_a_known_unit_of_another_kind(catalog: UnitCatalog) -> None:
    with pytest.raises(InvalidInputError) as err:
        catalog.require("省教育厅", "city", kinds=("city",))
    assert err.value.problems[0].message.startswith("单位“省教育厅”是省直部门，此处应为地级市")
    assert catalog.require("省教育厅", "department", kinds=DEPARTMENT_KINDS).name == "省教育厅"


class _Case:
    def __init__(self, city: str | None, district: str | None = None, department: str | None = None) -> None:
        self.city, self.district, self.department = city, district, department


def test_normalise_case_rewrites_aliases_and_checks_each_unit_field(catalog: UnitCatalog) -> None:
    case = _Case("广州", "天河区", "省人社厅")
    assert catalog.normalise_case(case, 3) == []
    assert (case.city, case.district, case.department) == ("广州市", "天河区", "省人力资源社会保障厅")

    bad = _Case("深圳市", "天河区", "不存在的厅")
    problems = catalog.normalise_case(bad, 5)
    assert [(p.field, p.row) for p in problems] == [("district", 5), ("department", 5)]
    assert problems[0].message.startswith("区县“天河区”不属于深圳市")
    assert problems[1].message.startswith("未知单位“不存在的厅”")

    # An unknown city is reported once (its district is not judged against it).
    problems = catalog.normalise_case(_Case("火星市", "天河区"), 1)
    assert [p.field for p in problems] == ["city"]
    # Without a city the district must still be a known one; a city is no department.
    assert [p.field for p in catalog.normalise_case(_Case(None, "火星区"))] == ["district"]
    assert [p.field for p in catalog.normalise_case(_Case(None, None, "广州市"))] == ["department"]
    # ``fields`` limits the check to what an update changes; a changed city re-checks the district.
    stale = _Case("深圳市", "天河区", "旧部门")
    assert catalog.normalise_case(stale, None, fields={"department"})[0].field == "department"
    assert catalog.normalise_case(_Case("深圳市", "天河区", "旧部门"), None, fields=set()) == []
    assert [p.field for p in catalog.normalise_case(_Case("深圳市", "天河区"), None, fields={"city"})] == ["district"]


def test_a_catalog_refuses_a_name_or_alias_used_twice() -> None:
    with pytest.raises(ValueError, match="广州"):
        UnitCatalog([Unit("广州市", "city", aliases=("广州",)), Unit("广州", "department")])
