"""满意度评价 and 回访 on real storage: once per reply, who may record, 不满意 opens 复查, 参评率 / 满意率."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.service import LeianService
from kb.users import Principal
from tests.conftest import make_settings
from tests.helpers import rows

START = dt.date(2025, 9, 1)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def svc(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> Iterator[LeianService]:
    service = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter, clock=clock)
    service.ingest(rows())
    yield service
    service.close()


@pytest.fixture
def people(svc: LeianService) -> dict[str, Principal]:
    def account(name: str, role: str, unit: str | None = None, scope: str | None = None) -> Principal:
        return svc.users.create(name, role, "Leian-test-2025", unit=unit, scope=scope)[0]

    return {
        "gz": account("gz", "handler", "广州市", "city"),
        "fs": account("fs", "handler", "佛山市", "city"),
        "analyst": account("reader", "analyst"),
        "province": account("prov", "handler"),
    }


def case_id(svc: LeianService, external_no: str) -> int:
    return svc.get_case_by_external(external_no).id


def answer(svc: LeianService, cid: int, actor: Principal) -> None:
    """受理 then 答复 (the written reply) through the lifecycle."""
    svc.lifecycle.transition(cid, "accept", actor=actor)
    svc.lifecycle.transition(cid, "reply", actor=actor, text="经核查，已责令施工单位结清工资。")


def allowed(svc: LeianService, cid: int, actor: Principal) -> list[str]:
    return [step.action for step in svc.lifecycle.state(cid, actor).allowed]


def test_a_case_is_rated_once_per_reply_and_unsatisfied_opens_the_review(
    svc: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    gz, cid = people["gz"], case_id(svc, "T-001")
    with pytest.raises(ConflictError):  # nothing to rate before the reply
        svc.evaluations.evaluate(cid, "满意", actor=gz)

    answer(svc, cid, gz)
    state = svc.evaluations.state(cid, gz)
    assert state.may_evaluate and state.current is None and state.reply is not None
    clock.advance(days=2)
    state = svc.evaluations.evaluate(cid, "不满意", "认为欠薪未足额支付", actor=gz)
    assert state.current is not None
    assert (state.current["rating"], state.current["rating_label"], state.current["recorded_by"]) == (
        "unsatisfied", "不满意", "gz",
    )  # fmt: skip
    assert state.current["recorded_at"].startswith("2025-09-03")
    assert state.review_hint == "信访人不满意，可申请复查"
    assert not state.may_evaluate
    assert "request_review" in allowed(svc, cid, gz)
    assert "信访人不满意，可申请复查" in svc.workflow.flags_for([cid])[cid]
    with pytest.raises(ConflictError):  # the same reply is rated once
        svc.evaluations.evaluate(cid, "满意", actor=gz)

    # 复查: the review's reply is a new reply, rated again; the hint then follows the latest rating.
    svc.lifecycle.transition(cid, "request_review", actor=gz, reason="信访人不满意答复")
    assert svc.evaluations.state(cid, gz).review_hint is None  # under review: no longer a hint
    svc.lifecycle.transition(cid, "review_reply", actor=gz, text="复查意见：维持原答复并补发差额。")
    assert svc.evaluations.state(cid, gz).may_evaluate
    state = svc.evaluations.evaluate(cid, "basically_satisfied", actor=gz)
    assert state.current is not None and state.current["rating_label"] == "基本满意"
    assert state.review_hint is None
    assert [e["rating"] for e in state.evaluations] == ["unsatisfied", "basically_satisfied"]
    assert "信访人不满意，可申请复查" not in svc.workflow.flags_for([cid])[cid]


def test_an_unsatisfied_review_reply_points_to_the_recheck(svc: LeianService, people: dict[str, Principal]) -> None:
    gz, cid = people["gz"], case_id(svc, "T-003")
    svc.lifecycle.transition(cid, "reply", actor=gz, text="答复意见")  # T-003 is being handled already
    svc.evaluations.evaluate(cid, "不满意", actor=gz)
    svc.lifecycle.transition(cid, "request_review", actor=gz, reason="不服")
    svc.lifecycle.transition(cid, "review_reply", actor=gz, text="复查意见")
    assert svc.evaluations.evaluate(cid, "不满意", actor=gz).review_hint == "信访人不满意，可申请复核"


def test_only_an_account_that_may_write_the_case_records_ratings_and_follow_ups(
    svc: LeianService, people: dict[str, Principal]
) -> None:
    cid = case_id(svc, "T-001")
    answer(svc, cid, people["gz"])
    with pytest.raises(NotFoundError):  # another city's account: the case does not exist for it
        svc.evaluations.evaluate(cid, "满意", actor=people["fs"])
    with pytest.raises(NotFoundError):
        svc.evaluations.follow_up(cid, "phone", actor=people["fs"])
    with pytest.raises(PermissionDeniedError):  # read-only role
        svc.evaluations.evaluate(cid, "满意", actor=people["analyst"])
    assert svc.evaluations.evaluate(cid, "满意", actor=people["province"]).current is not None


def test_follow_ups_record_method_note_who_and_when(
    svc: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    gz, cid = people["gz"], case_id(svc, "T-001")
    svc.evaluations.follow_up(cid, "电话", "信访人表示已收到部分工资", actor=gz)
    clock.advance(days=7)
    state = svc.evaluations.follow_up(cid, "visit", "上门回访，工资已结清", actor=gz)
    assert [(f["method"], f["method_label"], f["recorded_by"]) for f in state.followups] == [
        ("phone", "电话", "gz"),
        ("visit", "上门", "gz"),
    ]
    assert state.followups[1]["recorded_at"].startswith("2025-09-08")
    with pytest.raises(InvalidInputError) as exc:
        svc.evaluations.follow_up(cid, "邮件", actor=gz)
    assert exc.value.problems[0].field == "method" and "电话 / 上门 / 短信" in exc.value.problems[0].message
    with pytest.raises(InvalidInputError) as exc:
        svc.evaluations.evaluate(cid, "很满意", actor=gz)
    assert exc.value.problems[0].field == "rating"


def test_rates_count_replies_of_the_period_and_ratings_recorded_by_its_end(
    svc: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    gz = people["gz"]
    first, second, third = case_id(svc, "T-001"), case_id(svc, "T-005"), case_id(svc, "T-003")
    answer(svc, first, gz)
    answer(svc, second, gz)
    svc.lifecycle.transition(third, "reply", actor=gz, text="答复意见")
    svc.evaluations.evaluate(first, "满意", actor=gz)
    svc.evaluations.evaluate(third, "不满意", actor=gz)

    def september() -> tuple[int, int, int, float | None, float | None]:
        report = svc.workflow.period_report("city", dt.date(2025, 9, 1), dt.date(2025, 9, 30))
        t = report.total
        return t.replied, t.evaluated, t.satisfied, t.evaluation_rate, t.satisfaction_rate

    assert september() == (3, 2, 1, round(2 / 3, 4), 0.5)
    gz_row = next(
        r for r in svc.workflow.period_report("city", dt.date(2025, 9, 1), dt.date(2025, 9, 30)).rows
        if r.unit == "广州市"
    )  # fmt: skip
    assert (gz_row.replied, gz_row.evaluated) == (3, 2)

    # A rating recorded in October (of a September reply) leaves September's figures as they were.
    clock.set(dt.date(2025, 10, 8))
    svc.evaluations.evaluate(second, "不满意", actor=gz)
    assert september() == (3, 2, 1, round(2 / 3, 4), 0.5)
    october = svc.workflow.period_report("city", dt.date(2025, 10, 1), dt.date(2025, 10, 31)).total
    assert (october.replied, october.evaluation_rate, october.satisfaction_rate) == (0, None, None)
    whole = svc.workflow.period_report("city", dt.date(2025, 9, 1), dt.date(2025, 10, 31)).total
    assert (whole.replied, whole.evaluated, whole.satisfied) == (3, 3, 1)


def test_rates_follow_the_reports_scope(svc: LeianService, people: dict[str, Principal]) -> None:
    gz = people["gz"]
    answer(svc, case_id(svc, "T-001"), gz)
    fs_case = case_id(svc, "T-004")
    answer(svc, fs_case, people["fs"])
    svc.evaluations.evaluate(fs_case, "满意", actor=people["fs"])
    mine = svc.workflow.period_report("city", dt.date(2025, 9, 1), dt.date(2025, 9, 30), actor=gz).total
    assert (mine.replied, mine.evaluated) == (1, 0)


def test_a_unit_that_only_sees_the_case_may_not_record_its_rating(
    svc: LeianService, people: dict[str, Principal]
) -> None:
    """A department the case is assigned to sees it, but the rating belongs to the handling unit."""
    cid = case_id(svc, "T-001")  # 广州市, lead department 省人力资源社会保障厅
    svc.workflow.assign(cid, locality="广州市", departments=["省人力资源社会保障厅", "省交通运输厅"],
                        lead="省人力资源社会保障厅")  # fmt: skip
    answer(svc, cid, people["gz"])
    transport = svc.users.create("jt", "handler", "Leian-test-2025", unit="省交通运输厅", scope="department")[0]
    assert svc.evaluations.state(cid, transport).may_evaluate  # visible to it ...
    with pytest.raises(PermissionDeniedError):  # ... but not its to record
        svc.evaluations.evaluate(cid, "满意", actor=transport)
    with pytest.raises(PermissionDeniedError):
        svc.evaluations.follow_up(cid, "phone", actor=transport)
