"""Handling a petition in the browser, as each role does it (issue 14's scenario, end to end):

registered → accepted → dual-assigned to 广州市 and 省交通运输厅 → signed for by both, each records
its part → extended once → answered → rated 不满意 → 复查 requested and answered → concluded once
the recheck window has passed. Along the way: errors inside the open assignment dialog, the unread
count in the nav, the 我的待办 queue, the inbox, a 督办单 answered by the unit, the petitioner page
and the 已超期 list filter.
"""

from __future__ import annotations

from typing import Any

from tests.api.web.browsing import MARKS, expect, login, shot

pytestmark = MARKS

PETITION = {
    "external_no": "GD2025-0303-000009",
    "title": "货车司机反映网络货运平台拖欠运费",
    "content": "我们是广州市白云区的货车司机，某网络货运平台以结算周期为由拖欠三十余名司机运费三个月，"
    "多次到平台办公地点讨要未果，请求交通运输部门督促平台支付。",
    "received_date": "2025-03-03",
    "city": "广州市",
    "department": "省交通运输厅",
    "category": "货运平台拖欠运费",
    "channel": "网上",
    "petitioner_name": "刘某某",
    "petitioner_phone": "13900001111",
}


def step(page: Any, action: str, **fields: str) -> None:
    """Run one lifecycle step from the 办理阶段 card: its dialog, its inputs, submit."""
    page.locator(f'#lc-actions button[data-action="{action}"]').click()
    dialog = page.locator("#lc-dialog")
    for name, value in fields.items():
        dialog.locator(f'[name="{name}"]').fill(value)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_have_count(0)


def test_a_petition_is_handled_end_to_end_by_every_role(live: Any, browser: Any) -> None:
    server, service = live
    service.ingest([(1, PETITION)])
    case = service.cases.get_by_external(PETITION["external_no"])
    assert case is not None
    url = f"{server.url}/cases/{case.id}"

    # 省级经办人: 受理, then 双向交办 — a refusal stays inside the open dialog, in words.
    page = login(browser, server.url, "handler")
    page.goto(url)
    expect(page.locator("#lc-stage .badge")).to_have_text("登记")
    step(page, "accept")
    expect(page.locator("#lc-stage")).to_have_attribute("data-stage", "accepted")
    page.click("#assign-btn")
    dialog = page.locator("#assign-dialog")
    dialog.locator('[name="locality"]').fill("广州市")
    dialog.locator('[name="departments"]').fill("省交通运输厅、省人力资源社会保障厅")
    dialog.locator('[name="lead"]').fill("")
    dialog.locator("button[type=submit]").click()
    errors = dialog.locator(".dlg-errors")
    expect(errors).to_contain_text("主责单位：")
    assert errors.locator("li").count() == 1 and "字段 lead" not in errors.inner_text()
    expect(dialog.locator('[name="locality"]')).to_have_value("广州市")
    shot(page, "10-assign-dialog-error")
    dialog.locator('[name="lead"]').fill("省交通运输厅")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_have_count(0)
    rows = page.locator("#assignments tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator('#assignments tr[data-unit="广州市"]')).to_contain_text("待签收")
    # A 督办单 to the locality, answered below by the locality itself.
    page.click("#order-btn")
    order = page.locator("#order-dialog")
    order.locator('[name="unit"]').fill("广州市")
    order.locator('[name="requirement"]').fill("请于期限内报告运费清偿进展")
    order.locator('[name="deadline"]').fill("2025-03-20")
    order.locator("button[type=submit]").click()
    expect(page.locator("#notices li")).to_have_count(1)
    page.context.close()

    # 广州市 handler: the nav counts unread items; the queue lists the case to sign for.
    gz = login(browser, server.url, "gz_handler")
    expect(gz.locator("#inbox-count")).to_be_visible()
    assert int(gz.locator("#inbox-count").inner_text()) >= 1
    gz.goto(f"{server.url}/queue")
    sign_row = gz.locator(f'#q-table tbody tr[data-case-id="{case.id}"]')
    expect(sign_row).to_contain_text("签收期限")
    shot(gz, "11-queue")
    sign_row.locator("button.primary").click()
    expect(gz.locator(f'#q-table tbody tr[data-case-id="{case.id}"]')).to_have_count(0)
    gz.goto(f"{server.url}/inbox")
    expect(gz.locator('#ib-list li[data-kind="order"]')).to_have_count(1)
    shot(gz, "12-inbox")
    gz.goto(url)
    mine = gz.locator('#assignments tr[data-unit="广州市"]')
    expect(mine).to_contain_text("已签收")
    mine.locator('button[data-act="answer"]').click()
    answer = gz.locator("#answer-dialog")
    answer.locator('[name="text"]').fill("已约谈平台，平台承诺分两期支付拖欠运费。")
    answer.locator('[name="resolved"]').select_option("true")
    answer.locator("button[type=submit]").click()
    expect(mine).to_contain_text("已约谈平台")
    gz.locator('#notices li[data-kind="order"] button[data-act="reply-order"]').click()
    gz.locator("#reply-dialog [name=text]").fill("已督促平台支付首期运费，余款月底前结清。")
    gz.locator("#reply-dialog button[type=submit]").click()
    expect(gz.locator('#notices li[data-kind="order"]')).to_contain_text("已回复")
    gz.context.close()

    # 省交通运输厅 officer: signs for the department assignment and gives its guidance.
    jt = login(browser, server.url, "jt_officer")
    jt.goto(url)
    dept = jt.locator('#assignments tr[data-unit="省交通运输厅"]')
    dept.locator('button[data-act="sign"]').click()
    expect(dept).to_contain_text("已签收")
    dept.locator('button[data-act="answer"]').click()
    jt.locator("#answer-dialog [name=text]").fill("依据网络货运经营管理办法，督促平台按约结算并纳入信用监管。")
    jt.locator("#answer-dialog button[type=submit]").click()
    expect(dept).to_contain_text("指导意见")
    jt.context.close()

    # Back at the province: 延期 once, 答复, 不满意, 复查, and 终结 after the recheck window.
    page = login(browser, server.url, "handler")
    page.goto(url)
    expect(page.locator('#assignments tr[data-unit="广州市"]')).to_contain_text("已约谈平台")
    due = service.lifecycle.state(case.id).due_date
    step(page, "extend", reason="平台分期支付，需跟踪第二期到账", approver="王处长")
    expect(page.locator("#lc-state")).to_contain_text("已延期")
    assert service.lifecycle.state(case.id).due_date > due
    expect(page.locator('#lc-actions button[data-action="extend"]')).to_have_count(0)
    step(page, "reply", text="经属地和交通运输部门核查，平台已支付首期运费，余款限期结清。")
    expect(page.locator("#lc-stage")).to_have_attribute("data-stage", "replied")
    page.click("#eval-btn")
    page.locator("#eval-dialog [name=rating]").select_option("unsatisfied")
    page.locator("#eval-dialog [name=note]").fill("余款尚未到账")
    page.locator("#eval-dialog button[type=submit]").click()
    expect(page.locator("#eval-hint")).to_contain_text("复查")
    step(page, "request_review", reason="信访人对答复不满意，申请复查")
    expect(page.locator("#lc-stage")).to_have_attribute("data-stage", "review_requested")
    step(page, "review_reply", text="复查认为原答复事实清楚，平台已结清全部运费。")
    expect(page.locator("#lc-stage")).to_have_attribute("data-stage", "reviewed")
    shot(page, "13-case-handling")
    expect(page.locator('#lc-actions button[data-action="conclude"]')).to_have_count(0)
    window = service.settings.recheck_request_days
    service.kernel.clock.advance(days=window + 1)
    page.reload()
    step(page, "conclude")
    expect(page.locator("#lc-stage")).to_have_attribute("data-stage", "concluded")
    history = page.locator("#lc-history").inner_text()
    for label in ("受理", "延期", "答复", "复查申请", "复查意见", "终结"):
        assert label in history
    assert "王处长" in history

    # The petitioner's page lists the case; the list filter 已超期 shows only overdue cases.
    page.click("#petitioner-link")
    expect(page.locator(f'#pt-cases tbody tr[data-case-id="{case.id}"]')).to_contain_text("不满意")
    assert "13900001111" not in page.content() and "刘某某" not in page.content()
    shot(page, "14-petitioner")
    page.goto(f"{server.url}/")
    expect(page.locator("#recent tbody tr[data-case-id]").first).to_be_visible()
    with page.expect_response(lambda r: "/api/cases?" in r.url and "deadline=overdue" in r.url):
        page.select_option("#f-due_date", "overdue")
    rows = page.locator("#recent tbody tr[data-case-id]")
    expect(rows.first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert rows.count() == rows.locator(".badge:text('已超期')").count() > 0
    assert page.errors == []
