"""The 攻坚活动 page for supervisors: progress per lead unit, letters, the issued notice with its
figures, the rectification replies, visits and the stated definitions; a city account sees its own rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.web.browsing import MARKS, login, shot
from tests.api.web.browsing import sync_api as sync_api

pytestmark = MARKS


def _campaign(service: Any) -> tuple[int, str]:
    existing = [c for c in service.campaigns.list_all() if c.name == "网页测试攻坚"]
    if existing:
        return existing[0].id, service.campaigns.notices(existing[0].id)[-1]["week_end"]
    cases = [c for c in service.cases.get_many(service.cases.all_ids()).values() if c.city in ("广州市", "深圳市")]
    camp = service.campaigns.create("网页测试攻坚", "2027-06-30", resolution_line=0.99, repeat_line=0.5)
    service.campaigns.add_cases(camp.id, [c.id for c in cases])
    service.campaigns.sign_letter(camp.id, "广州市", resolution_target=0.9, repeat_target=0.05, deadline="2027-06-30",
                                  signed_on=service.clock.today().isoformat(), signatory="广州市联席办")  # fmt: skip
    week = max(c.received_date for c in cases)
    week_end = dt.date.fromisoformat(str(week))
    first = service.campaigns.notice(camp.id, week_end - dt.timedelta(days=7), issue=True)
    if first["rows"]:
        unit = first["rows"][0]["unit"]
        service.campaigns.reply(camp.id, week_end - dt.timedelta(days=7), unit, "已逐案明确包案领导")
    service.campaigns.notice(camp.id, week_end, issue=True)
    service.campaigns.add_visit(camp.id, team="第一督查组", units=["深圳市"], findings="化解方案不具体",
                                starts_on=week_end.isoformat(), ends_on=week_end.isoformat())  # fmt: skip
    return camp.id, week_end.isoformat()


def test_campaign_page_shows_progress_letters_notice_and_definitions(live: Any, browser: Any) -> None:
    server, service = live
    cid, _ = _campaign(service)
    page = login(browser, server.url, "supervisor")
    page.goto(f"{server.url}/campaigns?campaign={cid}")
    sync_api.expect(page.locator("#cp-progress-table tbody tr")).to_have_count(2)
    sync_api.expect(page.locator("#cp-letters-table tbody tr")).to_have_count(1)
    sync_api.expect(page.locator("#cp-notice-table tbody tr").first).to_be_visible()
    sync_api.expect(page.locator("#cp-notice-list button")).to_have_count(2)
    sync_api.expect(page.locator("#cp-replies")).to_contain_text("已逐案明确包案领导")
    sync_api.expect(page.locator("#cp-definitions")).to_contain_text("再次信访率")
    sync_api.expect(page.locator("#cp-visits")).to_contain_text("第一督查组")
    sync_api.expect(page.locator("nav a[href='/campaigns']")).to_be_visible()
    shot(page, "20-campaigns")
    assert page.errors == []


def test_a_city_account_sees_only_its_own_rows(live: Any, browser: Any) -> None:
    server, service = live
    cid, _ = _campaign(service)
    page = login(browser, server.url, "gz_handler")
    page.goto(f"{server.url}/campaigns?campaign={cid}")
    sync_api.expect(page.locator("#cp-progress-table tbody tr")).to_have_count(1)
    sync_api.expect(page.locator("#cp-progress-table tbody")).to_contain_text("广州市")
    sync_api.expect(page.locator("#cp-new")).to_be_hidden()  # creating and listing are provincial
    sync_api.expect(page.locator("#cp-actions")).to_be_hidden()
    assert page.errors == []


def _submit(page: Any, dialog: str) -> None:
    page.locator(f"#{dialog} button[type=submit]").click()
    sync_api.expect(page.locator(f"#{dialog}")).to_have_count(0)


def test_supervisor_runs_a_campaign_through_the_page(live: Any, browser: Any) -> None:
    """Create, list cases by pasted registry numbers, sign a letter, issue this week's notice and
    download it, file a reply, record a visit and close: each step read back from the database."""
    server, service = live
    expect = sync_api.expect
    rows = service.db.query("SELECT external_no FROM cases WHERE city IN ('佛山市', '东莞市') ORDER BY id")
    numbers = [str(r[0]) for r in rows]
    assert len(numbers) >= 4, "the samples hold cases of 佛山市 and 东莞市"
    page = login(browser, server.url, "supervisor")
    page.goto(f"{server.url}/campaigns")
    page.locator("#cp-new").click()
    dlg = page.locator("#cp-new-dialog")
    dlg.locator("input[name=name]").fill("网页流程攻坚")
    dlg.locator("input[name=deadline]").fill("2025-06-30")
    dlg.locator("input[name=resolution_line]").fill("99")
    dlg.locator("input[name=repeat_line]").fill("50")
    _submit(page, "cp-new-dialog")
    made = next(c for c in service.campaigns.list_all() if c.name == "网页流程攻坚")
    assert (made.resolution_line, made.repeat_line, made.deadline) == (0.99, 0.5, "2025-06-30")
    expect(page.locator("#cp-title")).to_contain_text("网页流程攻坚")

    # Pasted numbers, one unknown: refused with its line, the dialog keeps the text.
    page.locator("#cp-add-cases").click()
    dlg = page.locator("#cp-cases-dialog")
    dlg.locator("textarea[name=numbers]").fill("\n".join([*numbers, "不存在的编号"]))
    dlg.locator("button[type=submit]").click()
    expect(dlg.locator(".dlg-errors")).to_contain_text(f"第 {len(numbers) + 1} 行")
    dlg.locator("textarea[name=numbers]").fill("\n".join(numbers))
    _submit(page, "cp-cases-dialog")
    expect(page.locator("#cp-entries-count")).to_have_text(str(len(numbers)))
    listed = service.db.query(
        "SELECT lead_unit, COUNT(*) FROM campaign_cases WHERE campaign_id = ? GROUP BY 1", (made.id,)
    )
    assert {str(r[0]) for r in listed} == {"佛山市", "东莞市"}
    expect(page.locator("#cp-progress-table tbody tr")).to_have_count(2)

    # A handed-down list file: one case of 中山市 with its own lead unit and target date.
    extra = service.db.query_one("SELECT id, external_no FROM cases WHERE city = '中山市' ORDER BY id LIMIT 1")
    assert extra is not None
    page.locator("#cp-import").click()
    csv = f"登记编号,牵头单位,化解期限\n{extra[1]},中山市,2025-05-31\n".encode()
    page.locator("#cp-import-dialog input[name=file]").set_input_files(
        {"name": "交办清单.csv", "mimeType": "text/csv", "buffer": csv}
    )
    _submit(page, "cp-import-dialog")
    expect(page.locator("#cp-entries-count")).to_have_text(str(len(numbers) + 1))
    entry = next(e for e in service.campaigns.entries(made.id) if e["case_id"] == int(extra[0]))
    assert (entry["lead_unit"], entry["target_date"]) == ("中山市", "2025-05-31")

    page.locator("#cp-letter").click()
    dlg = page.locator("#cp-letter-dialog")
    dlg.locator("input[name=unit]").fill("佛山市")
    dlg.locator("input[name=resolution_target]").fill("90")
    dlg.locator("input[name=repeat_target]").fill("5")
    dlg.locator("input[name=signatory]").fill("佛山市联席办主任")
    _submit(page, "cp-letter-dialog")
    expect(page.locator('#cp-letters-table tr[data-unit="佛山市"]')).to_contain_text("佛山市联席办主任")
    letter = service.db.query_one(
        "SELECT resolution_target, repeat_target, signed_on FROM campaign_letters "
        "WHERE campaign_id = ? AND unit = '佛山市'",
        (made.id,),
    )
    assert letter is not None and (letter[0], letter[1]) == (0.9, 0.05)
    assert letter[2] == service.clock.today().isoformat()

    # This week's notice: previewed, issued, downloaded as Word and Markdown.
    expect(page.locator("#cp-week")).to_have_value(service.clock.today().isoformat())
    page.locator("#cp-preview").click()
    expect(page.locator("#cp-notice-title")).to_contain_text("预览")
    page.locator("#cp-issue").click()
    page.locator("dialog button.primary").click()
    expect(page.locator("#cp-notice-title")).to_contain_text("已印发")
    issued = service.campaigns.notices(made.id)
    assert [n["week_end"] for n in issued] == [service.clock.today().isoformat()]
    assert issued[0]["units"], "lines of 99 % / 50 % put units on the notice"
    expect(page.locator("#cp-notice-table tbody tr")).to_have_count(len(issued[0]["units"]))
    with page.expect_download() as got:
        page.locator("#cp-docx").click()
    assert got.value.path().read_bytes()[:2] == b"PK"  # a DOCX is a zip
    with page.expect_download() as got:
        page.locator("#cp-md").click()
    assert "周滚动通报" in got.value.path().read_text(encoding="utf-8")

    unit = issued[0]["units"][0]
    row = page.locator(f'#cp-notice-table tr[data-unit="{unit}"]')
    row.locator("button[data-action=reply]").click()
    page.locator("#cp-reply-dialog textarea[name=text]").fill("已逐案明确包案领导和化解时限")
    _submit(page, "cp-reply-dialog")
    expect(row).to_contain_text("已回复")
    reply = service.db.query_one("SELECT unit, text FROM campaign_replies WHERE notice_id = ?", (issued[0]["id"],))
    assert reply is not None and tuple(reply) == (unit, "已逐案明确包案领导和化解时限")

    page.locator("#cp-visit").click()
    dlg = page.locator("#cp-visit-dialog")
    dlg.locator("input[name=team]").fill("第二督查组")
    dlg.locator("input[name=units]").fill("佛山市、东莞市")
    dlg.locator("textarea[name=findings]").fill("包案领导未见面约访")
    _submit(page, "cp-visit-dialog")
    expect(page.locator("#cp-visit-list")).to_contain_text("第二督查组")
    assert service.campaigns.visits(made.id)[0]["units"] == ["佛山市", "东莞市"]

    first = service.db.query_one("SELECT case_id FROM campaign_cases WHERE campaign_id = ? LIMIT 1", (made.id,))
    assert first is not None
    case_id = int(first[0])
    order = service.supervision.issue_order(
        case_id, unit="佛山市", requirement="限期拿出化解方案", deadline=service.clock.today() + dt.timedelta(days=7)
    )
    page.locator("#cp-link-order").click()
    page.locator("#cp-order-dialog input[name=order_id]").fill(str(order.id))
    _submit(page, "cp-order-dialog")
    expect(page.locator(f'#cp-orders-table tr[data-order-id="{order.id}"]')).to_contain_text("限期拿出化解方案")
    assert [o["id"] for o in service.campaigns.orders(made.id)] == [order.id]

    before = page.locator("#cp-stats").inner_text()
    page.locator("#cp-close").click()
    page.locator("#cp-close-dialog button.danger").click()
    expect(page.locator("#cp-frozen-note")).to_contain_text("冻结")
    expect(page.locator("#cp-actions")).to_be_hidden()
    assert service.campaigns.get(made.id).status == "closed"
    assert service.campaigns.progress(made.id)["frozen"] is True
    expect(page.locator("#cp-stats")).to_contain_text("已冻结")
    assert before.split("统计日")[0] == page.locator("#cp-stats").inner_text().split("统计日")[0]
    expect(page.locator("#cp-definitions")).to_contain_text("化解率")
    shot(page, "21-campaign-closed")
    assert page.errors == []
