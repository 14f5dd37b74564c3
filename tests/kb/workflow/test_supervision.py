"""催办 and 督办单 on real storage: unit validation, scope, who may reply, computed status, inbox items."""

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
from kb.workflow.supervision import inbox_items
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


def account(svc: LeianService, name: str, role: str, unit: str | None = None, scope: str | None = None) -> Principal:
    principal, _ = svc.users.create(name, role, "Leian-test-2025", unit=unit, scope=scope)
    return principal


def case_id(svc: LeianService, external_no: str) -> int:
    return svc.get_case_by_external(external_no).id


@pytest.fixture
def people(svc: LeianService) -> dict[str, Principal]:
    return {
        "province": account(svc, "prov", "handler"),
        "supervisor": account(svc, "sup", "supervisor"),
        "gz": account(svc, "gz", "handler", "广州市", "city"),
        "gz_sup": account(svc, "gz_sup", "supervisor", "广州市", "city"),
        "fs": account(svc, "fs", "handler", "佛山市", "city"),
        "jt": account(svc, "jt", "handler", "省交通运输厅", "department"),
    }


# -- 催办 ---------------------------------------------------------------------------------------------------
def test_a_reminder_goes_to_a_catalog_unit_and_that_unit_answers_it_once(
    svc: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    gz_case = case_id(svc, "T-001")
    sent = svc.supervision.remind(gz_case, unit="广州", text="请于本周内反馈化解进展", actor=people["province"])
    assert sent.unit == "广州市"  # the alias is stored by its canonical name
    assert (sent.status, sent.status_label, sent.issued_by, sent.issued_by_unit) == ("pending", "待回复", "prov", None)
    assert sent.issued_at.startswith("2025-09-01T09:00:00+08:00")
    assert sent.case.startswith("T-001 ")

    clock.advance(days=1)
    with pytest.raises(PermissionDeniedError):  # another unit's account cannot answer it
        svc.supervision.reply_reminder(sent.id, "已处理", actor=people["supervisor"])
    answered = svc.supervision.reply_reminder(sent.id, "已约谈包工头，本月底前结清", actor=people["gz"])
    assert (answered.status_label, answered.replied_by) == ("已回复", "gz")
    assert answered.replied_at is not None and answered.replied_at.startswith("2025-09-02")
    with pytest.raises(ConflictError):
        svc.supervision.reply_reminder(sent.id, "再次回复", actor=people["gz"])


def test_a_reminder_to_an_unknown_unit_names_the_field_and_nearby_units(
    svc: LeianService, people: dict[str, Principal]
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        svc.supervision.remind(case_id(svc, "T-001"), unit="火星市", text="请办理", actor=people["province"])
    assert exc.value.problems[0].field == "unit" and "火星市" in exc.value.problems[0].message
    with pytest.raises(InvalidInputError) as exc:
        svc.supervision.remind(case_id(svc, "T-001"), unit="广州市", text="   ", actor=people["province"])
    assert exc.value.problems[0].field == "text"


def test_reminding_needs_the_case_in_scope(svc: LeianService, people: dict[str, Principal]) -> None:
    # 佛山市 cannot see a 广州市 case, so it cannot remind anyone about it (and learns nothing of it).
    with pytest.raises(NotFoundError):
        svc.supervision.remind(case_id(svc, "T-001"), unit="广州市", text="请办理", actor=people["fs"])


def test_a_unit_sees_the_reminders_addressed_to_it_or_issued_by_it_only(
    svc: LeianService, people: dict[str, Principal]
) -> None:
    to_gz = svc.supervision.remind(case_id(svc, "T-001"), unit="广州市", text="请反馈", actor=people["province"])
    by_gz = svc.supervision.remind(case_id(svc, "T-003"), unit="越秀区", text="请核实", actor=people["gz"])
    to_fs = svc.supervision.remind(case_id(svc, "T-004"), unit="佛山市", text="请反馈", actor=people["province"])
    assert {r.id for r in svc.supervision.reminders(actor=people["gz"])} == {to_gz.id, by_gz.id}
    assert [r.id for r in svc.supervision.reminders(direction="received", actor=people["gz"])] == [to_gz.id]
    assert [r.id for r in svc.supervision.reminders(direction="issued", actor=people["gz"])] == [by_gz.id]
    assert {r.id for r in svc.supervision.reminders(actor=people["province"])} == {to_gz.id, by_gz.id, to_fs.id}
    with pytest.raises(NotFoundError):
        svc.supervision.reminder(to_fs.id, actor=people["gz"])
    with pytest.raises(NotFoundError):  # not even the receiving unit's reply door reveals it
        svc.supervision.reply_reminder(to_fs.id, "已处理", actor=people["gz"])


# -- 督办单 -------------------------------------------------------------------------------------------------
def test_only_supervisors_and_provincial_accounts_issue_orders(svc: LeianService, people: dict[str, Principal]) -> None:
    gz_case = case_id(svc, "T-001")
    deadline = START + dt.timedelta(days=7)
    with pytest.raises(PermissionDeniedError):
        svc.supervision.issue_order(
            gz_case, unit="越秀区", requirement="限期化解", deadline=deadline, actor=people["gz"]
        )
    by_city = svc.supervision.issue_order(
        gz_case, unit="越秀区", requirement="限期化解", deadline=deadline, actor=people["gz_sup"]
    )
    assert (by_city.issued_by_unit, by_city.unit) == ("广州市", "越秀区")
    by_province = svc.supervision.issue_order(
        gz_case, unit="广州市", requirement="限期化解", deadline=deadline, actor=people["province"]
    )
    assert by_province.issued_by_unit is None


def test_the_deadline_must_be_after_today_by_the_service_clock(svc: LeianService, people: dict[str, Principal]) -> None:
    gz_case = case_id(svc, "T-001")
    for day in (START, START - dt.timedelta(days=1)):
        with pytest.raises(InvalidInputError) as exc:
            svc.supervision.issue_order(
                gz_case, unit="广州市", requirement="限期化解", deadline=day, actor=people["supervisor"]
            )
        assert exc.value.problems[0].field == "deadline" and "2025-09-01" in exc.value.problems[0].message


def test_order_status_is_computed_from_the_clock_and_the_reply(
    svc: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    gz_case = case_id(svc, "T-001")
    on_time = svc.supervision.issue_order(
        gz_case, unit="广州市", requirement="十日内报送化解方案", deadline=START + dt.timedelta(days=10),
        actor=people["supervisor"],
    )  # fmt: skip
    late = svc.supervision.issue_order(
        gz_case, unit="广州市", requirement="三日内回复", deadline=START + dt.timedelta(days=3),
        actor=people["supervisor"],
    )  # fmt: skip
    assert svc.supervision.order(late.id, people["gz"]).status_label == "待回复"

    clock.advance(days=3)  # the deadline day itself is still in time
    assert svc.supervision.order(late.id, people["gz"]).status == "pending"
    clock.advance(days=1)
    assert svc.supervision.order(late.id, people["gz"]).status_label == "逾期未回复"
    assert [o.id for o in svc.supervision.orders(status="overdue", actor=people["supervisor"])] == [late.id]
    assert [o.id for o in svc.supervision.orders(status="pending", actor=people["supervisor"])] == [on_time.id]

    answered = svc.supervision.reply_order(late.id, "方案已报送", actor=people["gz"])
    assert (answered.status_label, answered.replied_late) == ("已回复", True)
    assert svc.supervision.reply_order(on_time.id, "已化解", actor=people["gz"]).replied_late is False
    assert {o.id for o in svc.supervision.orders(status="replied", actor=people["gz"])} == {late.id, on_time.id}
    with pytest.raises(ConflictError):
        svc.supervision.reply_order(late.id, "补充", actor=people["gz"])


def test_orders_are_scoped_and_filtered_by_unit(svc: LeianService, people: dict[str, Principal]) -> None:
    deadline = START + dt.timedelta(days=5)
    to_gz = svc.supervision.issue_order(
        case_id(svc, "T-001"), unit="广州市", requirement="限期化解", deadline=deadline, actor=people["supervisor"]
    )
    to_jt = svc.supervision.issue_order(
        case_id(svc, "T-006"), unit="省交通运输厅", requirement="出具指导意见", deadline=deadline,
        actor=people["supervisor"],
    )  # fmt: skip
    assert [o.id for o in svc.supervision.orders(actor=people["jt"])] == [to_jt.id]
    assert [o.id for o in svc.supervision.orders(actor=people["gz"])] == [to_gz.id]
    assert [o.id for o in svc.supervision.orders(unit="广州", actor=people["supervisor"])] == [to_gz.id]
    assert svc.supervision.orders(actor=people["fs"]) == []
    with pytest.raises(NotFoundError):
        svc.supervision.order(to_jt.id, people["gz"])
    with pytest.raises(InvalidInputError):
        svc.supervision.orders(status="late", actor=people["supervisor"])


# -- inbox source -------------------------------------------------------------------------------------------
def test_inbox_items_list_what_waits_for_the_unit_and_the_answers_to_the_issuer(
    svc: LeianService, people: dict[str, Principal], clock: FixedClock
) -> None:
    gz_case = case_id(svc, "T-005")  # its content carries a phone number: titles stay masked
    reminder = svc.supervision.remind(gz_case, unit="广州市", text="请反馈", actor=people["province"])
    order = svc.supervision.issue_order(
        gz_case, unit="广州市", requirement="限期化解", deadline=START + dt.timedelta(days=5),
        actor=people["supervisor"],
    )  # fmt: skip
    items = {i["key"]: i for i in inbox_items(svc.db, people["gz"])}
    assert set(items) == {f"reminder:{reminder.id}", f"order:{order.id}"}
    assert items[f"order:{order.id}"]["due"] == (START + dt.timedelta(days=5)).isoformat()
    assert items[f"order:{order.id}"] | {"title": ""} == {
        "key": f"order:{order.id}", "kind": "order", "kind_label": "督办单", "case_id": gz_case, "title": "",
        "unit": "广州市", "created_at": order.issued_at, "due": "2025-09-06", "detail": "限期化解",
    }  # fmt: skip
    assert items[f"reminder:{reminder.id}"]["kind"] == "reminder"
    assert inbox_items(svc.db, people["fs"]) == []
    assert inbox_items(svc.db, people["supervisor"]) == []

    clock.advance(hours=2)
    svc.supervision.reply_order(order.id, "已化解", actor=people["gz"])
    assert [i["key"] for i in inbox_items(svc.db, people["gz"])] == [f"reminder:{reminder.id}"]
    mine = inbox_items(svc.db, people["supervisor"])
    assert [(i["key"], i["kind_label"]) for i in mine] == [(f"order:{order.id}:reply", "督办单已回复")]
    assert mine[0]["created_at"].startswith("2025-09-01T11:00")


def test_the_inbox_shows_reminders_and_orders_with_unread_counts(
    svc: LeianService, people: dict[str, Principal]
) -> None:
    gz_case = case_id(svc, "T-001")
    reminder = svc.supervision.remind(gz_case, unit="广州市", text="请反馈", actor=people["province"])
    svc.supervision.issue_order(
        gz_case, unit="广州市", requirement="限期化解", deadline=START + dt.timedelta(days=5),
        actor=people["supervisor"],
    )  # fmt: skip
    keys = {item.key: item for item in svc.inbox.items(people["gz"]) if item.kind in ("reminder", "order")}
    assert {k.split(":")[0] for k in keys} == {"reminder", "order"}
    summary = svc.inbox.summary(people["gz"])
    assert summary.by_kind.get("reminder") == 1 and summary.by_kind.get("order") == 1
    assert svc.inbox.mark_read(people["gz"], [f"reminder:{reminder.id}"]) == 1
    assert svc.inbox.summary(people["gz"]).by_kind.get("reminder") is None
    assert not [i for i in svc.inbox.items(people["fs"]) if i.kind in ("reminder", "order")]
