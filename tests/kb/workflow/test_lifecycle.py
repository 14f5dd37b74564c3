"""The case lifecycle on real storage with a fixed clock: stages, due dates, refusals, rates, flags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.domain import CaseUpdate, SearchFilters
from kb.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from kb.service import LeianService
from kb.settings import DEADLINE_DAYS, ENV
from kb.users import Principal
from kb.workflow.lifecycle import TRANSITIONS
from tests.conftest import REPO, make_settings

D = dt.date
WAGES = "包工头拖欠三个月工资两万元，讨薪无果，请求责令支付。"
START = dt.datetime(2025, 3, 3, 9, 0)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def service(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> Iterator[LeianService]:
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter, clock=clock)
    yield svc
    svc.close()


def row(no: str, day: str, **extra: Any) -> dict[str, Any]:
    return {"external_no": no, "content": f"{WAGES}（{no}）", "received_date": day, "city": "深圳市", **extra}


def ingest(service: LeianService, *rows: dict[str, Any], actor: Principal | None = None) -> list[int]:
    if actor is None:
        service.ingest([(None, r) for r in rows])
    else:
        service.ingest([(None, r) for r in rows], actor=actor)
    ids = service.case_ids_by_external([r["external_no"] for r in rows])
    return [ids[r["external_no"]] for r in rows]


def refused(call: Any, *args: Any, **kwargs: Any) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as err:
        call(*args, **kwargs)
    return err.value


def principal(service: LeianService, tokens: dict[str, str], who: str) -> Principal:
    found = service.users.by_token(tokens[who])
    assert found is not None
    return found


# -- the full path ------------------------------------------------------------------------------------
def test_registered_accepted_extended_replied_reviewed_concluded(
    service: LeianService, clock: FixedClock, tokens: dict[str, str]
) -> None:
    handler = principal(service, tokens, "handler")
    (cid,) = ingest(service, row("L-1", "2025-03-01"), actor=handler)
    lc = service.lifecycle

    state = lc.state(cid, handler)
    assert (state.stage, state.stage_label, state.due_kind) == ("registered", "登记", "acceptance")
    assert state.due_date == "2025-03-16"  # received + acceptance_days (15)
    assert [(m.action, m.actor, m.at) for m in state.transitions] == [
        ("import", "u_handler", "2025-03-03T09:00:00+08:00")
    ]
    assert [a.action for a in state.allowed] == ["accept", "reject"]

    clock.advance(days=2)
    state = lc.transition(cid, "accept", actor=handler)
    assert (state.stage, state.due_kind, state.due_date) == ("accepted", "handling", "2025-05-04")  # 03-05 + 60
    assert service.get_case(cid).status == "in_progress"  # 受理 moves 待办 to 办理中

    clock.advance(days=50)
    missing = refused(lc.transition, cid, "extend", actor=handler, reason="需多部门会商")
    assert [p.field for p in missing.problems] == ["approver"] and "批准人" in missing.problems[0].message
    state = lc.transition(cid, "extend", actor=handler, reason="需多部门会商", approver="李局长")
    assert (state.due_date, state.extended) == ("2025-06-03", True)  # the due in force + extension_days (30)
    again = refused(lc.transition, cid, "extend", actor=handler, reason="仍需会商", approver="李局长")
    assert "只能延长一次" in again.message and "可执行：答复" in again.message

    clock.advance(days=20)
    state = lc.transition(cid, "reply", actor=handler, text="经核查，已责令施工单位十日内支付拖欠工资。")
    assert (state.stage, state.due_date, state.due_kind, state.overdue) == ("replied", None, None, False)
    assert state.request_until == "2025-06-13"  # reply day (05-14) + review_request_days (30)
    assert [a.action for a in state.allowed] == ["request_review"]

    clock.advance(days=10)
    state = lc.transition(cid, "request_review", actor=handler, reason="对答复不满意，工资仍未到账")
    assert (state.stage, state.due_kind, state.due_date) == ("review_requested", "review", "2025-06-23")

    clock.advance(days=15)
    state = lc.transition(cid, "review_reply", actor=handler, text="复查意见：维持原答复，并督促限期支付。")
    assert (state.stage, state.request_until) == ("reviewed", "2025-07-08")
    early = refused(lc.transition, cid, "conclude", actor=handler)
    assert "2025-07-08" in early.message and "可执行：复核申请" in early.message

    clock.advance(days=31)
    state = lc.transition(cid, "conclude", actor=handler, reason="复核申请期限届满，信访人未申请复核")
    assert (state.stage, state.stage_label, state.allowed, state.due_date) == ("concluded", "终结", [], None)
    case = service.get_case(cid)
    assert case.status == "closed" and case.resolved_date == "2025-07-09"  # 终结 sets 已办结, dated that day
    assert [m.action for m in state.transitions] == [
        "import", "accept", "extend", "reply", "request_review", "review_reply", "conclude",
    ]  # fmt: skip
    stamps = [m.at for m in state.transitions]
    assert stamps == sorted(stamps) and stamps[-1] == "2025-07-09T09:00:00+08:00"
    assert state.transitions[2].approver == "李局长" and state.transitions[2].reason == "需多部门会商"
    assert state.transitions[3].text == "经核查，已责令施工单位十日内支付拖欠工资。"
    # Terminal: not accepted again.
    assert "本案当前没有可执行的办理步骤" in refused(lc.transition, cid, "accept", actor=handler).message


def test_recheck_path_and_a_resolved_case_stays_resolved(service: LeianService, clock: FixedClock) -> None:
    (cid,) = ingest(service, row("L-2", "2025-03-01", status="in_progress"))
    lc = service.lifecycle
    assert lc.state(cid).due_date == "2025-04-30"  # 办理中 on import: received + handling_days
    lc.transition(cid, "reply", text="答复意见书")
    lc.transition(cid, "request_review", reason="不服")
    lc.transition(cid, "review_reply", text="复查意见书")
    clock.advance(days=5)
    state = lc.transition(cid, "request_recheck", reason="不服复查意见")
    assert (state.stage, state.due_kind, state.due_date) == ("recheck_requested", "recheck", "2025-04-07")
    state = lc.transition(cid, "recheck_reply", text="复核意见书")
    assert [a.action for a in state.allowed] == ["conclude"]  # no window after 复核
    service.update_case(cid, CaseUpdate(status="resolved"))
    lc.transition(cid, "conclude")
    assert service.get_case(cid).status == "resolved"  # 终结 keeps 已化解


# -- refusals ---------------------------------------------------------------------------------------------
def test_a_refused_step_names_the_allowed_next_steps(service: LeianService, clock: FixedClock) -> None:
    (cid,) = ingest(service, row("L-3", "2025-03-01"))
    err = refused(service.lifecycle.transition, cid, "reply", text="答复")
    assert err.problems[0].field == "action"
    assert err.problems[0].message == "当前阶段为“登记”，不能答复；可执行：受理、不予受理"
    unknown = refused(service.lifecycle.transition, cid, "approve")
    assert "未知的办理操作“approve”" in unknown.message and "可执行：受理、不予受理" in unknown.message
    # A refused step writes nothing.
    assert [m.action for m in service.lifecycle.state(cid).transitions] == ["import"]


def test_reject_needs_its_notice_and_only_within_the_acceptance_period(
    service: LeianService, clock: FixedClock
) -> None:
    a, b = ingest(service, row("L-4", "2025-03-01"), row("L-5", "2025-03-01"))
    err = refused(service.lifecycle.transition, a, "reject", text="  ")
    assert [(p.field, p.message) for p in err.problems] == [("text", "不予受理须填写不予受理告知书")]
    state = service.lifecycle.transition(a, "reject", text="不属于信访事项，请依法向人民法院起诉。")
    assert (state.stage, state.due_date, state.allowed) == ("not_accepted", None, [])
    clock.advance(days=14)  # 03-17: past the acceptance due date of 03-16
    late = refused(service.lifecycle.transition, b, "reject", text="告知书")
    assert "已超过受理期限（2025-03-16）" in late.message and "可执行：受理" in late.message
    assert service.lifecycle.transition(b, "accept").stage == "accepted"  # late acceptance is still recorded


def test_extension_is_bounded_by_the_setting(service: LeianService) -> None:
    (cid,) = ingest(service, row("L-6", "2025-03-01", status="in_progress"))
    err = refused(service.lifecycle.transition, cid, "extend", reason="复杂", approver="王主任", days=31)
    assert [(p.field, p.message) for p in err.problems] == [("days", "延期天数应在 1 到 30 天之间")]
    state = service.lifecycle.transition(cid, "extend", reason="复杂", approver="王主任", days=10)
    assert state.due_date == "2025-05-10"  # 04-30 + 10
    assert refused(service.lifecycle.transition, cid, "reply", text="答复", days=3).problems[0].field == "days"


# -- due dates follow the settings ----------------------------------------------------------------------
def test_due_dates_follow_the_settings(tmp_path: Path, segmenter: Segmenter) -> None:
    clock = FixedClock(START)
    settings = make_settings(tmp_path).with_(acceptance_days=10, handling_days=20, review_request_days=7)
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter, clock=clock)
    try:
        pending, doing, done, bare = ingest(
            svc,
            row("S-1", "2025-03-01"),
            row("S-2", "2025-03-01", status="in_progress"),
            row("S-3", "2025-02-01", status="resolved", resolved_date="2025-02-20"),
            row("S-4", "2025-02-01", status="unresolved"),
        )
        assert svc.lifecycle.state(pending).due_date == "2025-03-11"
        assert svc.lifecycle.state(doing).due_date == "2025-03-21"
        # An answered case starts in 已答复: the 复查 window runs from its resolution date, else from the import.
        assert (svc.lifecycle.state(done).stage, svc.lifecycle.state(done).request_until) == ("replied", "2025-02-27")
        assert svc.lifecycle.state(bare).request_until == "2025-03-10"
        assert svc.lifecycle.transition(pending, "accept").due_date == "2025-03-23"  # today (03-03) + 20
        # The resolved case's window passed: it can be concluded, no longer asked to be reviewed.
        assert [a.action for a in svc.lifecycle.state(done).allowed] == ["conclude"]
        assert (
            "申请期限已于 2025-02-27 届满"
            in refused(svc.lifecycle.transition, done, "request_review", reason="x").message
        )
    finally:
        svc.close()


def test_a_reimport_keeps_the_lifecycle(service: LeianService, clock: FixedClock) -> None:
    (cid,) = ingest(service, row("L-7", "2025-03-01"))
    service.lifecycle.transition(cid, "accept")
    clock.advance(days=1)
    ingest(service, row("L-7", "2025-03-01", title="更新标题"))
    state = service.lifecycle.state(cid)
    assert state.stage == "accepted" and [m.action for m in state.transitions] == ["import", "accept"]


# -- overdue and near-due ---------------------------------------------------------------------------------
def test_overdue_and_near_due_filters(service: LeianService, clock: FixedClock) -> None:
    # Today is 2025-03-03; acceptance due = received + 15.
    overdue, near, later, answered = ingest(
        service,
        row("D-1", "2025-02-10"),  # due 02-25: overdue
        row("D-2", "2025-02-20"),  # due 03-07: within near_due_days (5)
        row("D-3", "2025-03-01"),  # due 03-16
        row("D-4", "2025-01-01", status="resolved"),  # 已答复: no due date, never overdue
    )

    def listed(kind: str) -> set[int]:
        return {c.id for c in service.list_cases(SearchFilters(by_field={"due_date": kind}))[0]}

    assert listed("overdue") == {overdue}
    assert listed("near") == {near}
    assert service.get_case(overdue).overdue and not service.get_case(near).overdue
    assert not service.get_case(answered).overdue and service.get_case(answered).due_date is None
    hits = service.search(text=WAGES, filters=SearchFilters(by_field={"due_date": "near"}), k=10)
    assert [h.case.id for h in hits] == [near]
    state = service.lifecycle.state(near)
    assert state.near_due and not state.overdue
    clock.advance(days=5)  # 03-08: D-2 is now past due, D-3 not yet near (due 03-16)
    assert listed("overdue") == {overdue, near} and listed("near") == set()
    service.lifecycle.transition(near, "accept")  # accepted: the new handling due date is far away
    assert listed("overdue") == {overdue} and not service.get_case(near).overdue
    assert later not in listed("near") | listed("overdue")


# -- reports: 按期受理率 / 按期办结率 ------------------------------------------------------------------------
def test_on_time_rates_and_a_past_period_does_not_change(service: LeianService, clock: FixedClock) -> None:
    a, b, c, d = ingest(
        service,
        row("P-1", "2025-03-01", city="广州市"),  # acceptance due 03-16
        row("P-2", "2025-03-01", city="广州市"),
        row("P-3", "2025-03-03", city="广州市"),  # due 03-18
        row("P-4", "2025-03-01", city="广州市", status="in_progress"),  # handling due 04-30
    )
    lc = service.lifecycle
    clock.set(dt.datetime(2025, 3, 10, 9))
    lc.transition(a, "accept")  # on time; handling due 05-09
    lc.transition(b, "reject", text="不予受理告知书")  # on time
    clock.set(dt.datetime(2025, 3, 25, 9))
    lc.transition(c, "accept")  # late (due 03-18); handling due 05-24
    clock.set(dt.datetime(2025, 4, 20, 9))
    lc.transition(d, "extend", reason="复杂", approver="局长")  # before its due: due 05-30 counts
    clock.set(dt.datetime(2025, 5, 8, 9))
    lc.transition(a, "reply", text="答复")  # on time (05-09)

    def rates(date_from: D, date_to: D) -> tuple[Any, ...]:
        t = service.workflow.period_report("city", date_from, date_to).total
        return (t.acceptance_due, t.accepted_on_time, t.on_time_acceptance_rate,
                t.handling_due, t.replied_on_time, t.on_time_reply_rate)  # fmt: skip

    march = rates(D(2025, 3, 1), D(2025, 3, 31))
    assert march == (3, 2, 0.6667, 0, 0, None)
    may = rates(D(2025, 5, 1), D(2025, 5, 31))
    assert may == (0, 0, None, 3, 1, 0.3333)  # a (met), c (05-24), d (extended to 05-30)
    april = rates(D(2025, 4, 1), D(2025, 4, 30))
    assert april[3] == 0  # d's original 04-30 does not count: it was extended before it fell due

    # Later moves and a late import of a March case never change March.
    clock.set(dt.datetime(2025, 6, 1, 9))
    lc.transition(c, "reply", text="答复")
    (late,) = ingest(service, row("P-5", "2025-03-02", city="广州市"))
    lc.transition(late, "accept")
    assert rates(D(2025, 3, 1), D(2025, 3, 31)) == march
    assert rates(D(2025, 5, 1), D(2025, 5, 31)) == may
    report = service.workflow.period_report("city", D(2025, 3, 1), D(2025, 3, 31))
    assert {"按期受理率", "按期办结率"} <= set(report.definitions)
    assert [r.unit for r in report.rows] == ["广州市"] and report.rows[0].on_time_acceptance_rate == 0.6667


def test_a_report_as_of_a_period_end_ignores_moves_after_it(service: LeianService, clock: FixedClock) -> None:
    """A period report made on its last day equals the same report made later."""
    (cid,) = ingest(service, row("Q-1", "2025-03-01"))  # acceptance due 03-16
    clock.set(dt.datetime(2025, 3, 16, 23, 59))
    lc = service.lifecycle
    week = (D(2025, 3, 10), D(2025, 3, 16))
    before = service.workflow.period_report("city", *week).total
    assert (before.acceptance_due, before.accepted_on_time) == (1, 0)
    clock.set(dt.datetime(2025, 3, 17, 0, 1))
    lc.transition(cid, "accept")  # one minute after the period: late, and not in the period
    after = service.workflow.period_report("city", *week).total
    assert (after.acceptance_due, after.accepted_on_time) == (1, 0)


# -- 终结: a new petition on the same matter is flagged --------------------------------------------------
def test_a_new_petition_on_a_concluded_matter_is_flagged(service: LeianService, clock: FixedClock) -> None:
    who = {"petitioner_id": "440106199001011234", "category": "拖欠农民工工资"}
    (first,) = ingest(service, row("C-1", "2025-01-02", status="resolved", resolved_date="2025-01-20", **who))
    service.lifecycle.transition(first, "conclude")  # the 复查 window (to 02-19) has passed
    clock.advance(days=3)
    again, other_matter, other_person = ingest(
        service,
        row("C-2", "2025-03-05", **who),
        row("C-3", "2025-03-05", petitioner_id=who["petitioner_id"], category="物业管理纠纷"),
        row("C-4", "2025-03-05", petitioner_id="440106199202021111", category=who["category"]),
    )
    flags = service.workflow.flags_for([first, again, other_matter, other_person])
    assert "已终结事项（同一信访人同类事项已于 2025-03-03 终结）" in flags[again]
    assert not any("已终结" in f for f in flags[first] + flags[other_matter] + flags[other_person])
    assert any("已终结事项" in f for f in service.workflow.case_workflow(again)["flags"])


# -- authorization (inside the service, so both doors enforce it) --------------------------------------
def test_reading_needs_workflow_read_and_moving_needs_workflow_write(
    service: LeianService, tokens: dict[str, str]
) -> None:
    (cid,) = ingest(service, row("A-1", "2025-03-01", city="深圳市"))
    analyst, reviewer = principal(service, tokens, "analyst"), principal(service, tokens, "reviewer")
    assert service.lifecycle.state(cid, analyst).stage == "registered"
    with pytest.raises(PermissionDeniedError):
        service.lifecycle.transition(cid, "accept", actor=analyst)
    with pytest.raises(PermissionDeniedError):
        service.lifecycle.transition(cid, "accept", actor=reviewer)
    assert service.lifecycle.state(cid).stage == "registered"


def test_another_units_case_is_not_found(service: LeianService, tokens: dict[str, str]) -> None:
    shenzhen, guangzhou = ingest(service, row("A-2", "2025-03-01"), row("A-3", "2025-03-01", city="广州市"))
    gz = principal(service, tokens, "gz_handler")
    with pytest.raises(NotFoundError):
        service.lifecycle.state(shenzhen, gz)
    with pytest.raises(NotFoundError):
        service.lifecycle.transition(shenzhen, "accept", actor=gz)
    state = service.lifecycle.transition(guangzhou, "accept", actor=gz)
    assert (state.transitions[-1].actor, state.transitions[-1].actor_unit) == ("u_gz", "广州市")


def test_texts_are_masked_unless_revealed_to_pii_readers(service: LeianService, tokens: dict[str, str]) -> None:
    (cid,) = ingest(service, row("M-1", "2025-03-01", status="in_progress", petitioner_name="张三"))
    service.lifecycle.transition(cid, "reply", text="张三：请致电13812345678领取工资。")
    analyst, handler = principal(service, tokens, "analyst"), principal(service, tokens, "handler")
    masked = service.lifecycle.state(cid, analyst, reveal=True).transitions[-1].text or ""
    assert "13812345678" not in masked and "张三" not in masked
    shown = service.lifecycle.state(cid, handler, reveal=True).transitions[-1].text
    assert shown == "张三：请致电13812345678领取工资。"


# -- docs and settings ----------------------------------------------------------------------------------
def test_docs_state_every_step_and_every_time_limit() -> None:
    doc = (REPO / "docs" / "workflow.md").read_text(encoding="utf-8")
    section = doc[doc.index("## 办理流程与时限") :]
    for t in TRANSITIONS:
        assert f"`{t.action}`" in section and t.label in section, t.action
    for name in DEADLINE_DAYS:
        assert f"`{ENV[name]}`" in section, name
    assert "按期受理率" in section and "按期办结率" in section
