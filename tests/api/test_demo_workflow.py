"""The demo's handling history (api/cli/demo_workflow.py) on the first 300 sample rows: every state the
workbench shows appears (overdue cases, a returned assignment, a 复查, a 不满意 evaluation, an open
督办单, a 终结), each account sees its own part, and a restart does not replay it again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import cli, demo_workflow, register_commands
from api.cli.cases import SAMPLES, demo_users
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.service import LeianService
from tests.conftest import make_settings


def first_rows(n: int = 300) -> list[dict[str, object]]:
    with SAMPLES.open(encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]


@pytest.fixture
def demo(tmp_path: Path, segmenter: Segmenter) -> Iterator[LeianService]:
    service = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
    service.ingest([(None, r) for r in first_rows()])
    demo_users(service, tmp_path)
    yield service
    service.close()


def stages(service: LeianService) -> dict[int, str]:
    return {c.id: c.stage for c in service.cases.get_many(service.cases.all_ids()).values()}


def test_the_replay_shows_every_state(demo: LeianService) -> None:
    summary = demo_workflow.replay(demo)
    done = {line.split("：")[0] for line in summary.lines}
    assert {"受理", "双向交办", "退回交办", "催办", "终结", "人工关联重复信访"} <= done
    users = {name: demo.users.by_username(name) for name in ("handler", "gz_handler", "sz_handler", "jt_officer")}

    # Overdue: imported 待办 / 办理中 cases whose statutory dates have passed.
    cases = demo.cases.get_many(demo.cases.all_ids()).values()
    assert {c.stage for c in cases if c.overdue} >= {"registered", "accepted"}
    by_stage = stages(demo)
    assert "reviewed" in by_stage.values() and "concluded" in by_stage.values()

    # The fully handled case: signed by both units, extended, 不满意, then 复查已答复.
    (reviewed,) = [cid for cid, st in by_stage.items() if st == "reviewed"]
    state = demo.lifecycle.state(reviewed)
    assert state.extended
    actions = [t.action for t in state.transitions]
    assert actions[-4:] == ["extend", "reply", "request_review", "review_reply"]
    ratings = demo.evaluations.state(reviewed).evaluations
    assert [e["rating"] for e in ratings] == ["unsatisfied"]

    # A returned assignment with its reason; the department sees the case across cities.
    returned = [a for cid in by_stage for a in demo.assignments.history(cid) if a.status == "returned"]
    assert len(returned) == 1 and "不属于" in (returned[0].return_reason or "")
    assert demo.kernel.get_case(returned[0].case_id, users["jt_officer"]).city == "广州市"

    # An open 督办单 to 深圳市, due after today; the 深圳市 handler has it in the inbox.
    (order,) = demo.supervision.orders(status="pending")
    assert order.unit == "深圳市" and order.deadline > demo.clock.today().isoformat()
    kinds = {item.kind for item in demo.inbox.items(users["sz_handler"])}
    assert "order" in kinds

    # The manual repeat link is recorded as such.
    linked = next(line for line in summary.lines if line.startswith("人工关联"))
    first, second = (int(part.lstrip("#")) for part in linked.split("：")[1].split("、"))
    (event,) = demo.petitioners.case_links(first)["history"]
    assert event["action"] == "link" and {event["case_id"], event["other_id"]} == {first, second}

    # Restarting the demo does not replay again.
    assert demo_workflow.replayed(demo)
    assert demo_workflow.replay(demo).lines == []
    assert stages(demo) == by_stage


def test_leian_demo_replays_once_after_the_import(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in first_rows()), encoding="utf-8")
    register_commands()
    args = [
        "--data-dir",
        str(tmp_path / "demo"),
        "--encoder",
        "hashing",
        "demo",
        "--no-serve",
        "--samples",
        str(samples),
    ]
    first = CliRunner().invoke(cli, args, env={"LEIAN_THREADS": "1", "LEIAN_INGEST_WORKERS": "1"})
    assert first.exit_code == 0, first.output
    assert "演示办理记录" in first.output and "退回交办" in first.output
    assert "zf_officer" in first.output and "dc1_supervisor" in first.output
    again = CliRunner().invoke(cli, args, env={"LEIAN_THREADS": "1", "LEIAN_INGEST_WORKERS": "1"})
    assert again.exit_code == 0, again.output
    assert "跳过导入" in again.output and "演示办理记录" not in again.output


def test_the_replay_registers_leaders_with_a_package_each_and_a_special_group(demo: LeianService) -> None:
    demo.groups.discover()
    demo_workflow.replay(demo)
    leaders = demo.workflow.leaders()
    assert len(leaders) == 3 and all(ld.open_packages == 1 for ld in leaders)
    for ld in leaders:
        (package,) = demo.workflow.package_list(leader_id=ld.id)
        assert package.total >= 1 and package.plan and package.deadline and len(package.milestones) == 2
        assert {str(c["category"]) for c in package.cases} <= set(ld.domains)
        assert {str(c["status"]) for c in package.cases} <= {"pending", "in_progress", "unresolved"}
    (special,) = demo.special_groups.list()
    assert special.policy_number == "粤信专〔2026〕1号" and special.groups[0]["batch_status"] == "handling"
    preview = demo.groups.preview(special.groups[0]["id"], "resolved", ["closed"])
    assert preview.message.startswith("将把 ")


def test_the_replay_hands_litigation_cases_over(demo: LeianService) -> None:
    summary = demo_workflow.replay(demo)
    assert any(line.startswith("诉访分离：移交广州市中级人民法院，核查、司法救助") for line in summary.lines)
    zf = demo.users.by_username("zf_officer")
    court = demo.users.by_username("gz_court")
    assert zf is not None and court is not None
    seen = demo.handover.referrals(actor=zf)
    concluded = [r for r in seen if r["status"] == "concluded"]
    assert len(concluded) == 1 and concluded[0]["unit"] == "广州市中级人民法院"
    dossier = demo.handover.dossier(concluded[0]["case_id"], court)
    assert [s["action"] for s in dossier["referrals"][0]["steps"]] == ["refer", "check", "resolve", "conclude"]
    assert dossier["judicial_aid"][0]["decision"] == "partly" and dossier["judicial_aid"][0]["decided_amount"] == 12000
    assert dossier["checklist_gaps"] == [] and dossier["stage"] == "concluded"
    # The court sees its own two referrals; the one still open waits in its inbox.
    assert {r["unit"] for r in demo.handover.referrals(actor=court)} == {"广州市中级人民法院"}
    assert "litigation_referral" in {i.kind for i in demo.inbox.items(court)}
