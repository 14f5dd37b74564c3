"""Group pages in the browser: history in words with links to the other group, one request per list."""

from __future__ import annotations

from typing import Any

from tests.api.web.browsing import MARKS, expect, login

pytestmark = MARKS


def test_split_history_links_the_new_group_both_ways(live: Any, browser: Any) -> None:
    server, service = live
    group = max(service.groups.list_groups(), key=lambda g: (g.size, -g.id))
    page = login(browser, server.url, "reviewer")
    page.goto(f"{server.url}/groups/{group.id}")
    expect(page.locator("#g-members tbody tr")).to_have_count(group.size)
    page.locator("#g-members tbody tr .pick").nth(0).check()
    page.locator("#g-members tbody tr .pick").nth(1).check()
    page.click("#g-split")
    page.fill("dialog input[name=name]", "拆出的两件")
    page.click("dialog button[type=submit]")
    expect(page.locator("#g-members tbody tr")).to_have_count(group.size - 2)
    split = max(g.id for g in service.groups.list_groups())
    timeline = page.locator("#g-timeline")
    expect(timeline).to_contain_text(f"拆出为新组 类案组 #{split}")
    assert f"类案组 #{group.id}" not in timeline.inner_text(), "the page's own group is never the related one"
    expect(page.locator("#g-undo")).to_have_text("撤销上一步：拆分")
    page.locator(f'#g-timeline a[href="/groups/{split}"]').click()
    page.wait_for_url(f"**/groups/{split}")
    expect(page.locator("#g-members tbody tr")).to_have_count(2)
    expect(page.locator("#g-timeline")).to_contain_text(f"从 类案组 #{group.id} 拆出为本组")
    assert page.errors == []


def test_group_list_and_case_page_ask_once(live: Any, browser: Any) -> None:
    server, service = live
    groups = service.groups.list_groups()
    page = login(browser, server.url, "reviewer")
    page.goto(f"{server.url}/groups")
    expect(page.locator("#g-table tbody tr[data-group-id]")).to_have_count(len(groups))
    page.wait_for_load_state("networkidle")
    expect(page.locator("#g-table tbody tr[data-group-id] td.spark svg").first).to_be_visible()
    paths = [p for _, _, p in page.api_log]
    assert [p for p in paths if p.startswith("/api/groups")] == ["/api/groups?spread=true"]
    top = groups[0]
    cities = service.groups.spread()[top.id]["cities"]
    row = page.locator(f'#g-table tbody tr[data-group-id="{top.id}"]')
    expect(row).to_contain_text(f"{len(cities)} 个地市")

    member = service.groups.repo.member_ids(top.id)[0]
    page.api_log.clear()
    page.goto(f"{server.url}/cases/{member}")
    expect(page.locator("#case-group a.mc-title")).to_have_attribute("href", f"/groups/{top.id}")
    page.wait_for_load_state("networkidle")
    group_calls = [p for _, _, p in page.api_log if p.startswith("/api/groups")]
    assert group_calls == [f"/api/groups/by-case/{member}", f"/api/groups/{top.id}/profile"]
    assert page.errors == []


def test_a_refused_rename_stays_in_the_open_dialog(live: Any, browser: Any) -> None:
    server, service = live
    group = service.groups.list_groups()[-1]
    page = login(browser, server.url, "reviewer")
    page.goto(f"{server.url}/groups/{group.id}")
    page.click("#g-rename")
    dialog = page.locator("#rename-dialog")
    dialog.locator("[name=name]").fill("名" * 70)
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".dlg-errors")).to_contain_text("新名称")
    expect(dialog.locator("[name=name]")).to_have_value("名" * 70)
    dialog.locator("[name=name]").fill("审查员改过的名称")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#g-name")).to_have_text("审查员改过的名称")
    assert page.errors == []
