"""Account scopes (kb/scope.py) on real storage: one rule per kind of unit, on every read and write.

Five accounts over the same cases: a 广州市 handler (city), a supervision division covering 广州市
and 佛山市 (cities), 省交通运输厅 (department: its lead cases and those assigned to it), 省委政法委
(zhengfa: litigation-related cases) and the province. Each test calls as the wrong unit and
expects nothing, or a refusal, so that removing the check it covers makes it fail
(tests/security/mutants.py removes them one by one).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from kb.audit import AuditFilter
from kb.domain import CaseIn, CaseUpdate, SearchFilters
from kb.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from kb.modelcases.domain import ModelCaseIn
from kb.scope import PROVINCE, Scope
from kb.service import LeianService
from kb.storage.cases import filter_sql
from kb.users import Principal, account_scope

WAGES = "某某建筑公司拖欠我们农民工工资三个月，共计八万元，包工头失联，请求劳动监察部门责令公司支付工资。"
NOISE = "小区楼下烧烤店每天营业到凌晨两点，油烟和噪音严重影响居民休息，多次投诉无果，请求环保部门查处。"
SCHOOL = "孩子今年秋季入学被划到离家很远的学校，学区划分不合理，请求教育局重新核定学位安排。"
COURT = "法院判决对方赔偿我十万元，判决生效后对方拒不履行，申请强制执行一年多仍没有结果，请求督促执行。"
PETITIONER = "440101199001011234"
TRANSPORT = "省交通运输厅"

GZ = Principal(101, "gz", "handler", "广州市经办人", "广州市", Scope.city_of("广州市"))
SZ = Principal(102, "sz", "handler", "深圳市经办人", "深圳市", Scope.city_of("深圳市"))
DIVISION = Principal(
    103, "div", "supervisor", "督查一处", "省信访局督查一处", Scope.cities_of({"广州市", "佛山市"}, "省信访局督查一处")
)
DEPT = Principal(104, "jt", "handler", "交通运输厅经办人", TRANSPORT, Scope.department_of(TRANSPORT))
ZHENGFA = Principal(105, "zf", "supervisor", "政法委", "省委政法委", Scope.zhengfa_of("省委政法委"))
PROV = Principal(106, "prov", "handler", "省级经办人")
ACCOUNTS = {"gz": GZ, "division": DIVISION, "dept": DEPT, "zhengfa": ZHENGFA, "province": PROV}

ROWS: list[dict[str, Any]] = [
    # 深圳市 first; the same petitioner's later 广州市 petition is linked to it as a repeat.
    {"external_no": "SZ-1", "content": WAGES, "received_date": "2025-01-05", "city": "深圳市",
     "department": "省人力资源社会保障厅", "petitioner_id": PETITIONER, "title": "深圳欠薪"},
    {"external_no": "GZ-1", "content": WAGES.replace("三个月", "四个月"), "received_date": "2025-02-10",
     "city": "广州市", "department": "省人力资源社会保障厅", "petitioner_id": PETITIONER, "title": "广州欠薪"},
    {"external_no": "FS-1", "content": NOISE, "received_date": "2025-03-01", "city": "佛山市",
     "department": "省生态环境厅", "title": "佛山噪音"},
    {"external_no": "SZ-2", "content": COURT, "received_date": "2025-03-05", "city": "深圳市",
     "department": TRANSPORT, "title": "深圳执行难"},
    {"external_no": "DG-1", "content": SCHOOL, "received_date": "2025-03-08", "city": "东莞市",
     "department": "省教育厅", "title": "东莞学位"},
]  # fmt: skip
VISIBLE = {
    "gz": {"GZ-1"},
    "division": {"GZ-1", "FS-1"},
    "dept": {"SZ-2", "DG-1"},  # SZ-2 leads there; DG-1 is assigned to it below
    "zhengfa": {"SZ-2"},  # the court-judgment petition is flagged litigation-related
    "province": {r["external_no"] for r in ROWS},
}


@pytest.fixture
def ids(service: LeianService) -> dict[str, int]:
    service.ingest([(i, dict(r)) for i, r in enumerate(ROWS, start=1)])
    found = service.case_ids_by_external([r["external_no"] for r in ROWS])
    # Assigned to the department too, while 省教育厅 stays its lead: only the assignment puts it in scope.
    service.workflow.assign(found["DG-1"], locality=None, departments=["省教育厅", TRANSPORT], lead="省教育厅")
    return found


def names(ids: dict[str, int], found: set[int] | list[int]) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[i] for i in found}


# -- the rule ---------------------------------------------------------------------------------------
def test_scope_shapes_are_checked() -> None:
    with pytest.raises(ValueError):
        Scope("city")  # a city scope names its city
    with pytest.raises(ValueError):
        Scope("cities")
    with pytest.raises(ValueError):
        Scope("department")
    with pytest.raises(ValueError):
        Scope("region", "x")
    assert PROVINCE.provincial and not GZ.scope.provincial
    assert GZ.scope.city == "广州市" and DIVISION.scope.city is None
    assert DIVISION.scope.label == "省信访局督查一处（佛山市、广州市）" and ZHENGFA.scope.label.startswith("省委政法委")


@pytest.mark.parametrize("who", list(ACCOUNTS))
def test_sees_and_sql_state_the_same_rule(service: LeianService, ids: dict[str, int], who: str) -> None:
    """Python (one case) and SQL (lists, search, facets, exports) select the same cases."""
    assert service.cases.get(ids["DG-1"]).department == "省教育厅"  # type: ignore[union-attr]
    actor = ACCOUNTS[who]
    by_python = {i for i in ids.values() if service.kernel.in_scope(actor, service.cases.get(i))}  # type: ignore[arg-type]
    by_sql = service.kernel.visible_ids(actor, list(ids.values()))
    where, params = filter_sql(SearchFilters(scope=actor.scope))
    by_filter = {r[0] for r in service.db.query(f"SELECT id FROM cases WHERE {where}", params)}
    assert names(ids, by_python) == names(ids, by_sql) == names(ids, by_filter) == VISIBLE[who]


def test_may_write_puts_new_cases_only_within_the_scope() -> None:
    assert GZ.scope.may_write("广州市", None) and not GZ.scope.may_write("深圳市", None)
    assert not GZ.scope.may_write(None, None)
    assert DIVISION.scope.may_write("佛山市", "x") and not DIVISION.scope.may_write("东莞市", "x")
    assert DEPT.scope.may_write("东莞市", TRANSPORT) and not DEPT.scope.may_write("东莞市", "省教育厅")
    assert not ZHENGFA.scope.may_write("广州市", None)  # 政法 accounts follow flagged cases, register none
    assert PROVINCE.may_write(None, None)


# -- reads ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", list(ACCOUNTS))
def test_lists_search_and_facets_are_scoped(service: LeianService, ids: dict[str, int], who: str) -> None:
    actor = ACCOUNTS[who]
    items, total = service.list_cases(SearchFilters(), 100, 0, actor=actor)
    assert {c.external_no for c in items} == VISIBLE[who] and total == len(VISIBLE[who])
    for text in ("拖欠工资", "噪音油烟", "法院判决强制执行", "学位"):
        hits = service.search(text=text, k=20, actor=actor)
        assert {h.case.external_no for h in hits} <= VISIBLE[who], text
    counts = dict(service.cases.facet("city", actor.scope))
    assert sum(counts.values()) == len(VISIBLE[who])
    for ext in {r["external_no"] for r in ROWS} - VISIBLE[who]:
        with pytest.raises(NotFoundError):
            service.get_case(ids[ext], actor)
        with pytest.raises(NotFoundError):
            service.get_case_by_external(ext, actor)
        with pytest.raises(NotFoundError):
            service.search(case_id=ids[ext], actor=actor)


def test_asking_for_a_city_outside_the_scope_finds_nothing(service: LeianService, ids: dict[str, int]) -> None:
    items, total = service.list_cases(SearchFilters(cities=["深圳市"]), 100, 0, actor=GZ)
    assert items == [] and total == 0
    assert service.search(text="拖欠工资", filters=SearchFilters(cities=["深圳市"]), actor=GZ) == []
    items, _ = service.list_cases(SearchFilters(cities=["佛山市"]), 100, 0, actor=DIVISION)
    assert {c.external_no for c in items} == {"FS-1"}


def test_groups_and_the_pool_are_scoped(service: LeianService, ids: dict[str, int]) -> None:
    service.groups.discover(min_size=2)
    with pytest.raises(PermissionDeniedError, match="省级"):
        service.groups.discover(actor=replace(GZ, role="reviewer"))  # may write groups, but not province-wide
    for who in ("gz", "dept", "zhengfa"):
        actor = ACCOUNTS[who]
        seen: set[str] = set()
        for group in service.groups.list_groups(actor):
            members, total = service.groups.members(group.id, actor)
            assert total == group.size == len(members) > 0
            seen |= {c.external_no for c in members}
        pool, _ = service.groups.unassigned(actor, limit=100)
        seen |= {c.external_no for c in pool}
        assert seen == VISIBLE[who], who


def test_workflow_lists_are_scoped_and_mask_other_units_cases(service: LeianService, ids: dict[str, int]) -> None:
    tracked = {t["case_id"] for t in service.workflow.litigation_list()}
    assert ids["SZ-2"] in tracked
    assert service.workflow.litigation_list(actor=GZ) == []
    assert {t["case_id"] for t in service.workflow.litigation_list(actor=ZHENGFA)} == {ids["SZ-2"]}

    # GZ-1 repeats SZ-1: the 广州市 handler learns that, not which 深圳市 case it is.
    (link,) = [r for r in service.workflow.repeat_list(actor=GZ) if r["case_id"] == ids["GZ-1"]]
    assert link["other_id"] is None and link["other_external_no"] == "其他单位案件" and not link["other_visible"]
    assert all(r["case_id"] == ids["GZ-1"] for r in service.workflow.repeat_list(actor=GZ))
    (full,) = [r for r in service.workflow.repeat_list() if r["case_id"] == ids["GZ-1"]]
    assert full["other_id"] == ids["SZ-1"] and full["other_external_no"] == "SZ-1"
    for links in (service.workflow.links(ids["GZ-1"], GZ), service.workflow.case_workflow(ids["GZ-1"], GZ)["links"]):
        assert links and all(lk["other_id"] is None and lk["other_external_no"] == "其他单位案件" for lk in links)
        assert "SZ-1" not in repr(links) and str(ids["SZ-1"]) not in {str(lk["other_id"]) for lk in links}
    assert service.workflow.links(ids["GZ-1"])[0]["other_id"] == ids["SZ-1"]
    with pytest.raises(NotFoundError):
        service.workflow.links(ids["SZ-1"], GZ)
    with pytest.raises(NotFoundError):
        service.workflow.case_workflow(ids["SZ-1"], GZ)


def test_packages_and_reports_are_scoped(service: LeianService, ids: dict[str, int]) -> None:
    chosen = [ids["GZ-1"], ids["SZ-1"]]
    domains = sorted({c.category or c.department or "" for c in service.cases.get_many(chosen).values()})
    who = service.workflow.register_leader(name="张副省长", post="副省长", unit="省信访局", domains=domains)
    package = service.workflow.create_package(leader_id=who.id, case_ids=chosen)
    assert package.total == 2
    seen = service.workflow.package_progress(package.id, GZ)
    assert [c["id"] for c in seen.cases] == [ids["GZ-1"]] and seen.total == 1
    assert [p.id for p in service.workflow.package_list(actor=GZ)] == [package.id]
    assert service.workflow.package_list(actor=DEPT) == []
    with pytest.raises(NotFoundError):
        service.workflow.package_progress(package.id, DEPT)
    # DG-1 (东莞市, two departments) is a backlog candidate for the province and 省交通运输厅 only.
    assert ids["DG-1"] in {c.case_id for c in service.workflow.package_candidates()}
    assert ids["DG-1"] in {c.case_id for c in service.workflow.package_candidates(actor=DEPT)}
    candidates = service.workflow.package_candidates(actor=DIVISION)
    assert {c.city for c in candidates} <= {"广州市", "佛山市"} and ids["DG-1"] not in {c.case_id for c in candidates}

    import datetime as dt

    for who, actor in ACCOUNTS.items():
        report = service.workflow.period_report("city", dt.date(2025, 1, 1), dt.date(2025, 12, 31), actor=actor)
        assert report.total.received == len(VISIBLE[who]), who
    # Asking for a city outside the scope yields an empty report, not that city's figures.
    report = service.workflow.period_report("city", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "深圳市", actor=GZ)
    assert report.total.received == 0


def test_model_case_sources_must_be_in_scope(service: LeianService, ids: dict[str, int]) -> None:
    data = ModelCaseIn(title="欠薪化解", summary="经验", category="拖欠农民工工资", source_case_ids=[ids["SZ-1"]])
    with pytest.raises(InvalidInputError) as err:
        service.modelcases.create(data, GZ)
    assert err.value.problems[0].field == "source_case_ids"
    own = data.model_copy(update={"source_case_ids": [ids["GZ-1"]]})
    assert service.modelcases.create(own, GZ).data.source_case_ids == [ids["GZ-1"]]


# -- writes (issue 16) ------------------------------------------------------------------------------
def case_in(no: str, **values: Any) -> CaseIn:
    return CaseIn.model_validate({"external_no": no, "content": WAGES, "received_date": "2025-05-01", **values})


def test_a_bound_handler_cannot_create_outside_its_scope(service: LeianService, ids: dict[str, int]) -> None:
    with pytest.raises(InvalidInputError) as err:
        service.create_case(case_in("NEW-1", city="深圳市"), GZ)
    (problem,) = err.value.problems
    assert problem.field == "city" and "广州市" in problem.message and "深圳市" in problem.message
    with pytest.raises(InvalidInputError):
        service.create_case(case_in("NEW-2"), GZ)  # no city is not 广州市 either
    with pytest.raises(InvalidInputError) as err:
        service.create_case(case_in("NEW-3", city="东莞市", department="省教育厅"), DEPT)
    assert err.value.problems[0].field == "department"
    with pytest.raises(InvalidInputError):
        service.create_case(case_in("NEW-4", city="广州市"), replace(ZHENGFA, role="handler"))
    assert service.cases.get_by_external("NEW-1") is None
    assert service.create_case(case_in("NEW-5", city="广州市"), GZ).city == "广州市"
    assert service.create_case(case_in("NEW-6", city="佛山市"), replace(DIVISION, role="handler")).city == "佛山市"
    assert service.create_case(case_in("NEW-7", city="东莞市", department=TRANSPORT), DEPT).department == TRANSPORT


def test_a_bound_handler_cannot_overwrite_another_units_case(service: LeianService, ids: dict[str, int]) -> None:
    before = service.cases.get(ids["SZ-1"])
    # Posting the 深圳市 case's registry number as a 广州市 case.
    with pytest.raises(InvalidInputError) as err:
        service.create_case(case_in("SZ-1", city="广州市", title="改写", status="closed"), GZ)
    (problem,) = err.value.problems
    assert problem.field == "external_no" and problem.message == "登记编号已存在，且不属于本单位"
    assert "深圳" not in problem.message and "欠薪" not in problem.message
    assert service.cases.get(ids["SZ-1"]) == before
    # Its own case, re-posted within the scope, is still updated.
    updated = service.create_case(case_in("GZ-1", city="广州市", title="广州欠薪（补充）"), GZ)
    assert updated.id == ids["GZ-1"] and updated.title == "广州欠薪（补充）"


def test_an_import_with_another_units_row_is_refused_whole(service: LeianService, ids: dict[str, int]) -> None:
    count = service.cases.count()
    rows = [
        (1, case_in("IMP-1", city="广州市").model_dump(mode="json")),
        (2, case_in("SZ-2", city="广州市", title="改写").model_dump(mode="json")),
        (3, case_in("IMP-3", city="深圳市").model_dump(mode="json")),
        (4, case_in("GZ-1", city="深圳市").model_dump(mode="json")),  # moving its own case out
    ]
    with pytest.raises(InvalidInputError) as err:
        service.ingest(rows, actor=GZ)
    problems = {(p.row, p.field): p.message for p in err.value.problems}
    assert set(problems) == {(2, "external_no"), (3, "city"), (4, "city")}
    assert problems[(2, "external_no")] == "登记编号已存在，且不属于本单位"
    assert service.cases.count() == count and service.cases.get_by_external("IMP-1") is None
    assert service.cases.get(ids["GZ-1"]).city == "广州市"  # type: ignore[union-attr]
    assert service.ingest(rows[:1], actor=GZ).created == 1


def test_patch_cannot_move_a_case_out_of_scope(service: LeianService, ids: dict[str, int]) -> None:
    with pytest.raises(InvalidInputError) as err:
        service.update_case(ids["GZ-1"], CaseUpdate(city="深圳市"), GZ)
    assert err.value.problems[0].field == "city"
    assert service.cases.get(ids["GZ-1"]).city == "广州市"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        service.update_case(ids["SZ-1"], CaseUpdate(title="改写"), GZ)
    assert service.update_case(ids["GZ-1"], CaseUpdate(title="新标题"), GZ).title == "新标题"
    # A case assigned to the department stays visible to it whatever its lead department becomes.
    assert service.update_case(ids["DG-1"], CaseUpdate(status="in_progress"), DEPT).status == "in_progress"
    with pytest.raises(InvalidInputError) as err:
        service.update_case(ids["SZ-2"], CaseUpdate(department="省教育厅"), DEPT)
    assert err.value.problems[0].field == "department"


def test_delete_and_workflow_writes_need_the_case_in_scope(service: LeianService, ids: dict[str, int]) -> None:
    with pytest.raises(NotFoundError):
        service.delete_case(ids["SZ-1"], GZ)
    assert service.cases.get(ids["SZ-1"]) is not None
    with pytest.raises(NotFoundError):
        service.workflow.assign(ids["SZ-1"], locality="深圳市", departments=[], actor=GZ)
    assert not [a for a in service.workflow.assignments(ids["SZ-1"]) if a.active]
    with pytest.raises(NotFoundError):
        service.workflow.litigation_step(ids["SZ-2"], "handed_over", actor=GZ)
    assert service.workflow.litigation_track(ids["SZ-2"])["status"] == "flagged"  # nothing was written
    service.delete_case(ids["GZ-1"], GZ)
    assert service.cases.get(ids["GZ-1"]) is None


# -- accounts and the audit log ---------------------------------------------------------------------
def test_account_scopes_are_validated() -> None:
    assert account_scope(None, None) == (None, PROVINCE)
    assert account_scope("city", "广州市") == ("广州市", Scope.city_of("广州市"))
    assert account_scope(None, "督查一处", ["广州市", "佛山市"])[1] == Scope.cities_of({"广州市", "佛山市"}, "督查一处")
    for kind, unit, cities, field in (
        ("city", None, (), "unit"),
        ("cities", "督查一处", (), "cities"),
        ("department", None, (), "unit"),
        ("zhengfa", None, (), "unit"),
        ("department", TRANSPORT, ("广州市",), "cities"),
        ("region", "x", (), "scope"),
        ("city", "x" * 65, (), "unit"),
    ):
        with pytest.raises(InvalidInputError) as err:
            account_scope(kind, unit, cities)
        assert err.value.problems[0].field == field, (kind, unit)


def test_users_carry_their_scope_and_bound_admins_grant_only_within_it(service: LeianService) -> None:
    gz, _ = service.users.create("gz_admin", "admin", "Gz-admin-2026!", unit="广州市", scope="city")
    loaded = service.users.by_username("gz_admin")
    assert loaded == gz and loaded.scope == Scope.city_of("广州市") and loaded.unit == "广州市"
    div, _ = service.users.create("div1", "supervisor", None, unit="督查一处", cities=["广州市", "佛山市"])
    assert service.users.by_username("div1") == div and div.scope.kind == "cities"
    with pytest.raises(PermissionDeniedError):
        service.users.create("sz_h", "handler", None, unit="深圳市", scope="city", actor=gz)
    with pytest.raises(PermissionDeniedError):
        service.users.create("prov_h", "handler", None, actor=gz)
    assert service.users.create("gz_h", "handler", None, unit="广州市", scope="city", actor=gz)[0].scope == gz.scope


def test_a_city_bound_admin_reads_only_its_citys_audit_events(service: LeianService) -> None:
    gz_admin, _ = service.users.create("gz_admin", "admin", None, unit="广州市", scope="city")
    gz_user, _ = service.users.create("gz_user", "handler", None, unit="广州市", scope="city")
    sz_user, _ = service.users.create("sz_user", "handler", None, unit="深圳市", scope="city")
    jt_user, _ = service.users.create("jt_user", "handler", None, unit=TRANSPORT, scope="department")
    div_admin, _ = service.users.create("div_admin", "admin", None, unit="督查一处", cities=["广州市", "佛山市"])
    jt_admin, _ = service.users.create("jt_admin", "admin", None, unit=TRANSPORT, scope="department")
    for who in (gz_user, sz_user, jt_user, div_admin):
        service.audit.record(who, "cases.update", "case", 1)
    service.audit.record(None, "auth.login_failed", "user", "x", username="x")

    def readers(actor: Principal) -> set[str]:
        items, total = service.audit.query(AuditFilter(action="cases.update"), 1000, actor=actor)
        assert total == len(items)
        csv_text = "".join(service.audit.export_csv(AuditFilter(action="cases.update"), actor=actor))
        assert {i["username"] for i in items} == {
            u for u in ("gz_user", "sz_user", "jt_user", "div_admin") if u in csv_text
        }
        return {i["username"] for i in items}

    assert readers(gz_admin) == {"gz_user"}
    assert readers(div_admin) == {"gz_user", "div_admin"}
    assert readers(jt_admin) == {"jt_user"}
    assert readers(Principal(1, "root", "admin")) == {"gz_user", "sz_user", "jt_user", "div_admin"}
    failed, _ = service.audit.query(AuditFilter(action="auth.login_failed"), actor=gz_admin)
    assert failed == []
    with pytest.raises(PermissionDeniedError):
        service.audit.query(AuditFilter(), actor=gz_user)


def test_account_units_are_checked_against_the_catalog(service: LeianService) -> None:
    with pytest.raises(InvalidInputError) as err:
        service.users.create("mars", "handler", None, unit="火星市", scope="city")
    (problem,) = err.value.problems
    assert problem.field == "unit" and "火星市" in problem.message
    with pytest.raises(InvalidInputError) as err:
        service.users.create("dept_as_city", "handler", None, unit=TRANSPORT, scope="city")
    assert err.value.problems[0].field == "unit"
    # An alias gives the canonical unit; a district's account sees its city.
    district, _ = service.users.create("yx", "handler", None, unit="越秀区", scope="city")
    assert district.unit == "越秀区" and district.scope == Scope.city_of("广州市", "越秀区")
    # A supervision division covers its own cities unless others are listed.
    division, _ = service.users.create("d1", "supervisor", None, unit="督查三处", scope="cities")
    assert division.unit == "省信访局督查三处" and division.scope.cities == {"湛江市", "茂名市", "阳江市"}
    with pytest.raises(InvalidInputError) as err:
        service.users.create("d2", "supervisor", None, unit="督查三处", cities=["广州", "不存在市"])
    assert err.value.problems[0].field == "cities"
    zf, _ = service.users.create("zf1", "supervisor", None, unit="政法委", scope="zhengfa")
    assert zf.scope == Scope.zhengfa_of("省委政法委")


def test_group_history_and_decisions_name_only_the_actors_cases(service: LeianService, ids: dict[str, int]) -> None:
    service.groups.discover(min_size=2)
    wages = {ids["GZ-1"], ids["SZ-1"]}
    (gid,) = [g.id for g in service.groups.list_groups() if wages <= set(service.groups.repo.member_ids(g.id))]
    service.groups.start_batch(gid, "省人社厅", "按欠薪保障金先行垫付")
    service.groups.decide(gid, "统一按政策补发", "resolved", token=service.groups.preview(gid, "resolved").token)

    (full,) = service.groups.decisions(gid)
    assert {c["case_id"] for c in full["cases"]} >= wages and full["n_cases"] == len(full["cases"])
    (mine,) = service.groups.decisions(gid, actor=GZ)
    assert [c["case_id"] for c in mine["cases"]] == [ids["GZ-1"]] and mine["n_cases"] == 1
    with pytest.raises(NotFoundError):
        service.groups.decisions(gid, actor=DEPT)  # none of the group's cases is the department's

    # A reviewer's edit naming another unit's case: the province reads the id, 广州市 does not.
    service.groups.lock(gid, False)
    service.groups.move(ids["SZ-1"], None)
    service.groups.move(ids["SZ-1"], gid)
    edits = service.groups.profile(gid)["history"]["edits"]
    assert ids["SZ-1"] in {e["detail"].get("case_id") for e in edits}
    scoped = service.groups.profile(gid, actor=GZ)["history"]["edits"]
    assert len(scoped) == len(edits) and ids["SZ-1"] not in {e["detail"].get("case_id") for e in scoped}
