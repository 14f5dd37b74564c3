"""领导包案 on real storage: the leader register, the review's bugs (the same cases to two leaders, a
resolved case accepted, a 住建 leader given 交通 cases), the open-package quota, difficulty ranking
with reasons, plan / milestones / deadline / status, and the leader's progress report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.domain import CaseUpdate, Status
from kb.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.service import LeianService
from kb.workflow.packages import Leader
from tests.handling_helpers import account, clocked_service, ingest

HOUSING = "小区开发商逾期两年未交房，业主多次找住建部门无果，请求督促开发商尽快交房并赔偿违约金。"
ROADS = "村道年久失修，雨季积水严重，学生上学不便，请求交通运输部门安排修缮。"
START = dt.date(2026, 6, 1)


def case(no: str, content: str, day: str, **extra: object) -> dict[str, object]:
    return {"external_no": no, "title": "", "content": content, "received_date": day, **extra}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def service(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> Iterator[LeianService]:
    svc = clocked_service(tmp_path, segmenter, clock)
    yield svc
    svc.close()


@pytest.fixture
def housing(service: LeianService) -> list[int]:
    return ingest(
        service,
        *[case(f"H{i}", HOUSING + f"（第{i}栋）", f"2025-0{1 + i % 5}-10", category="住房建设") for i in range(8)],
        case("T1", ROADS, "2025-02-01", category="交通运输"),
    )


def leaders(service: LeianService) -> tuple[Leader, Leader, Leader]:
    wf = service.workflow
    a = wf.register_leader(name="王建华", post="副厅长", unit="省住建厅", domains=["住房建设"])
    b = wf.register_leader(name="陈立", post="副厅长", unit="省住房城乡建设厅", domains=["住房建设", "城乡规划"])
    c = wf.register_leader(name="林涛", post="副厅长", unit="省交通运输厅", domains=["交通运输"])
    return a, b, c


def test_register_names_a_catalog_unit_and_domains(service: LeianService) -> None:
    a, _, c = leaders(service)
    assert a.unit == "省住房城乡建设厅"  # the alias 省住建厅 is stored as the catalog name
    assert a.domains == ["住房建设"] and a.open_packages == 0
    with pytest.raises(InvalidInputError, match="unit"):
        service.workflow.register_leader(name="赵", post="局长", unit="省不存在厅", domains=["住房建设"])
    with pytest.raises(InvalidInputError, match="分管领域"):
        service.workflow.register_leader(name="赵", post="局长", unit="省教育厅", domains=[" "])
    with pytest.raises(ConflictError, match="已在名册中"):
        service.workflow.register_leader(name="林涛", post="厅长", unit="省交通运输厅", domains=["交通运输"])
    assert [ld.name for ld in service.workflow.leaders()] == ["王建华", "陈立", "林涛"]
    assert c.id != a.id


def test_the_same_cases_cannot_go_to_two_leaders(service: LeianService, housing: list[int]) -> None:
    """The review's bug: cases 98, 140, 211 went to two leaders."""
    a, b, _ = leaders(service)
    first = service.workflow.create_package(leader_id=a.id, case_ids=housing[:3])
    assert first.total == 3
    with pytest.raises(InvalidInputError) as err:
        service.workflow.create_package(leader_id=b.id, case_ids=[housing[2], housing[3]])
    assert "案件 H2 已由王建华包案" in str(err.value) and "一件案件只能在一个未办结包案中" in str(err.value)
    assert len(service.workflow.package_list(leader_id=b.id)) == 0  # nothing half-written
    # Automatic selection for the second leader skips the cases of the first leader's open package.
    second = service.workflow.create_package(leader_id=b.id, limit=3)
    assert not {c["id"] for c in second.cases} & {c["id"] for c in first.cases}


def test_a_resolved_or_closed_case_is_refused(service: LeianService, housing: list[int]) -> None:
    """The review's bug: a resolved case was accepted."""
    a, _, _ = leaders(service)
    service.update_case(housing[0], CaseUpdate(status=Status.resolved))
    service.update_case(housing[1], CaseUpdate(status=Status.closed))
    with pytest.raises(InvalidInputError) as err:
        service.workflow.create_package(leader_id=a.id, case_ids=housing[:3])
    message = str(err.value)
    assert "案件 H0 状态为已化解" in message and "案件 H1 状态为已办结" in message and "H2" not in message
    assert service.workflow.package_list() == []


def test_a_leader_gets_only_cases_of_their_domains(service: LeianService, housing: list[int]) -> None:
    """The review's bug: a 住建 leader got 交通 cases."""
    a, _, c = leaders(service)
    roads = housing[-1]
    with pytest.raises(InvalidInputError, match="类别“交通运输”不在该领导分管领域（住房建设）内"):
        service.workflow.create_package(leader_id=a.id, case_ids=[housing[0], roads])
    ranked = service.workflow.package_candidates(leader_id=a.id, as_of=START, limit=50)
    assert roads not in [x.case_id for x in ranked] and len(ranked) == 8
    made = service.workflow.create_package(leader_id=c.id)
    assert [x["id"] for x in made.cases] == [roads]


def test_at_most_three_open_packages_per_leader(service: LeianService, housing: list[int]) -> None:
    a, _, _ = leaders(service)
    for i in range(3):
        service.workflow.create_package(leader_id=a.id, case_ids=[housing[i]])
    with pytest.raises(ConflictError, match="王建华已有 3 个未办结包案，每位领导最多同时包案 3 个"):
        service.workflow.create_package(leader_id=a.id, case_ids=[housing[3]])
    # Ending one frees a place; the case of a withdrawn package may be packaged again.
    first = service.workflow.package_list(leader_id=a.id)[0]
    with pytest.raises(InvalidInputError, match="撤销理由不能为空"):
        service.workflow.end_package(first.id, "withdrawn")
    service.workflow.end_package(first.id, "withdrawn", "领导工作调整")
    again = service.workflow.create_package(leader_id=a.id, case_ids=[housing[0], housing[3]])
    assert again.total == 2
    with pytest.raises(ConflictError, match="最多同时包案 3 个"):
        service.workflow.create_package(leader_id=a.id, case_ids=[housing[4]])


def test_the_quota_is_a_setting(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> None:
    from indexing.encoders.hashing import HashingEncoder
    from tests.conftest import make_settings

    svc = LeianService(
        make_settings(tmp_path).with_(package_max_open=1), encoder=HashingEncoder(), segmenter=segmenter, clock=clock
    )
    try:
        ids = ingest(
            svc,
            case("Q1", HOUSING, "2025-01-01", category="住房建设"),
            case("Q2", HOUSING + "再次", "2025-01-02", category="住房建设"),
        )
        who = svc.workflow.register_leader(name="王建华", post="副厅长", unit="省住建厅", domains=["住房建设"])
        svc.workflow.create_package(leader_id=who.id, case_ids=[ids[0]])
        with pytest.raises(ConflictError, match="最多同时包案 1 个"):
            svc.workflow.create_package(leader_id=who.id, case_ids=[ids[1]])
    finally:
        svc.close()


def test_candidates_are_ranked_by_difficulty_with_reasons(service: LeianService) -> None:
    old, crowd, sued, plain = ingest(
        service,
        case("D1", HOUSING, "2025-01-10", category="住房建设"),
        case("D2", HOUSING + "（全体业主）", "2026-03-01", category="住房建设", participants=30),
        case("D3", "法院判决开发商退还房款，开发商拒不执行，申请强制执行无果。", "2026-03-01", category="住房建设"),
        case("D4", HOUSING + "（简单）", "2026-05-20", category="住房建设"),
    )
    ranked = service.workflow.package_candidates(domain="住房建设", as_of=START, limit=10)
    by_id = {c.case_id: c for c in ranked}
    assert "长期未结（507 天）" in by_id[old].reasons
    assert "群体信访（30 人）" in by_id[crowd].reasons
    assert by_id[sued].litigation and "涉法涉诉" in by_id[sued].reasons
    assert plain not in by_id  # young, one petitioner, nothing hard about it
    # Three months of age plus a crowd of 30 outranks three months plus the litigation flag.
    assert by_id[crowd].score > by_id[sued].score
    assert ranked[0].case_id == old


def test_plan_milestones_deadline_and_conclusion(service: LeianService, housing: list[int], clock: FixedClock) -> None:
    a, _, _ = leaders(service)
    with pytest.raises(InvalidInputError, match="包案期限 2026-05-01 早于今天"):
        service.workflow.create_package(leader_id=a.id, case_ids=housing[:2], deadline=dt.date(2026, 5, 1))
    made = service.workflow.create_package(
        leader_id=a.id, case_ids=housing[:2], plan="约见业主代表，督促开发商制定交房方案", deadline=dt.date(2026, 8, 31)
    )
    assert made.status == "open" and made.status_label == "包案中" and made.deadline == "2026-08-31"
    made = service.workflow.add_milestone(made.id, "首次接访", dt.date(2026, 6, 10))
    made = service.workflow.add_milestone(made.id, "形成化解方案", dt.date(2026, 7, 15))
    first, _second = made.milestones
    clock.set(dt.date(2026, 6, 20))
    view = service.workflow.package_progress(made.id)
    assert view.milestones[0].overdue and not view.milestones[1].overdue
    view = service.workflow.complete_milestone(made.id, first.id, "已约见 12 名业主")
    assert view.milestones[0].done_date == "2026-06-20" and not view.milestones[0].overdue
    with pytest.raises(ConflictError, match="已于 2026-06-20 完成"):
        service.workflow.complete_milestone(made.id, first.id)
    with pytest.raises(NotFoundError):
        service.workflow.complete_milestone(made.id, 9999)
    with pytest.raises(ConflictError, match="尚有 2 件案件未办结"):
        service.workflow.end_package(made.id, "concluded")
    for cid in housing[:2]:
        service.update_case(cid, CaseUpdate(status=Status.resolved))
    done = service.workflow.end_package(made.id, "concluded")
    assert done.status_label == "已办结" and done.ended_at and done.ended_at.startswith("2026-06-20")
    with pytest.raises(ConflictError, match="已办结，不能再变更"):
        service.workflow.end_package(made.id, "withdrawn", "x")
    assert service.workflow.leaders()[0].open_packages == 0
    clock.set(dt.date(2026, 9, 5))
    assert not service.workflow.package_progress(made.id).overdue  # a concluded package is never overdue


def test_leader_progress_report(service: LeianService, housing: list[int], clock: FixedClock) -> None:
    a, b, _c = leaders(service)
    p = service.workflow.create_package(leader_id=a.id, case_ids=housing[:3], deadline=dt.date(2026, 6, 30))
    service.workflow.add_milestone(p.id, "首次接访", dt.date(2026, 6, 5))
    service.workflow.add_milestone(p.id, "方案", dt.date(2026, 6, 6))
    service.workflow.create_package(leader_id=b.id, case_ids=housing[3:5])
    clock.set(dt.date(2026, 6, 6))
    service.workflow.complete_milestone(p.id, service.workflow.package_progress(p.id).milestones[0].id)
    service.update_case(housing[0], CaseUpdate(status=Status.resolved, resolved_date=dt.date(2026, 6, 6)))
    clock.set(dt.date(2026, 7, 2))
    start, end, rows = service.workflow.leader_report(dt.date(2026, 6, 1), dt.date(2026, 7, 2))
    assert (start, end) == (dt.date(2026, 6, 1), dt.date(2026, 7, 2))
    by = {r.leader: r for r in rows}
    assert set(by) == {"王建华", "陈立", "林涛"}
    w = by["王建华"]
    assert (w.packages_open, w.cases, w.cases_concluded, w.concluded_in_period) == (1, 3, 1, 1)
    assert (w.milestones_due, w.milestones_done, w.milestones_overdue, w.packages_overdue) == (2, 1, 1, 1)
    assert w.conclusion_rate == round(1 / 3, 4)
    assert by["林涛"].cases == 0 and by["陈立"].cases == 2


def test_scoped_and_permitted(service: LeianService, housing: list[int]) -> None:
    a, _, _ = leaders(service)
    analyst = account(service, "ana", "analyst", None)
    with pytest.raises(PermissionDeniedError):
        service.workflow.create_package(leader_id=a.id, case_ids=housing[:1], actor=analyst)
    with pytest.raises(PermissionDeniedError):
        service.workflow.register_leader(name="x", post="y", unit="省教育厅", domains=["教育"], actor=analyst)
    made = service.workflow.create_package(leader_id=a.id, case_ids=housing[:1])
    gz = account(service, "gz", "handler", "广州市")
    with pytest.raises(NotFoundError):
        service.workflow.package_progress(made.id, gz)  # its case is outside 广州市
