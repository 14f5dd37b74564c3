"""领导包案 and 专项小组 pages in a real browser: the leader's office page shows the progress report
with its definition and the packages; the special group page previews a batch decision and applies
exactly the previewed cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.web.browsing import MARKS, expect, login, shot

pytestmark = MARKS


def test_leader_office_page_shows_packages_and_progress(live: Any, browser: Any) -> None:
    server, service = live
    wf = service.workflow
    open_cases = [c for c in service.cases.get_many(service.cases.all_ids()).values() if c.status == "pending"]
    category = sorted({c.category for c in open_cases if c.category})[0]
    who = wf.register_leader(name="网页测试领导", post="副厅长", unit="省信访局", domains=[category])
    made = wf.create_package(
        leader_id=who.id, limit=2, plan="逐案约见", deadline=service.clock.today() + dt.timedelta(days=30)
    )
    wf.add_milestone(made.id, "首次接访", service.clock.today() + dt.timedelta(days=5))
    page = login(browser, server.url, "supervisor")
    page.goto(f"{server.url}/leaders")
    row = page.locator('#ld-table tbody tr[data-leader="网页测试领导"]')
    expect(row).to_contain_text("副厅长")
    expect(row.locator("td").nth(6)).to_have_text(str(made.total))
    expect(page.locator("#ld-definition")).to_contain_text("办结率 = 包案案件中状态为已化解或已办结的件数")
    card = page.locator(f'article[data-package-id="{made.id}"]')
    expect(card).to_contain_text("首次接访")
    expect(card).to_contain_text("方案：逐案约见")
    assert "/api/workflow/packages/report/export?format=xlsx" in (
        page.locator("#ld-export").get_attribute("href") or ""
    )
    assert page.errors == []


def test_special_group_batch_preview_matches_what_is_applied(live: Any, browser: Any) -> None:
    server, service = live
    candidates = [g for g in service.groups.list_groups() if g.state == "active" and not g.batch_status]
    open_statuses = ("pending", "in_progress", "unresolved")

    def open_members(gid: int) -> int:
        return sum(c.status in open_statuses for c in service.groups.members(gid, limit=10_000)[0])

    target = min((g for g in candidates if open_members(g.id)), key=lambda g: g.size)
    special = service.special_groups.create(
        name="网页测试专项小组",
        lead_unit="省信访局",
        member_units=["广州市"],
        policy={"title": "统一处理意见", "number": "测〔2025〕1号", "date": "2025-02-01"},
        group_ids=[target.id],
    )
    service.special_groups.start_batch(special.id, target.id)
    before = {c.id: c.status for c in service.groups.members(target.id, limit=10_000)[0]}
    page = login(browser, server.url, "admin")
    page.goto(f"{server.url}/special-groups/{special.id}")
    expect(page.locator("#sg-policy")).to_contain_text("测〔2025〕1号")
    page.locator(f'#sg-groups tr[data-group-id="{target.id}"] button[data-action="decide"]').click()
    dialog = page.locator("#decide-dialog")
    dialog.locator("#bd-decision").fill("按统一处理意见化解")
    dialog.locator("#bd-status").select_option("resolved")
    expect(dialog.locator("#bd-apply")).to_be_disabled()  # nothing is applied before a preview
    dialog.locator("#bd-preview-btn").click()
    expect(dialog.locator("#bd-message")).to_contain_text("状态改为已化解")
    message = dialog.locator("#bd-message").inner_text()
    expected = service.groups.preview(target.id, "resolved", ["closed"]).message
    assert message == expected
    # Changing a choice invalidates the preview.
    dialog.locator("#bd-keep-unresolved").check()
    expect(dialog.locator("#bd-apply")).to_be_disabled()
    dialog.locator("#bd-keep-unresolved").uncheck()
    dialog.locator("#bd-preview-btn").click()
    expect(dialog.locator("#bd-message")).to_have_text(expected)
    dialog.locator("#bd-apply").click()
    expect(page.locator(f'#sg-groups tr[data-group-id="{target.id}"]')).to_contain_text("已作出批量决定")
    after = {c.id: c.status for c in service.groups.members(target.id, limit=10_000)[0]}
    changed = {i for i in after if after[i] != before[i]}
    expected_ids = {i for i, s in before.items() if s not in ("resolved", "closed")}
    assert changed == expected_ids
    assert all(after[i] == "closed" for i, s in before.items() if s == "closed")
    assert page.errors == []


def _submit(page: Any, dialog: str) -> None:
    page.locator(f"#{dialog} button[type=submit]").click()
    expect(page.locator(f"#{dialog}")).to_have_count(0)


def test_leader_office_registers_a_leader_and_runs_a_package(live: Any, browser: Any) -> None:
    """Register a leader, open a package from the ranked candidates (reasons shown), set the plan,
    add and complete a milestone, withdraw it with a reason, download the progress report."""
    server, service = live
    wf = service.workflow
    taken = {int(r[0]) for r in service.db.query("SELECT case_id FROM package_cases")}
    open_cases = [c for c in service.cases.get_many(service.cases.all_ids()).values()
                  if c.status in ("pending", "in_progress") and c.id not in taken and c.category]  # fmt: skip
    counts: dict[str, int] = {}
    for c in open_cases:
        counts[str(c.category)] = counts.get(str(c.category), 0) + 1
    category = max(sorted(counts), key=lambda k: counts[k])
    page = login(browser, server.url, "supervisor")
    page.goto(f"{server.url}/leaders")
    page.locator("#ld-register").click()
    dlg = page.locator("#ld-register-dialog")
    dlg.locator("input[name=name]").fill("流程测试领导")
    dlg.locator("input[name=post]").fill("副厅长")
    dlg.locator("input[name=unit]").fill("省信访局")
    dlg.locator("input[name=domains]").fill(category)
    _submit(page, "ld-register-dialog")
    who = next(x for x in wf.leaders() if x.name == "流程测试领导")
    assert who.domains == [category] and who.unit == "省信访局"
    row = page.locator(f'#ld-leaders tr[data-leader-id="{who.id}"]')
    expect(row).to_contain_text(f"0 / {service.settings.package_max_open}")

    row.locator("button[data-action=pick]").click()
    ranked = wf.package_candidates(None, None, 20, leader_id=who.id)
    table = page.locator("#ld-candidate-table tbody tr")
    expect(table).to_have_count(len(ranked))
    first = page.locator(f'#ld-candidate-table tr[data-case-id="{ranked[0].case_id}"]')
    expect(first.locator("td.reasons")).to_have_text("；".join(ranked[0].reasons))
    for box in page.locator("#ld-candidate-table .pick:checked").all()[2:]:
        box.uncheck()
    chosen = [int(x.get_attribute("value") or 0) for x in page.locator("#ld-candidate-table .pick:checked").all()]
    page.fill("#ld-plan", "逐案约见信访人")
    deadline = (service.clock.today() + dt.timedelta(days=60)).isoformat()
    page.fill("#ld-deadline", deadline)
    page.click("#ld-open")
    expect(page.locator("#ld-candidates-box")).to_be_hidden()
    made = next(p for p in wf.package_list(None) if p.leader_id == who.id)
    assert sorted(int(str(c["id"])) for c in made.cases) == sorted(chosen)
    assert (made.plan, made.deadline) == ("逐案约见信访人", deadline)
    card = page.locator(f'article[data-package-id="{made.id}"]')
    expect(card).to_contain_text("方案：逐案约见信访人")
    expect(row).to_contain_text("1 / ")
    shot(page, "22-leaders")

    card.locator("button[data-action=plan]").click()
    page.locator("#pk-plan-dialog textarea[name=plan]").fill("逐案约见，会同住建部门制定方案")
    _submit(page, "pk-plan-dialog")
    expect(card.locator(".pk-plan")).to_have_text("方案：逐案约见，会同住建部门制定方案")
    card.locator("button[data-action=milestone]").click()
    page.locator("#pk-milestone-dialog input[name=title]").fill("首次约见信访人")
    page.locator("#pk-milestone-dialog input[name=due_date]").fill(service.clock.today().isoformat())
    _submit(page, "pk-milestone-dialog")
    card.locator(".milestones li").filter(has_text="首次约见信访人").locator("button[data-action=done]").click()
    expect(card.locator(".milestones")).to_contain_text(f"{service.clock.today().isoformat()} 完成")
    done = wf.package_progress(made.id).milestones
    assert [(m.title, m.done_date) for m in done] == [("首次约见信访人", service.clock.today().isoformat())]

    expect(page.locator("#ld-definition")).to_contain_text("办结率 =")
    with page.expect_download() as got:
        page.click("#ld-export-csv")
    text = got.value.path().read_bytes().decode("utf-8-sig")
    assert "流程测试领导" in text and "办结率 =" in text

    card.locator("button[data-action=withdraw]").click()
    page.locator("#pk-withdraw-dialog textarea[name=note]").fill("领导岗位调整")
    _submit(page, "pk-withdraw-dialog")
    expect(card).to_contain_text("已撤销")
    assert wf.package_progress(made.id).status == "withdrawn"
    assert page.errors == []


def test_reviewer_founds_a_special_group_decides_in_batch_and_exports(live: Any, browser: Any) -> None:
    """Found a special group from the list page, attach a second case group, start the batch, preview
    leaving closed and unresolved cases alone, apply exactly that, and export one row per member."""
    server, service = live
    held = {int(r[0]) for r in service.db.query("SELECT group_id FROM special_group_groups")}
    free = [g for g in service.groups.list_groups() if g.state == "active" and not g.batch_status and g.id not in held]

    def statuses(gid: int) -> dict[int, str]:
        return {c.id: str(c.status) for c in service.groups.members(gid, limit=10_000)[0]}

    # The group with the most kinds of status (open and closed members), then the smallest.
    target = max(free, key=lambda g: (len(set(statuses(g.id).values())), -g.size, -g.id))
    second = next(g for g in free if g.id != target.id)
    page = login(browser, server.url, "reviewer")
    page.goto(f"{server.url}/special-groups")
    page.locator("#sgl-create").click()
    dlg = page.locator("#sg-create-dialog")
    dlg.locator("input[name=name]").fill("流程测试专项小组")
    dlg.locator("input[name=lead_unit]").fill("省信访局")
    dlg.locator("input[name=member_units]").fill("广州市、深圳市")
    dlg.locator("button[type=submit]").click()
    expect(dlg.locator(".dlg-errors")).to_contain_text("政策文件标题")  # refused in words, nothing lost
    expect(dlg.locator("input[name=name]")).to_have_value("流程测试专项小组")
    dlg.locator("input[name=policy_title]").fill("关于统一处理同类诉求的意见")
    dlg.locator("input[name=policy_number]").fill("测〔2025〕9号")
    dlg.locator("input[name=policy_date]").fill("2025-02-20")
    dlg.locator(f'input[name=group][value="{target.id}"]').check()
    dlg.locator("button[type=submit]").click()
    page.wait_for_url("**/special-groups/*")
    special = next(s for s in service.special_groups.list() if s.name == "流程测试专项小组")
    assert (special.lead_unit, special.member_units) == ("省信访局", ["省信访局", "广州市", "深圳市"])
    assert (special.policy_number, special.policy_date) == ("测〔2025〕9号", "2025-02-20")
    expect(page.locator("#sg-policy")).to_contain_text("测〔2025〕9号")

    page.locator("#sg-attach").click()
    page.locator(f'#sg-attach-dialog input[name=group][value="{second.id}"]').check()
    page.locator("#sg-attach-dialog button[type=submit]").click()
    expect(page.locator(f'#sg-groups tr[data-group-id="{second.id}"]')).to_be_visible()
    assert [g["id"] for g in service.special_groups.get(special.id).groups] == sorted([target.id, second.id])

    row = page.locator(f'#sg-groups tr[data-group-id="{target.id}"]')
    row.locator('button[data-action="batch"]').click()
    expect(row).to_contain_text("批量处理中")
    before = statuses(target.id)
    row.locator('button[data-action="decide"]').click()
    dialog = page.locator("#decide-dialog")
    dialog.locator("#bd-decision").fill("按统一处理意见化解")
    dialog.locator("#bd-reply").fill("您反映的问题已按统一政策处理")
    dialog.locator("#bd-status").select_option("resolved")
    dialog.locator("#bd-keep-unresolved").check()
    dialog.locator("#bd-preview-btn").click()
    expected = service.groups.preview(target.id, "resolved", ["closed", "unresolved"])
    expect(dialog.locator("#bd-message")).to_have_text(expected.message)
    assert expected.message.startswith(f"将把 {len(expected.change)} 件案件")
    shot(page, "23-batch-preview")
    dialog.locator("#bd-apply").click()
    expect(row).to_contain_text("已作出批量决定")
    after = statuses(target.id)
    changed = {i for i in after if after[i] != before[i]}
    assert changed == {c.case_id for c in expected.change}
    assert changed == {i for i, s in before.items() if s not in ("resolved", "closed", "unresolved")}
    replies = service.db.query(
        "SELECT d.case_id, d.new_status, d.reply, d.changed_at FROM case_decisions d JOIN group_decisions g "
        "ON g.id = d.decision_id WHERE g.group_id = ?",
        (target.id,),
    )
    assert {int(r[0]) for r in replies if r[1] == "resolved"} == changed
    assert all(r[2] == "您反映的问题已按统一政策处理" for r in replies if r[1] == "resolved")
    expect(page.locator("#sg-decision-list")).to_contain_text(f"按统一处理意见化解；变更 {len(changed)} 件")
    assert all(r[3] and r[3].startswith(service.clock.today().isoformat()) for r in replies if r[1])

    with page.expect_download() as got:
        page.locator("#sg-export-csv").click()
    text = got.value.path().read_bytes().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("类案组,登记编号,标题")
    by_no = {c.external_no: c.id for c in service.groups.members(target.id, limit=10_000)[0]}
    rows = [line for line in lines if line.startswith(f"#{target.id} ")]
    assert len(rows) == len(before)
    for line in rows:
        cid = next(i for no, i in by_no.items() if f",{no}," in line)
        assert ("已化解" in line and "您反映的问题已按统一政策处理" in line) if cid in changed else "保留不变" in line
    assert "政策文件：关于统一处理同类诉求的意见 测〔2025〕9号（2025-02-20）" in text
    assert page.errors == []
