"""诉访分离 in a real browser: a city handler refers a case to 广州市中级人民法院, the court's account
records 核查, 纠错, 化解, the 三到位一处理 checklist, a 司法救助 request and decision and 依法终结, and
退回 on a second referral; the 政法委 sees the outcome, the feedback deadlines per unit and the
overdue feedback."""

from __future__ import annotations

from typing import Any

from tests.api.web.browsing import MARKS, expect, login, shot

pytestmark = MARKS


def _dialog_submit(page: Any, dialog: str) -> None:
    page.locator(f"#{dialog} button[type=submit]").click()
    expect(page.locator(f"#{dialog}")).to_have_count(0)


def test_refer_steps_checklist_aid_and_conclusion(live: Any, browser: Any) -> None:
    server, service = live
    row = service.db.query_one(
        "SELECT id FROM cases WHERE litigation = 1 AND city = '广州市' "
        "AND id NOT IN (SELECT case_id FROM litigation_referrals) ORDER BY id LIMIT 1"
    )
    assert row is not None, "the samples hold a litigation-related case of 广州市"
    cid = int(row[0])
    gz = login(browser, server.url, "gz_handler")
    gz.goto(f"{server.url}/litigation")
    gz.locator("#lt-refer").click()
    gz.locator("#lt-refer-dialog input[name=cases]").fill(str(cid))
    gz.locator("#lt-refer-dialog select[name=unit]").select_option("广州市中级人民法院")
    gz.locator("#lt-refer-dialog textarea[name=note]").fill("请依法核查执行情况")
    _dialog_submit(gz, "lt-refer-dialog")
    referral = gz.locator("#lt-referrals tbody tr").filter(has_text="广州市中级人民法院").first
    expect(referral).to_contain_text("已移交待核查")
    referral.locator("button").click()
    expect(gz.locator("#lt-detail")).to_contain_text("政法委督办：省委政法委")
    expect(gz.locator("#lt-steps")).to_have_count(0)  # the referring side cannot record the feedback

    court = login(browser, server.url, "gz_court")
    court.goto(f"{server.url}/litigation?case={cid}")
    expect(court.locator("#lt-steps button")).to_have_text(["核查", "退回"])
    court.locator("#lt-steps button[data-action=check]").click()
    court.locator("#lt-step-dialog textarea").fill("经核查，执行程序合法")
    _dialog_submit(court, "lt-step-dialog")
    expect(court.locator(".lt-timeline li").last).to_contain_text("核查 gz_court（广州市中级人民法院）")
    for action, text in (("correct", "纠正执行款发放顺序"), ("resolve", "执行款已发放到位")):
        court.locator(f"#lt-steps button[data-action={action}]").click()
        court.locator("#lt-step-dialog textarea").fill(text)
        _dialog_submit(court, "lt-step-dialog")
        expect(court.locator(".lt-timeline li").last).to_contain_text(text)
    court.locator("#lt-checklist select[name=unreasonable]").select_option("done")
    court.locator("#lt-checklist select[name=hardship]").select_option("done")
    court.locator("#lt-checklist button[type=submit]").click()
    expect(court.locator("#lt-checklist")).to_contain_text("gz_court")
    court.locator("#lt-aid-add").click()
    court.locator("#lt-aid-dialog input[name=applicant]").fill("李某")
    court.locator("#lt-aid-dialog input[name=amount]").fill("8000")
    _dialog_submit(court, "lt-aid-dialog")
    court.locator("#lt-aid button").click()
    court.locator("#lt-aid-decision select[name=decision]").select_option("partly")
    court.locator("#lt-aid-decision input[name=amount]").fill("5000")
    _dialog_submit(court, "lt-aid-decision")
    expect(court.locator("#lt-aid")).to_contain_text("部分救助，决定 5000.00 元")
    court.locator("#lt-steps button[data-action=conclude]").click()
    court.locator("#lt-step-dialog textarea").fill("诉求已依法处理，予以终结")
    _dialog_submit(court, "lt-step-dialog")
    expect(court.locator("#lt-detail h3").first).to_contain_text("已依法终结")
    assert service.cases.get(cid).stage == "concluded"
    steps = service.db.query(
        "SELECT s.action FROM litigation_steps s JOIN litigation_referrals r ON r.id = s.referral_id "
        "WHERE r.case_id = ? ORDER BY s.id",
        (cid,),
    )
    assert [str(r[0]) for r in steps][-4:] == ["check", "correct", "resolve", "conclude"]

    # A second referral is returned (退回) with a reason; a third is left past its feedback deadline.
    others = service.db.query(
        "SELECT id FROM cases WHERE litigation = 1 AND id NOT IN (SELECT case_id FROM litigation_referrals) "
        "ORDER BY city = '广州市' DESC, id LIMIT 2"
    )
    assert len(others) == 2, "the samples hold three litigation-related cases"
    back, late = int(others[0][0]), int(others[1][0])
    service.handover.refer([back], unit="广州市中级人民法院", note="请核查")
    service.handover.refer([late], unit="广州市中级人民法院", note="请核查", feedback_days=1)
    court.goto(f"{server.url}/litigation?case={back}")
    court.locator("#lt-steps button[data-action=return]").click()
    court.locator("#lt-step-dialog textarea").fill("不属于本院管辖，退回属地处理")
    _dialog_submit(court, "lt-step-dialog")
    expect(court.locator("#lt-detail h3").first).to_contain_text("已退回")
    service.kernel.clock.advance(days=2)

    zf = login(browser, server.url, "zf_officer")
    zf.goto(f"{server.url}/litigation")
    expect(zf.locator(".mainnav a[data-nav=litigation]")).to_be_visible()
    mine = service.handover.referrals(unit="广州市中级人民法院", limit=1000)
    first = next(r["id"] for r in mine if r["case_id"] == cid)
    expect(zf.locator(f'#lt-referrals tbody tr[data-referral="{first}"]')).to_contain_text("已依法终结")
    unit_row = zf.locator('#lt-summary-table tr[data-unit="广州市中级人民法院"]')
    answered = sum(1 for r in mine if r["answered_at"])
    overdue = sum(1 for r in mine if r["overdue"])
    assert overdue >= 1
    expect(unit_row.locator("td").nth(1)).to_have_text(str(len(mine)))
    expect(unit_row.locator("td").nth(2)).to_have_text(str(answered))
    expect(unit_row.locator("td").nth(5)).to_have_text(f"{overdue} 件")
    shot(zf, "24-litigation-deadlines")
    zf.locator("#lt-overdue").select_option("1")
    late_id = next(r["id"] for r in mine if r["case_id"] == late)
    late_row = zf.locator(f'#lt-referrals tbody tr[data-referral="{late_id}"]')
    expect(late_row).to_contain_text("逾期 1 天")
    overdue_all = service.handover.referrals(overdue=True, limit=1000)
    expect(zf.locator("#lt-referrals tbody tr")).to_have_count(len(overdue_all))
    for page in (gz, court, zf):
        assert page.errors == []
