"""Dual assignment v2 on real storage: units checked, the locality's scope, who may re-assign, 签收 /
退回 / 答复 by the assigned unit only, handlers, queues, workload, the inbox and the history.

Each authorization rule has a test calling as the wrong unit: it fails if the check is removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.service import LeianService
from kb.users import Principal
from tests.handling_helpers import START, account, clocked_service, ingest, row

WAGES = "某物流公司拖欠货车司机运费三个月，共计五万元，多次讨要无果，请求交通运输部门督促平台支付运费。"
ROADS = "村道年久失修，雨季积水严重，学生上学不便，请求交通运输部门安排修缮。"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def service(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> Iterator[LeianService]:
    svc = clocked_service(tmp_path, segmenter, clock)
    yield svc
    svc.close()


@pytest.fixture
def people(service: LeianService) -> dict[str, Principal]:
    return {
        "gz": account(service, "gz_handler", "handler", "广州市"),
        "gz2": account(service, "gz_handler2", "handler", "广州市"),
        "gz_analyst": account(service, "gz_analyst", "analyst", "广州市"),
        "fs": account(service, "fs_handler", "handler", "佛山市"),
        "transport": account(service, "jt_officer", "handler", "省交通运输厅"),
        "hrss": account(service, "rs_officer", "handler", "省人力资源社会保障厅"),
        "province": account(service, "prov_handler", "handler", None),
        "supervisor": account(service, "prov_supervisor", "supervisor", None),
    }


def of(service: LeianService, case_id: int, unit: str) -> int:
    """The id of the case's active assignment to ``unit``."""
    return next(a.id for a in service.assignments.history(case_id) if a.active and a.unit == unit)


def dual(service: LeianService, case_id: int) -> tuple[int, int]:
    service.assignments.assign(case_id, locality="广州市", departments=["省交通运输厅"])
    return of(service, case_id, "广州市"), of(service, case_id, "省交通运输厅")


# -- units and the locality's scope ------------------------------------------------------------------------
def test_locality_assignment_puts_the_case_in_that_citys_scope(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    (cid,) = ingest(service, row("A1", WAGES))  # registered at the province, no city yet
    with pytest.raises(NotFoundError):
        service.get_case(cid, people["gz"])  # was the bug: 404 on the case just given to 广州市
    done = service.assignments.assign(cid, locality="广州", departments=["省交通运输厅"])
    assert {(a.kind, a.unit, a.lead, a.status) for a in done} == {
        ("locality", "广州市", False, "pending_sign"),  # the alias 广州 is stored by its canonical name
        ("department", "省交通运输厅", True, "pending_sign"),
    }
    case = service.get_case(cid, people["gz"])
    assert (case.city, case.department) == ("广州市", "省交通运输厅")
    assert all(a.sign_due == (START + dt.timedelta(days=service.settings.sign_days)).isoformat() for a in done)
    with pytest.raises(NotFoundError):
        service.get_case(cid, people["fs"])

    service.assignments.assign(cid, locality="越秀区", actor=people["supervisor"])
    case = service.get_case(cid, people["gz"])
    assert (case.city, case.district) == ("广州市", "越秀区")  # a district's case is its city's too
    service.assignments.assign(cid, locality="佛山市", actor=people["supervisor"])
    case = service.get_case(cid)
    assert (case.city, case.district) == ("佛山市", None)  # 越秀区 is not in 佛山市
    with pytest.raises(NotFoundError):
        service.get_case(cid, people["gz"])


def test_unknown_units_are_refused_with_the_closest_known_ones(service: LeianService) -> None:
    (cid,) = ingest(service, row("A2", WAGES, city="广州市"))
    with pytest.raises(InvalidInputError) as refused:
        service.assignments.assign(cid, locality="火星市", departments=["不存在的厅"])
    fields = {p.field: p.message for p in refused.value.problems}
    assert set(fields) == {"locality", "departments"}
    assert "火星市" in fields["locality"] and "最接近" in fields["locality"]
    assert "不存在的厅" in fields["departments"]
    with pytest.raises(InvalidInputError) as wrong_kind:
        service.assignments.assign(cid, locality="省交通运输厅")  # a department is no locality
    assert wrong_kind.value.problems[0].field == "locality"
    with pytest.raises(InvalidInputError) as lead:
        service.assignments.assign(cid, departments=["省交通运输厅", "省公安厅"])
    assert lead.value.problems[0].field == "lead"
    assert service.assignments.history(cid) == []  # nothing was written
    assert service.get_case(cid).department is None


# -- who may re-assign ---------------------------------------------------------------------------------------
def test_a_city_handler_cannot_pass_its_case_to_another_city(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    (cid,) = ingest(service, row("B1", WAGES))
    dual(service, cid)
    with pytest.raises(PermissionDeniedError) as refused:
        service.assignments.assign(cid, locality="佛山市", actor=people["gz"])
    assert "只有交办单位或督查督办人员可以重新交办" in refused.value.message
    with pytest.raises(PermissionDeniedError):  # adding a department is re-assigning too
        service.assignments.assign(cid, departments=["省公安厅"], actor=people["gz"])
    assert service.get_case(cid).city == "广州市"
    assert {a.unit for a in service.assignments.history(cid) if a.active} == {"广州市", "省交通运输厅"}

    # The assigning level (here the province) and a supervisor may.
    service.assignments.assign(cid, locality="佛山市", actor=people["supervisor"])
    history = service.assignments.history(cid)
    ended = next(a for a in history if a.unit == "广州市")
    assert not ended.active and ended.ended_by == "prov_supervisor"
    assert {a.unit for a in history if a.active} == {"佛山市", "省交通运输厅"}


def test_a_city_assigns_on_its_own_only_inside_its_area(service: LeianService, people: dict[str, Principal]) -> None:
    (cid,) = ingest(service, row("B2", WAGES, city="广州市"))  # a case 广州市 registered itself
    with pytest.raises(PermissionDeniedError) as dept:
        service.assignments.assign(cid, departments=["省交通运输厅"], actor=people["gz"])
    assert "省交通运输厅" in dept.value.message
    with pytest.raises(PermissionDeniedError):
        service.assignments.assign(cid, locality="佛山市", actor=people["gz"])
    done = service.assignments.assign(cid, locality="天河区", actor=people["gz"])
    assert [(a.unit, a.assigned_by_unit) for a in done] == [("天河区", "广州市")]
    # Its own assignment, it may change; the province's, it may not (previous test).
    service.assignments.assign(cid, locality="越秀区", actor=people["gz"])
    assert {a.unit for a in service.assignments.history(cid) if a.active} == {"越秀区"}


# -- 签收 / 退回 / 答复 -----------------------------------------------------------------------------------------
def test_only_the_assigned_unit_signs_returns_and_answers(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    (cid,) = ingest(service, row("C1", WAGES))
    locality, department = dual(service, cid)
    with pytest.raises(NotFoundError):
        service.assignments.sign(locality, people["fs"])  # 佛山市 cannot even see the case
    for wrong in (people["province"], people["transport"], people["hrss"]):
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            service.assignments.sign(locality, wrong)
    with pytest.raises(PermissionDeniedError) as refused:
        service.assignments.sign(locality, people["transport"])  # sees the case, but is not 广州市
    assert "只有广州市的账号可以签收" in refused.value.message
    with pytest.raises(PermissionDeniedError):
        service.assignments.return_assignment(department, "不属本部门职责", people["gz"])
    with pytest.raises(PermissionDeniedError):
        service.assignments.sign(locality, people["gz_analyst"])  # right unit, but a read-only role
    with pytest.raises(ConflictError) as early:
        service.assignments.answer(locality, "已协调支付", True, people["gz"])
    assert "当前可进行：签收、退回" in early.value.message

    signed = service.assignments.sign(locality, people["gz"])
    assert (signed.status, signed.signed_by, signed.handler) == ("signed", "gz_handler", "gz_handler")
    with pytest.raises(ConflictError) as twice:
        service.assignments.sign(locality, people["gz2"])
    assert "当前可进行：答复" in twice.value.message
    with pytest.raises(PermissionDeniedError):
        service.assignments.answer(locality, "已协调支付", True, people["transport"])
    with pytest.raises(InvalidInputError) as no_outcome:
        service.assignments.answer(locality, "已协调支付", None, people["gz"])
    assert no_outcome.value.problems[0].field == "resolved"
    answered = service.assignments.answer(locality, "已协调平台支付运费", True, people["gz2"])
    assert (answered.outcome_text, answered.resolved, answered.answered_by) == (
        "已协调平台支付运费",
        True,
        "gz_handler2",
    )

    with pytest.raises(InvalidInputError) as no_reason:
        service.assignments.return_assignment(department, "  ", people["transport"])
    assert no_reason.value.problems[0].field == "reason"
    returned = service.assignments.return_assignment(department, "运费纠纷属商务部门职责", people["transport"])
    assert (returned.status, returned.return_reason, returned.active) == ("returned", "运费纠纷属商务部门职责", True)
    with pytest.raises(ConflictError):
        service.assignments.sign(department, people["transport"])


def test_a_department_answers_with_guidance_and_the_lead_sees_every_record(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    (cid,) = ingest(service, row("C2", WAGES))
    service.assignments.assign(
        cid, locality="广州市", departments=["省交通运输厅", "省人力资源社会保障厅"], lead="省交通运输厅"
    )
    hrss = of(service, cid, "省人力资源社会保障厅")
    service.assignments.sign(hrss, people["hrss"])
    with pytest.raises(InvalidInputError):
        service.assignments.answer(hrss, "按欠薪处理", True, people["hrss"])  # guidance has no 是否化解
    service.assignments.answer(hrss, "参照欠薪治理办法，督促平台先行垫付", None, people["hrss"])
    view = service.workflow.case_workflow(cid, people["transport"])  # the lead department's handler
    records = {a.unit: a for a in view["assignments"]}
    assert records["省人力资源社会保障厅"].guidance == "参照欠薪治理办法，督促平台先行垫付"
    assert records["省交通运输厅"].lead and records["广州市"].status == "pending_sign"


def test_a_returned_assignment_goes_back_to_the_assigning_unit_until_reassigned(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    (cid,) = ingest(service, row("C3", ROADS))
    service.assignments.assign(cid, locality="广州市", departments=["省交通运输厅"], actor=people["province"])
    department = of(service, cid, "省交通运输厅")
    clock.advance(hours=2)
    service.assignments.return_assignment(department, "村道养护属属地职责", people["transport"])
    back = [i for i in service.inbox.items(people["province"]) if i.kind == "returned"]
    assert [(i.case_id, i.unit) for i in back] == [(cid, "省交通运输厅")] and "村道养护属属地职责" in back[0].detail
    assert [i for i in service.inbox.items(people["gz"]) if i.kind == "returned"] == []  # 广州市 did not assign it
    # Re-assignment ends the returned one; the same unit assigned again starts a fresh 签收.
    service.assignments.assign(cid, departments=["省交通运输厅"], actor=people["province"])
    rows = [a for a in service.assignments.history(cid) if a.unit == "省交通运输厅"]
    assert [(a.status, a.active) for a in rows] == [("returned", False), ("pending_sign", True)]
    assert [i for i in service.inbox.items(people["province"]) if i.kind == "returned"] == []


# -- department scope -----------------------------------------------------------------------------------------
def test_the_department_account_sees_its_assigned_cases_across_cities(
    service: LeianService, people: dict[str, Principal]
) -> None:
    gz, sz, other = ingest(
        service, row("D1", WAGES, city="广州市"), row("D2", ROADS, city="深圳市"), row("D3", ROADS, city="佛山市")
    )
    service.assignments.assign(gz, departments=["省交通运输厅"])
    service.assignments.assign(sz, departments=["省交通运输厅", "省公安厅"], lead="省公安厅")
    officer = people["transport"]
    assert {service.get_case(i, officer).id for i in (gz, sz)} == {gz, sz}
    with pytest.raises(NotFoundError):
        service.get_case(other, officer)
    pending = service.assignments.queue(officer).pending_sign
    assert {(q.case_id, q.city) for q in pending} == {(gz, "广州市"), (sz, "深圳市")}


# -- handlers -----------------------------------------------------------------------------------------------
def test_hand_over_stays_inside_the_unit(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    (cid,) = ingest(service, row("E1", WAGES))
    locality, _ = dual(service, cid)
    service.assignments.sign(locality, people["gz"])
    with pytest.raises(InvalidInputError) as outsider:
        service.assignments.set_handler(cid, "fs_handler", actor=people["gz"])
    assert "不属于广州市" in outsider.value.problems[0].message
    with pytest.raises(InvalidInputError):
        service.assignments.set_handler(cid, "gz_analyst", actor=people["gz"])  # a read-only role handles nothing
    with pytest.raises(PermissionDeniedError):
        service.assignments.set_handler(cid, "gz_handler2", unit="广州市", actor=people["transport"])
    with pytest.raises(NotFoundError):
        service.assignments.set_handler(cid, "gz_handler2", unit="广州市", actor=people["fs"])
    handlers = service.assignments.set_handler(cid, "gz_handler2", actor=people["gz"])
    assert [(h.unit, h.username, h.by) for h in handlers] == [("广州市", "gz_handler2", "gz_handler")]
    assert [q.case_id for q in service.assignments.queue(people["gz2"]).todo] == [cid]
    assert service.assignments.queue(people["gz"]).todo == []
    # A unit that returned its assignment no longer handles the case, though it still sees it.
    service.assignments.return_assignment(of(service, cid, "省交通运输厅"), "不属本厅职责", people["transport"])
    with pytest.raises(ConflictError) as returned:
        service.assignments.set_handler(cid, "jt_officer", actor=people["transport"])
    assert "本案未交办省交通运输厅办理" in returned.value.message


# -- queues, deadlines, inbox ---------------------------------------------------------------------------------
def test_queues_follow_the_sign_deadline(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    first, second = ingest(service, row("F1", WAGES), row("F2", ROADS))
    dual(service, first)
    clock.advance(days=1)
    dual(service, second)
    queue = service.assignments.queue(people["gz"])
    assert [q.case_id for q in queue.pending_sign] == [first, second]  # soonest deadline first
    assert queue.near_due == queue.overdue == [] and queue.todo == []
    clock.advance(days=2)  # first is due today, second tomorrow
    queue = service.assignments.queue(people["gz"])
    assert {q.case_id for q in queue.near_due} == {first, second} and queue.overdue == []
    clock.advance(days=1)
    queue = service.assignments.queue(people["gz"])
    assert [q.case_id for q in queue.overdue] == [first] and [q.case_id for q in queue.near_due] == [second]
    assert queue.counts == {"pending_sign": 2, "todo": 0, "near_due": 1, "overdue": 1}
    service.assignments.sign(of(service, first, "广州市"), people["gz"])
    queue = service.assignments.queue(people["gz"])
    assert [q.case_id for q in queue.pending_sign] == [second]
    assert [(q.case_id, q.kind) for q in queue.todo] == [(first, "case")]
    assert service.assignments.queue(people["fs"]).counts == {"pending_sign": 0, "todo": 0, "near_due": 0, "overdue": 0}


def test_handled_cases_fall_due_by_their_lifecycle_deadline(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    (cid,) = ingest(service, row("F3", WAGES))  # received 2026-11-30: to be accepted by 12-15
    locality, _ = dual(service, cid)
    service.assignments.sign(locality, people["gz"])
    due = service.get_case(cid).due_date
    assert due == "2026-12-15"
    clock.set(dt.date(2026, 12, 15) - dt.timedelta(days=service.settings.near_due_days))
    queue = service.assignments.queue(people["gz"])
    assert [(q.case_id, q.deadline_label, q.deadline) for q in queue.near_due] == [(cid, "办理期限", due)]
    near = [i for i in service.inbox.items(people["gz"]) if i.kind == "near_due"]
    assert [i.key for i in near] == [f"near_due:case:{cid}:广州市:{due}"]
    clock.set(dt.date(2026, 12, 16))
    queue = service.assignments.queue(people["gz"])
    assert [q.case_id for q in queue.overdue] == [cid] and queue.near_due == []
    assert {u.username: u.overdue for u in service.assignments.workload("user").users} == {"gz_handler": 1}
    service.lifecycle.transition(cid, "accept", actor=people["gz"])  # accepted late: 60 days to reply
    queue = service.assignments.queue(people["gz"])
    assert queue.overdue == [] and queue.todo[0].deadline == service.get_case(cid).due_date


def test_inbox_lists_my_units_items_with_unread_counts(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    (cid,) = ingest(service, row("G1", WAGES, petitioner_name="王五"))
    service.assignments.assign(cid, locality="广州市", departments=["省交通运输厅"])
    summary = service.inbox.summary(people["gz"])
    assert (summary.unread, summary.by_kind) == (1, {"sign": 1})
    (item,) = service.inbox.items(people["gz"])
    assert (item.kind, item.kind_label, item.case_id, item.unit, item.read) == ("sign", "待签收", cid, "广州市", False)
    assert service.inbox.summary(people["gz2"]).unread == 1  # every account of the unit
    assert service.inbox.summary(people["fs"]).unread == 0
    assert service.inbox.mark_read(people["gz"], [item.key, "sign:999999"]) == 1  # another's key is skipped
    assert service.inbox.summary(people["gz"]).unread == 0
    assert service.inbox.summary(people["gz2"]).unread == 1  # reads are per user
    clock.advance(days=service.settings.sign_days + 1)
    kinds = {i.kind: i for i in service.inbox.items(people["gz"])}
    assert set(kinds) == {"sign", "overdue"} and kinds["sign"].read and not kinds["overdue"].read
    assert service.inbox.summary(people["transport"]).by_kind == {"sign": 1, "overdue": 1}


def test_inbox_sources_plug_in_and_titles_are_masked(service: LeianService, people: dict[str, Principal]) -> None:
    from kb.workflow.inbox import InboxItem

    (cid,) = ingest(service, row("G2", "反映人王小明，电话13812345678，" + WAGES, petitioner_name="王小明"))
    service.assignments.assign(cid, locality="广州市")
    (item,) = service.inbox.items(people["gz"])
    assert "13812345678" not in item.title and "王小明" not in item.title

    def reminders(actor: Principal) -> list[InboxItem]:
        return [InboxItem("reminder:1", "reminder", "催办", cid, "催办", "广州市", "2026-12-01T09:00:00+08:00")]

    service.inbox.add_source(reminders)
    assert service.inbox.summary(people["gz"]).by_kind == {"sign": 1, "reminder": 1}


# -- workload and history --------------------------------------------------------------------------------------
def test_workload_per_unit_and_per_user_is_scoped(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    gz_case, fs_case = ingest(service, row("H1", WAGES), row("H2", ROADS))
    locality, _ = dual(service, gz_case)
    service.assignments.assign(fs_case, locality="佛山市", departments=["省交通运输厅"])
    service.assignments.sign(locality, people["gz"])
    units = {(u.unit, u.kind): u for u in service.assignments.workload("unit").units}
    assert units[("省交通运输厅", "department")].pending_sign == 2
    assert (units[("广州市", "locality")].signed, units[("佛山市", "locality")].pending_sign) == (1, 1)
    mine = {u.unit for u in service.assignments.workload("unit", people["gz"]).units}
    assert mine == {"广州市", "省交通运输厅"}  # only the cases 广州市 sees
    users = service.assignments.workload("user", people["gz"]).users
    assert [(u.username, u.unit, u.open_cases) for u in users] == [("gz_handler", "广州市", 1)]
    with pytest.raises(InvalidInputError):
        service.assignments.workload("city")


def test_every_change_is_kept_in_the_history_with_who_and_when(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    (cid,) = ingest(service, row("K1", WAGES))
    locality, department = dual(service, cid)
    clock.advance(hours=1)
    service.assignments.sign(locality, people["gz"])
    clock.advance(hours=1)
    service.assignments.return_assignment(department, "不属本部门职责", people["transport"])
    clock.advance(hours=1)
    service.assignments.answer(locality, "已调解", False, people["gz"])
    service.assignments.set_handler(cid, "gz_handler2", actor=people["gz"])
    service.assignments.assign(cid, departments=["省人力资源社会保障厅"], actor=people["supervisor"])
    events = service.assignments.events(cid, people["gz"])
    seen: list[tuple[Any, ...]] = [(e.action, e.unit, e.actor) for e in events]
    assert seen == [
        ("assigned", "省交通运输厅", "system"),
        ("assigned", "广州市", "system"),
        ("signed", "广州市", "gz_handler"),
        ("handler", "广州市", "gz_handler"),
        ("returned", "省交通运输厅", "jt_officer"),
        ("answered", "广州市", "gz_handler"),
        ("handler", "广州市", "gz_handler"),
        ("ended", "省交通运输厅", "prov_supervisor"),
        ("assigned", "省人力资源社会保障厅", "prov_supervisor"),
    ]
    at = [e.at for e in events]
    assert at == sorted(at) and at[0].startswith(START.isoformat()) and at[2] > at[0]
    assert events[4].detail == "不属本部门职责" and events[5].detail == "化解情况（未化解）：已调解"
    assert events[2].actor_unit == "广州市" and events[0].actor_unit is None


# -- upgrade ---------------------------------------------------------------------------------------------------
def test_assignments_made_before_the_upgrade_await_signing_without_a_deadline(tmp_path: Path) -> None:
    """Migration 11 on a database written by release a17accf: old assignments keep every field and
    start as 待签收 without a deadline (nothing is back-dated); the history starts empty."""
    from tests.kb.storage.test_upgrade import load_fixture, open_service

    load_fixture(tmp_path / "data")
    svc = open_service(tmp_path / "data")
    try:
        case_ids = {int(r[0]) for r in svc.db.query("SELECT case_id FROM case_assignments")}
        assert case_ids
        for cid in case_ids:
            rows = svc.assignments.history(cid)
            assert rows and all(a.sign_due is None and a.signed_by is None for a in rows)
            assert {a.status for a in rows if a.active} == {"pending_sign"}
            assert svc.assignments.events(cid) == []
        assert svc.assignments.workload("unit").units
    finally:
        svc.close()


# -- a concluded case leaves the 待签收 queues ---------------------------------------------------------------
def test_pending_sign_assignments_close_when_the_case_is_concluded(
    service: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    """Issue 18: a 待签收 dual assignment stayed in the queues after its case was concluded. Resolved by
    an edit, by a previewed batch decision, or 依法终结 through the 诉访分离 hand-over: the assignment is
    closed (ended by the system, with the reason and the time, kept in the history), not deleted; a
    signed one is untouched; an open case keeps its 待签收 row."""
    from kb.domain import CaseUpdate, Status

    court = account(service, "gz_court", "handler", "广州市中级人民法院")
    litigation = "本人与某公司劳动争议一案，法院作出生效判决后申请强制执行，至今未执行到位，执行法官不予答复。"
    edited, grouped, by_law, signed, still_open = ingest(
        service,
        row("C1", WAGES, status="in_progress"),
        row("C2", WAGES + "（二）", status="in_progress"),
        row("C3", litigation, status="in_progress"),
        row("C4", ROADS, status="in_progress"),
        row("C5", ROADS + "（二）", status="in_progress"),
    )
    assignments = {cid: dual(service, cid) for cid in (edited, grouped, by_law, signed, still_open)}
    service.assignments.sign(assignments[signed][0], actor=people["gz"])
    queued = {i.case_id for i in service.assignments.queue(people["gz"]).pending_sign}
    assert queued == {edited, grouped, by_law, still_open}
    clock.advance(days=2)
    service.update_case(edited, CaseUpdate(status=Status.resolved))
    repo = service.groups.repo
    with service.db.transaction() as conn:
        gid = repo.create(conn, "运费类案", "test")
        repo.set_members(conn, [(grouped, gid, "manual", None)], "test")
    service.groups.start_batch(gid, "省交通运输厅", "统一督促平台支付")
    seen = service.groups.preview(gid, "resolved")
    service.groups.decide(gid, "统一处理", "resolved", token=seen.token)
    assert service.cases.get(by_law).litigation  # type: ignore[union-attr]
    ref = service.handover.refer([by_law], unit="广州中院", actor=people["gz"])["referrals"][0]["id"]
    service.handover.step(ref, "check", "已核查", court)
    service.handover.record_checklist(by_law, [{"item": "illegal", "applies": True, "done": True}], court)
    service.handover.step(ref, "conclude", "依法终结", court)
    # Out of every 待签收 queue (the city's and the department's), the open case still there.
    assert {i.case_id for i in service.assignments.queue(people["gz"]).pending_sign} == {still_open}
    assert {i.case_id for i in service.assignments.queue(people["transport"]).pending_sign} == {signed, still_open}
    reasons = {}
    for cid in (edited, grouped, by_law):
        rows = [a for a in service.assignments.history(cid) if a.id in assignments[cid]]
        assert len(rows) == 2 and not any(a.active for a in rows)  # kept, not deleted
        assert {a.ended_at[:10] for a in rows if a.ended_at} == {"2026-12-03"}
        assert {a.ended_by for a in rows} == {"system"} and {a.status for a in rows} == {"pending_sign"}
        reasons[cid] = {a.end_reason for a in rows}
        closed = [e for e in service.assignments.case_view(cid)["history"] if e.action == "closed"]
        assert len(closed) == 2 and closed[0].action_label == "交办关闭"
    assert reasons[edited] == {"案件已化解（案件编辑），待签收交办关闭"}
    assert reasons[grouped] == {"案件已化解（类案批量决定），待签收交办关闭"}
    assert reasons[by_law] == {"案件已终结，待签收交办关闭"}
    # The signed one and the open one are untouched; a step on a closed one says why it ended.
    assert all(a.active for a in service.assignments.history(signed))
    with pytest.raises(ConflictError, match="案件已终结"):
        service.assignments.sign(assignments[by_law][0], actor=people["gz"])
