"""诉访分离 hand-over on a real store: referral to a named court, the court's 查/纠/解/退 steps, the
三到位一处理 checklist, 司法救助, 依法终结 through the lifecycle, 并案, scope, deadlines and the inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from indexing.segment import Segmenter
from kb.audit import AuditFilter
from kb.clock import FixedClock
from kb.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.service import LeianService
from kb.users import SYSTEM, Principal
from kb.workflow import reports
from tests.handling_helpers import START, account, clocked_service, ingest, row

COURT_TEXT = (
    "本人与某公司劳动争议一案，广州市某区人民法院作出生效判决后，申请强制执行至今未执行到位，执行法官不予答复。"
)


@pytest.fixture
def world(tmp_path: Path, segmenter: Segmenter) -> dict[str, Any]:
    clock = FixedClock(START)
    service = clocked_service(tmp_path, segmenter, clock)
    people = {
        "gz": account(service, "gz", "handler", "广州市"),
        "sz": account(service, "sz", "handler", "深圳市"),
        "court": account(service, "court", "handler", "广州市中级人民法院"),
        "sz_court": account(service, "sz_court", "handler", "深圳市中级人民法院"),
    }
    zf, _ = service.users.create("zf", "handler", "Handling-2026!", unit="省委政法委", scope="zhengfa")
    people["zf"] = zf
    ids = ingest(
        service,
        row("GZ-L1", COURT_TEXT, city="广州市", petitioner_name="王大明", status="in_progress"),
        row("GZ-L2", COURT_TEXT.replace("劳动争议", "买卖合同纠纷"), city="广州市", status="in_progress"),
        row("SZ-L1", COURT_TEXT, city="深圳市", status="in_progress"),
        row("GZ-P", "小区门口道路破损，请求尽快维修。", city="广州市"),
    )
    return {"service": service, "clock": clock, "p": people, "ids": ids}


def test_a_court_records_the_steps_and_the_case_is_concluded_by_law(world: dict[str, Any]) -> None:
    s: LeianService = world["service"]
    p: dict[str, Principal] = world["p"]
    clock: FixedClock = world["clock"]
    case = world["ids"][0]
    assert s.cases.get(case).litigation
    # The court does not see the case before it is referred to it.
    with pytest.raises(NotFoundError):
        s.handover.dossier(case, p["court"])
    done = s.handover.refer([case], unit="广州中院", note="请依法核查执行情况", actor=p["gz"])
    assert done["unit"] == "广州市中级人民法院" and done["case_ids"] == [case]
    assert done["feedback_due"] == "2026-12-31"  # 30 days by default (litigation_feedback_days)
    ref = done["referrals"][0]
    assert ref["unit_type"] == "court" and ref["status"] == "referred" and ref["supervisor"] == "省委政法委"
    assert s.workflow.litigation_track(case)["status"] == "handed_over"
    # The referring handler cannot type the 政法 feedback; another court sees nothing.
    with pytest.raises(PermissionDeniedError, match="广州市中级人民法院"):
        s.handover.step(ref["id"], "check", "已核查", p["gz"])
    with pytest.raises(NotFoundError):
        s.handover.step(ref["id"], "check", "已核查", p["sz_court"])
    # A step not allowed from the status is refused with the allowed next steps.
    with pytest.raises(InvalidInputError, match="可执行：核查、退回"):
        s.handover.step(ref["id"], "resolve", "已化解", p["court"])
    clock.advance(days=2)
    dossier = s.handover.step(
        ref["id"], "check", "经核查，执行案件因被执行人无可供执行财产终结本次执行程序", p["court"]
    )
    assert dossier["current"]["status"] == "checked" and dossier["current"]["answered_at"] is None
    step = dossier["current"]["steps"][-1]
    assert (step["actor"], step["actor_unit"], step["at"]) == (
        "court",
        "广州市中级人民法院",
        "2026-12-03T09:00:00+08:00",
    )
    # 依法终结 needs the checklist and a decided 司法救助 request.
    with pytest.raises(InvalidInputError, match="三到位一处理清单尚未填写"):
        s.handover.step(ref["id"], "conclude", "依法终结", p["court"])
    with pytest.raises(PermissionDeniedError):
        s.handover.record_checklist(case, [{"item": "hardship", "applies": True, "done": True}], p["gz"])
    s.handover.record_checklist(
        case,
        [
            {"item": "unreasonable", "applies": True, "done": True, "note": "已释法明理"},
            {"item": "hardship", "applies": True, "done": False},
            {"item": "illegal", "applies": False},
        ],
        p["court"],
    )
    s.handover.request_aid(case, applicant="王大明", amount=20000, reason="生活困难", actor=p["court"])
    with pytest.raises(InvalidInputError) as refused:
        s.handover.step(ref["id"], "conclude", "依法终结", p["court"])
    assert "生活困难的帮扶救助到位" in str(refused.value.problems) and "尚未作出决定" in str(refused.value.problems)
    aid_id = s.handover.dossier(case, p["court"])["judicial_aid"][0]["id"]
    with pytest.raises(InvalidInputError, match="少于申请金额"):
        s.handover.decide_aid(aid_id, decision="partly", amount=20000, actor=p["court"])
    clock.advance(days=1)
    s.handover.decide_aid(aid_id, decision="partly", amount=12000, note="按标准核定", actor=p["court"])
    with pytest.raises(ConflictError):
        s.handover.decide_aid(aid_id, decision="refused", actor=p["court"])
    s.handover.record_checklist(case, [{"item": "hardship", "applies": True, "done": True}], p["court"])
    backlog_before = _backlog(s)
    clock.advance(days=1)
    dossier = s.handover.step(ref["id"], "conclude", "诉求已依法处理，予以终结", p["court"])
    assert dossier["referrals"][0]["status"] == "concluded" and dossier["current"] is None
    assert dossier["judicial_aid"][0]["decided_amount"] == 12000 and dossier["judicial_aid"][0]["applicant"] != "王大明"
    assert [c["done"] for c in dossier["checklist"]] == [False, True, True, False]
    # Through the lifecycle: 终结 with the legal-conclusion move, 已办结, out of the backlog.
    state = s.lifecycle.state(case)
    assert state.stage == "concluded" and state.transitions[-1].action == "legal_conclusion"
    assert s.cases.get(case).status == "closed" and s.cases.get(case).resolved_date == "2026-12-05"
    assert s.workflow.litigation_track(case)["status"] == "concluded"
    assert _backlog(s) == backlog_before - 1
    with pytest.raises(InvalidInputError, match="没有可执行的步骤"):
        s.handover.step(ref["id"], "resolve", "x", p["court"])


def _backlog(s: LeianService) -> int:
    today = s.clock.today()
    return reports.period_report(s.db, "city", today, today, None, 0).total.backlog


def test_return_with_reason_and_refer_again(world: dict[str, Any]) -> None:
    s, p, case = world["service"], world["p"], world["ids"][0]
    ref = s.handover.refer([case], unit="广州市中级人民法院", actor=p["gz"])["referrals"][0]
    with pytest.raises(ConflictError, match="不能重复移交"):
        s.handover.refer([case], unit="省人民检察院", actor=p["gz"])
    with pytest.raises(InvalidInputError, match="退回理由"):
        s.handover.step(ref["id"], "return", " ", p["court"])
    s.handover.step(ref["id"], "return", "不属于本院管辖，系检察监督事项", p["court"])
    assert s.workflow.litigation_track(case)["status"] == "flagged"
    inbox = {i.key: i for i in s.inbox.items(p["gz"])}
    assert inbox[f"referral:{ref['id']}:answered"].kind_label == "诉访分离移交被退回"
    again = s.handover.refer([case], unit="省检察院", actor=p["gz"])
    assert again["referrals"][0]["unit_type"] == "procuratorate"
    # The court still sees the case it was once referred (its own record), not the others.
    assert s.handover.dossier(case, p["court"])["referrals"][0]["status"] == "returned"


def test_deadlines_overdue_and_inbox(world: dict[str, Any]) -> None:
    s, p, clock, case = world["service"], world["p"], world["clock"], world["ids"][0]
    ref = s.handover.refer([case], unit="广州市中级人民法院", feedback_days=10, actor=p["gz"])["referrals"][0]
    assert ref["feedback_due"] == "2026-12-11"
    assert f"referral:{ref['id']}" in {i.key for i in s.inbox.items(p["court"])}
    with pytest.raises(InvalidInputError, match="反馈期限"):
        s.handover.refer([world["ids"][1]], unit="广州市中级人民法院", feedback_days=0, actor=p["gz"])
    clock.advance(days=11)
    listed = s.handover.referrals(overdue=True, actor=p["zf"])
    assert [(r["case_id"], r["overdue_days"]) for r in listed] == [(case, 1)]
    assert f"referral:{ref['id']}:overdue" in {i.key for i in s.inbox.items(p["zf"])}
    assert f"referral:{ref['id']}:overdue" in {i.key for i in s.inbox.items(p["court"])}
    s.handover.step(ref["id"], "check", "核查中", p["court"])  # 核查 alone is not feedback
    assert s.handover.referrals(overdue=True, actor=p["zf"])
    s.handover.step(ref["id"], "resolve", "已与信访人达成执行和解", p["court"])
    assert s.handover.referrals(overdue=True, actor=p["zf"]) == []
    assert s.workflow.litigation_track(case)["status"] == "feedback"


def test_scope_of_the_lists(world: dict[str, Any]) -> None:
    s, p, ids = world["service"], world["p"], world["ids"]
    s.handover.refer([ids[0]], unit="广州市中级人民法院", actor=p["gz"])
    s.handover.refer([ids[2]], unit="深圳市中级人民法院", actor=p["sz"])
    with pytest.raises(NotFoundError):
        s.handover.refer([ids[2]], unit="广州市中级人民法院", actor=p["gz"])  # another city's case
    assert {r["case_id"] for r in s.handover.referrals(actor=p["zf"])} == {ids[0], ids[2]}
    assert {r["case_id"] for r in s.handover.referrals(actor=p["court"])} == {ids[0]}
    assert {r["case_id"] for r in s.handover.referrals(actor=p["gz"])} == {ids[0]}
    assert s.kernel.visible_ids(p["court"], ids) == {ids[0]}  # the scope's SQL, used by every list
    with pytest.raises(InvalidInputError, match="未识别为涉法涉诉"):
        s.handover.refer([ids[3]], unit="广州市中级人民法院", actor=p["gz"])
    with pytest.raises(InvalidInputError, match=r"unit|政法单位"):
        s.handover.refer([ids[1]], unit="省交通运输厅", actor=p["gz"])


def test_handed_together_in_one_handover(world: dict[str, Any]) -> None:
    s, p, ids = world["service"], world["p"], world["ids"]
    done = s.handover.refer([ids[0], ids[1]], unit="广州市中级人民法院", note="同一公司涉众纠纷并案移交", actor=p["gz"])
    assert done["case_ids"] == sorted([ids[0], ids[1]])
    assert {r["handover_id"] for r in done["referrals"]} == {done["id"]}
    # All or nothing: one already referred case refuses the whole batch.
    with pytest.raises(ConflictError):
        s.handover.refer([ids[2], ids[0]], unit="广州市中级人民法院", actor=SYSTEM)
    assert s.handover.dossier(ids[2])["referrals"] == []


def test_old_step_refuses_handover_states(world: dict[str, Any]) -> None:
    s, p, case = world["service"], world["p"], world["ids"][0]
    with pytest.raises(InvalidInputError, match="/api/litigation/"):
        s.workflow.litigation_step(case, "handed_over", actor=p["gz"])
    s.workflow.litigation_step(world["ids"][1], "dismissed", "非涉法涉诉", p["gz"])
    with pytest.raises(InvalidInputError, match="未识别为涉法涉诉"):  # dismissed: no longer flagged
        s.handover.refer([world["ids"][1]], unit="广州市中级人民法院", actor=p["gz"])


def test_concluded_by_law_leaves_the_handlers_queue(world: dict[str, Any]) -> None:
    s, p, case = world["service"], world["p"], world["ids"][0]
    (done,) = s.assignments.assign(case, locality="广州市", departments=[], actor=SYSTEM)
    s.assignments.sign(done.id, actor=p["gz"])
    assert case in {i.case_id for i in s.assignments.queue(p["gz"]).todo}
    ref = s.handover.refer([case], unit="广州市中级人民法院", actor=p["gz"])["referrals"][0]["id"]
    s.handover.step(ref, "check", "已核查", p["court"])
    s.handover.record_checklist(case, [{"item": "reasonable", "applies": True, "done": True}], p["court"])
    s.handover.step(ref, "conclude", "依法终结", p["court"])
    assert case not in {i.case_id for i in s.assignments.queue(p["gz"]).todo}


def test_a_group_is_handed_over_together(world: dict[str, Any]) -> None:
    s, p, ids = world["service"], world["p"], world["ids"]
    # A 涉众 group of the three litigation cases and the plain one (membership as discovery writes it).
    with s.db.transaction() as conn:
        conn.execute("INSERT INTO case_groups(id, name, created_at, updated_at) VALUES (7, '执行款', 'x', 'x')")
        conn.executemany(
            "INSERT INTO group_members(case_id, group_id, source, assigned_at) VALUES (?, 7, 'auto', 'x')",
            [(i,) for i in ids],
        )
    s.handover.refer([ids[1]], unit="省人民检察院", actor=p["gz"])  # already referred: left out
    done = s.handover.refer_group(7, unit="广州市中级人民法院", note="涉众并案", actor=p["gz"])
    assert done["group_id"] == 7 and done["case_ids"] == [ids[0]]  # 广州市's, litigation-related, not referred
    everything = s.handover.refer_group(7, unit="深圳市中级人民法院", actor=SYSTEM)
    assert everything["case_ids"] == [ids[2]]
    with pytest.raises(InvalidInputError, match="没有可移交"):
        s.handover.refer_group(7, unit="广州市中级人民法院", actor=SYSTEM)


def test_a_track_handed_over_before_migration_18_can_be_referred(world: dict[str, Any]) -> None:
    s, p, case = world["service"], world["p"], world["ids"][0]
    # Before the hand-over existed, "已移交" was a free-text state without a receiving unit.
    with s.db.transaction() as conn:
        conn.execute("UPDATE litigation_tracks SET status = 'handed_over' WHERE case_id = ?", (case,))
    done = s.handover.refer([case], unit="广州市中级人民法院", actor=p["gz"])
    assert done["referrals"][0]["status"] == "referred"
    assert [e["status"] for e in s.workflow.litigation_track(case)["events"]][-1] == "handed_over"


def test_every_hand_over_write_is_audited_in_its_transaction(world: dict[str, Any]) -> None:
    """Refer, each 查 / 纠 / 解 / 退 step, the checklist, 司法救助 and 依法终结 leave a ``litigation.*``
    event naming the actor, unit and record (kb/audit.py), whichever door wrote them; the applicant's
    name is never in it. A refused step leaves none."""
    s: LeianService = world["service"]
    p: dict[str, Principal] = world["p"]
    first, second = world["ids"][0], world["ids"][1]
    ref = s.handover.refer([first], unit="广州中院", note="请核查", actor=p["gz"])["referrals"][0]["id"]
    with pytest.raises(InvalidInputError):
        s.handover.step(ref, "resolve", "未核查先化解", p["court"])
    s.handover.step(ref, "check", "已核查", p["court"])
    s.handover.step(ref, "correct", "已纠正执行程序", p["court"])
    s.handover.record_checklist(first, [{"item": "hardship", "applies": True, "done": True}], p["court"])
    s.handover.request_aid(first, applicant="王大明", amount=5000, actor=p["court"])
    aid_id = s.handover.dossier(first, p["court"])["judicial_aid"][0]["id"]
    s.handover.decide_aid(aid_id, decision="granted", actor=p["court"])
    s.handover.step(ref, "resolve", "已化解", p["court"])
    s.handover.step(ref, "conclude", "依法终结", p["court"])
    back = s.handover.refer([second], unit="广州市中级人民法院", actor=p["gz"])["referrals"][0]["id"]
    s.handover.step(back, "return", "不属于本院管辖", p["court"])
    events, _ = s.audit.query(AuditFilter(action="litigation"), limit=100)
    got = [(e["action"], e["username"], e["unit"], e["record_id"]) for e in reversed(events)]
    court, gz = ("court", "广州市中级人民法院"), ("gz", "广州市")
    assert got == [
        ("litigation.refer", *gz, str(first)),
        ("litigation.check", *court, str(first)),
        ("litigation.correct", *court, str(first)),
        ("litigation.checklist", *court, str(first)),
        ("litigation.aid_request", *court, str(first)),
        ("litigation.aid_decision", *court, str(first)),
        ("litigation.resolve", *court, str(first)),
        ("litigation.conclude", *court, str(first)),
        ("litigation.refer", *gz, str(second)),
        ("litigation.return", *court, str(second)),
    ]
    by_action = {e["action"]: e["detail"] for e in events}
    assert by_action["litigation.refer"]["unit"] == "广州市中级人民法院"
    assert by_action["litigation.conclude"] == {
        "referral_id": ref,
        "unit": "广州市中级人民法院",
        "from": "resolved",
        "to": "concluded",
    }
    assert by_action["litigation.aid_decision"]["amount"] == 5000
    assert "王大明" not in str(events)
