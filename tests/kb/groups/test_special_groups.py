"""专项小组 and previewed batch decisions on real storage: the review's bugs (已办结 and 未化解 cases
silently turned 已化解, old 2025 resolution dates kept so the 2025 report changed, late members left
under "已作出批量决定", no reply per petitioner), the preview == applied rule and its token."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.errors import ConflictError, InvalidInputError, NotFoundError
from kb.groups.service import LATE_LABEL
from kb.service import LeianService
from tests.handling_helpers import clocked_service, ingest

WAGES = "某建筑公司拖欠农民工工资三个月，包工头失联，请求劳动监察部门责令公司支付工资。"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.date(2026, 3, 2))


@pytest.fixture
def service(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> Iterator[LeianService]:
    svc = clocked_service(tmp_path, segmenter, clock)
    yield svc
    svc.close()


def case(no: str, status: str, resolved: str | None = None) -> dict[str, object]:
    row: dict[str, object] = {
        "external_no": no,
        "title": "",
        "content": WAGES + f"（{no}）",
        "received_date": "2025-03-10",
        "city": "广州市",
        "status": status,
    }
    if resolved:
        row["resolved_date"] = resolved
    return row


@pytest.fixture
def group(service: LeianService) -> tuple[int, dict[str, int]]:
    """A group of 10: 4 待办, 2 未化解, 3 已办结 (closed in 2025), 1 已化解."""
    rows = [
        *[case(f"P{i}", "pending") for i in range(4)],
        *[case(f"U{i}", "unresolved") for i in range(2)],
        *[case(f"C{i}", "closed", "2025-06-30") for i in range(3)],
        case("R0", "resolved", "2025-05-01"),
    ]
    ids = dict(zip([str(r["external_no"]) for r in rows], ingest(service, *rows), strict=True))
    repo = service.groups.repo
    with service.db.transaction() as conn:
        gid = repo.create(conn, "欠薪类案", "test")
        repo.set_members(conn, [(i, gid, "manual", None) for i in ids.values()], "test")
    service.groups.start_batch(gid, "省人社厅", "按欠薪保障金先行垫付")
    return gid, ids


def report_2025(service: LeianService) -> object:
    return dataclasses.asdict(service.workflow.period_report("city", dt.date(2025, 1, 1), dt.date(2025, 12, 31)))


def test_preview_states_what_will_change_and_decide_applies_exactly_that(
    service: LeianService, group: tuple[int, dict[str, int]]
) -> None:
    gid, ids = group
    everything = service.groups.preview(gid, "resolved")
    assert everything.message == "将把 9 件案件（其中 3 件已办结、2 件未化解）状态改为已化解；1 件已是已化解"
    chosen = service.groups.preview(gid, "resolved", ["closed", "unresolved"])
    assert chosen.message == "将把 4 件案件状态改为已化解；保留 3 件已办结、2 件未化解不变；1 件已是已化解"
    before = {c.id: c.status for c in service.cases.get_many(list(ids.values())).values()}
    out = service.groups.decide(
        gid,
        "统一按政策垫付",
        "resolved",
        token=chosen.token,
        leave_alone=["closed", "unresolved"],
        reply="已垫付，请查收",
    )
    after = {c.id: c.status for c in service.cases.get_many(list(ids.values())).values()}
    changed = {i for i in after if after[i] != before[i]}
    assert changed == {c.case_id for c in chosen.change} == set(out["changed_ids"])  # preview == applied
    assert {after[ids[n]] for n in ("C0", "C1", "C2")} == {"closed"}  # left alone
    assert {after[ids[n]] for n in ("U0", "U1")} == {"unresolved"}
    # One reply per covered case, a recorded move dated now for each change, nothing for those left alone.
    rows = {r["case_id"]: r for r in service.groups.decisions(gid)[0]["cases"]}
    assert rows[ids["P0"]]["reply"] == "已垫付，请查收" and rows[ids["P0"]]["changed_at"].startswith("2026-03-02")
    assert rows[ids["R0"]]["reply"] == "已垫付，请查收" and rows[ids["R0"]]["new_status"] is None
    assert rows[ids["C0"]]["reply"] is None and rows[ids["C0"]]["new_status"] is None
    moves = service.lifecycle.state(ids["P0"]).transitions
    assert moves[-1].action == "batch_decision" and moves[-1].at.startswith("2026-03-02")
    assert "待办→已化解" in (moves[-1].reason or "")
    assert service.lifecycle.state(ids["C0"]).transitions[-1].action != "batch_decision"


def test_a_stale_preview_is_refused(service: LeianService, group: tuple[int, dict[str, int]]) -> None:
    gid, ids = group
    with pytest.raises(InvalidInputError, match="请先预览"):
        service.groups.decide(gid, "统一处理", "resolved")
    seen = service.groups.preview(gid, "resolved")
    with pytest.raises(ConflictError, match="请重新预览"):  # other choices than the previewed ones
        service.groups.decide(gid, "统一处理", "resolved", token=seen.token, leave_alone=["closed"])
    from kb.domain import CaseUpdate, Status

    service.update_case(ids["P0"], CaseUpdate(status=Status.in_progress))  # the group changed since
    with pytest.raises(ConflictError, match="请重新预览"):
        service.groups.decide(gid, "统一处理", "resolved", token=seen.token)
    assert not service.db.query("SELECT 1 FROM group_decisions")
    fresh = service.groups.preview(gid, "resolved")
    assert service.groups.decide(gid, "统一处理", "resolved", token=fresh.token)["cases"] == 9


def test_a_past_report_is_identical_after_the_decision(
    service: LeianService, group: tuple[int, dict[str, int]], clock: FixedClock
) -> None:
    """The review's bug: 11 closed cases became resolved with their 2025 dates (化解率 0.4511 → 0.4569)."""
    gid, ids = group
    before = report_2025(service)
    clock.set(dt.date(2026, 3, 5))
    seen = service.groups.preview(gid, "resolved", ["closed"])
    service.groups.decide(gid, "统一处理", "resolved", token=seen.token, leave_alone=["closed"])
    assert report_2025(service) == before
    for name in ("P0", "U0"):
        assert service.cases.get(ids[name]).resolved_date == "2026-03-05"  # type: ignore[union-attr]
    assert service.cases.get(ids["R0"]).resolved_date == "2025-05-01"  # type: ignore[union-attr]


def test_a_closed_case_resolved_now_is_resolved_now(
    service: LeianService, group: tuple[int, dict[str, int]], clock: FixedClock
) -> None:
    gid, ids = group
    resolved_2025 = report_2025(service)["total"]["resolved"]  # type: ignore[index]
    clock.set(dt.date(2026, 3, 5))
    seen = service.groups.preview(gid, "resolved")
    service.groups.decide(gid, "统一处理", "resolved", token=seen.token)
    assert service.cases.get(ids["C0"]).resolved_date == "2026-03-05"  # type: ignore[union-attr]
    assert report_2025(service)["total"]["resolved"] == resolved_2025  # type: ignore[index]


def test_members_joining_after_the_decision_are_flagged_and_handled_alike(
    service: LeianService, group: tuple[int, dict[str, int]], clock: FixedClock
) -> None:
    gid, _ = group
    seen = service.groups.preview(gid, "resolved")
    service.groups.decide(gid, "统一处理", "resolved", token=seen.token, reply="统一答复")
    with pytest.raises(ConflictError, match="没有后加入的案件"):
        service.groups.preview(gid, "resolved")
    clock.advance(days=3)
    (late,) = ingest(service, case("L1", "pending"))
    service.groups.move(late, gid)
    assert service.groups.late_members(gid) == {late}
    special = service.special_groups.create(
        name="欠薪专项小组",
        lead_unit="省人社厅",
        member_units=["广州市", "省住建厅"],
        policy={"title": "关于欠薪问题的处理意见", "number": "粤人社〔2026〕1号", "date": "2026-01-15"},
        group_ids=[gid],
    )
    assert special.groups[0]["late"] == 1 and special.groups[0]["late_label"] == LATE_LABEL
    again = service.groups.preview(gid, "resolved")
    assert again.late_only and again.message == "将把 1 件后加入的案件状态改为已化解"
    out = service.groups.decide(gid, "统一处理", "resolved", token=again.token, reply="按同一政策答复")
    assert out["changed_ids"] == [late] and service.groups.late_members(gid) == set()
    assert service.cases.get(late).status == "resolved"  # type: ignore[union-attr]


def test_special_group_record(service: LeianService, group: tuple[int, dict[str, int]]) -> None:
    gid, _ = group
    with pytest.raises(InvalidInputError, match="lead_unit"):
        service.special_groups.create(
            name="x", lead_unit="省不存在厅", member_units=[], policy={"title": "t"}, group_ids=[gid]
        )
    with pytest.raises(InvalidInputError, match="政策文件标题不能为空"):
        service.special_groups.create(name="x", lead_unit="省人社厅", member_units=[], policy={}, group_ids=[gid])
    made = service.special_groups.create(
        name="欠薪专项小组",
        lead_unit="省人社厅",
        member_units=["广州", "省住建厅"],
        policy={"title": "处理意见", "number": "粤人社〔2026〕1号", "date": "2026-01-15", "text": "先行垫付"},
        group_ids=[gid],
    )
    assert made.lead_unit == "省人力资源社会保障厅"
    assert made.member_units == ["省人力资源社会保障厅", "广州市", "省住房城乡建设厅"]
    assert made.status_label == "工作中" and made.cases == 10
    with pytest.raises(ConflictError, match="一个类案组只能属于一个专项小组"):
        service.special_groups.create(
            name="另一组", lead_unit="省人社厅", member_units=[], policy={"title": "t"}, group_ids=[gid]
        )
    group_now = service.special_groups.start_batch(made.id, gid)
    assert group_now.policy_note.startswith("处理意见（粤人社〔2026〕1号）")
    seen = service.groups.preview(gid, "resolved")
    out = service.groups.decide(gid, "统一处理", "resolved", token=seen.token)
    assert service.groups.decisions(gid)[0]["special_group_id"] == made.id and out["cases"] == 9
    done = service.special_groups.update(made.id, status="concluded")
    assert done.status_label == "已结束"
    with pytest.raises(ConflictError, match="已结束，不能再修改"):
        service.special_groups.update(made.id, status="dissolved")
    with pytest.raises(NotFoundError):
        service.special_groups.get(999)


@pytest.mark.parametrize("leave_alone", [[], ["closed"], ["closed", "unresolved"]])
def test_the_preview_counts_and_ids_are_exactly_what_the_database_shows_applied(
    service: LeianService, group: tuple[int, dict[str, int]], clock: FixedClock, leave_alone: list[str]
) -> None:
    """Done-when (issue 18): the preview matches what is applied — its numbers and its case ids against
    the database read by hand afterwards (status columns, the status log, the recorded moves and the
    decision's rows), not against what ``decide`` says about itself."""
    gid, ids = group
    clock.advance(days=1)
    seen = service.groups.preview(gid, "resolved", leave_alone)
    change, left, same = ({c.case_id for c in part} for part in (seen.change, seen.left, seen.same))
    assert f"将把 {len(change)} 件" in seen.message and change and not change & (left | same)
    assert change | left | same == set(ids.values())
    assert {c.case_id: c.status for c in seen.left} == {
        i: s for i, s in _statuses(service, ids).items() if s in leave_alone
    }
    before = _statuses(service, ids)
    service.groups.decide(gid, "统一处理", "resolved", token=seen.token, leave_alone=leave_alone, reply="已答复")
    after = _statuses(service, ids)
    assert {i for i in after if after[i] != before[i]} == change
    assert all(after[i] == "resolved" for i in change) and all(after[i] == before[i] for i in left | same)
    logged = service.db.query(
        "SELECT case_id, status, effective_on FROM case_status_log WHERE source = 'batch' ORDER BY case_id"
    )
    assert [(r["case_id"], r["status"], r["effective_on"]) for r in logged] == [
        (i, "resolved", "2026-03-03") for i in sorted(change)
    ]
    moved = service.db.query("SELECT case_id FROM case_transitions WHERE action = 'batch_decision'")
    assert sorted(r["case_id"] for r in moved) == sorted(change)
    rows = service.db.query("SELECT case_id, new_status, reply FROM case_decisions")
    assert {r["case_id"] for r in rows if r["new_status"]} == change
    assert {r["case_id"] for r in rows if r["reply"]} == change | same  # a reply per covered case
    assert {r["case_id"] for r in rows if not r["reply"]} == left


def _statuses(service: LeianService, ids: dict[str, int]) -> dict[int, str]:
    marks = ", ".join("?" * len(ids))
    rows = service.db.query(f"SELECT id, status FROM cases WHERE id IN ({marks})", list(ids.values()))
    return {int(r["id"]): str(r["status"]) for r in rows}
