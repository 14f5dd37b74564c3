"""The 攻坚活动 page for supervisors: progress per lead unit, letters, the issued notice with its
figures, the rectification replies, visits and the stated definitions; a city account sees its own rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.web.browsing import MARKS, login, shot
from tests.api.web.browsing import sync_api as sync_api

pytestmark = MARKS


def _campaign(service: Any) -> tuple[int, str]:
    existing = service.campaigns.list_all()
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
    _campaign(service)
    page = login(browser, server.url, "supervisor")
    page.goto(f"{server.url}/campaigns")
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
    _campaign(service)
    page = login(browser, server.url, "gz_handler")
    page.goto(f"{server.url}/campaigns")
    sync_api.expect(page.locator("#cp-progress-table tbody tr")).to_have_count(1)
    sync_api.expect(page.locator("#cp-progress-table tbody")).to_contain_text("广州市")
    assert page.errors == []
