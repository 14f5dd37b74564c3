"""The web workbench end to end in headless Chromium: login, search, case, groups, model cases, import.

Fixtures (one live server, one Chromium) are in conftest.py; helpers in browsing.py. Screenshots of
every main page (1366×768) are written to var/screenshots/ (the CI artifact folder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.api.web.browsing import MARKS, login, shot
from tests.api.web.browsing import sync_api as sync_api
from tests.web_server import PASSWORD

pytestmark = MARKS


def test_login_rejects_a_wrong_password_then_accepts_the_right_one(live: Any, browser: Any) -> None:
    server, _ = live
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{server.url}/login")
    shot(page, "01-login")
    page.fill("#username", "handler")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    sync_api.expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{server.url}/")
    sync_api.expect(page.locator(".who-name")).to_have_text("张经办")
    # The nav shows only what the role may open: handlers import, they do not review groups' decisions.
    sync_api.expect(page.locator(".mainnav")).to_contain_text("数据导入")
    ctx.close()


def test_search_a_petition_shows_the_expected_similar_case_highlighted(live: Any, browser: Any) -> None:
    server, service = live
    target = service.cases.get(40)
    page = login(browser, server.url, "handler")
    # A handler retypes the gist of an old petition: its own text must bring that case first.
    page.fill("#q-text", target.content[:120])
    page.press("#q-text", "Enter")
    first = page.locator("#hits .hit").first
    sync_api.expect(first).to_have_attribute("data-external-no", target.external_no)
    assert first.locator("mark").count() > 0, "matching terms are highlighted"
    sync_api.expect(first.locator(".hit-reasons")).not_to_be_empty()
    sync_api.expect(page.locator("#suggest .suggest-row").first).to_contain_text("责任部门")
    shot(page, "02-workbench")
    # Filters narrow the search: another city's cases disappear from the hits.
    other = next(c for c in service.cases.facet("city") if c[0] != target.city)[0]
    page.select_option("#f-city", other)
    sync_api.expect(page.locator(f'#hits .hit[data-external-no="{target.external_no}"]')).to_have_count(0)
    assert page.errors == []


def test_case_detail_masks_personal_data(live: Any, browser: Any) -> None:
    server, service = live
    case = next(c for c in (service.cases.get(i) for i in range(1, 60)) if c and c.petitioner_name)
    page = login(browser, server.url, "reviewer")
    page.goto(f"{server.url}/cases/{case.id}")
    sync_api.expect(page.locator("#case-title")).not_to_have_text("案件详情")
    facts = page.locator("#case-facts").inner_text()
    assert case.petitioner_name not in facts and "*" in facts
    assert page.locator("#reveal").count() == 0, "reviewers hold no pii:read"
    shot(page, "03-case-detail")


def test_publish_an_edited_model_case(live: Any, browser: Any) -> None:
    server, _ = live
    page = login(browser, server.url, "reviewer")
    page.goto(f"{server.url}/modelcases")
    sync_api.expect(page.locator(".mc-item").first).to_be_visible()
    shot(page, "05-modelcases")
    page.locator(".mc-item .mc-title").first.click()
    sync_api.expect(page.locator("#mc-doc h1")).to_be_visible()
    page.click("#mc-edit-btn")
    page.fill("#e-steps", page.input_value("#e-steps") + "\n网页端新增：办结后 15 日内回访")
    page.fill("#e-note", "补充回访步骤")
    page.click("#mc-edit button[type=submit]")
    sync_api.expect(page.locator("#mc-notice")).to_contain_text("有未发布修改")
    page.click("#mc-publish")
    sync_api.expect(page.locator("#mc-notice")).to_be_empty()
    sync_api.expect(page.locator("#mc-facts")).to_contain_text("第 2 版")
    sync_api.expect(page.locator("#mc-doc .steps")).to_contain_text("办结后 15 日内回访")
    sync_api.expect(page.locator("#mc-versions")).to_contain_text("补充回访步骤")
    shot(page, "06-modelcase")


def test_supervision_dashboard_draws_charts(live: Any, browser: Any) -> None:
    server, _ = live
    page = login(browser, server.url, "supervisor")
    page.goto(f"{server.url}/supervision")
    sync_api.expect(page.locator("#sv-chart-dep svg rect").first).to_be_visible()
    sync_api.expect(page.locator("#sv-trend svg path").first).to_be_attached()
    sync_api.expect(page.locator("#sv-table-department tbody tr").first).to_be_visible()
    sync_api.expect(page.locator("#sv-exports a")).to_have_count(4)
    shot(page, "08-supervision")
    assert page.errors == []


def test_import_a_file_with_one_bad_row_shows_row_and_field(live: Any, browser: Any, tmp_path: Path) -> None:
    server, service = live
    before = service.cases.count()
    good = {"content": "小区电梯长期故障，物业不予维修。", "received_date": "2026-01-05", "city": "广州市"}
    lines = [
        {"external_no": "WEB-1", **good},
        {"external_no": "WEB-2", **good, "received_date": "2026-13-40"},
        {"external_no": "WEB-3", **good},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    page = login(browser, server.url, "handler")
    page.goto(f"{server.url}/import")
    # The page says what a file may look like: Chinese headers, office date spellings, extra columns.
    sync_api.expect(page.locator("#import-fields")).to_contain_text("受理日期")
    sync_api.expect(page.locator("#import-dates")).to_contain_text("2026年11月26日")
    sync_api.expect(page.locator("#import-extra")).to_contain_text("序号")
    sync_api.expect(page.locator("#import-template")).to_have_attribute("href", "/api/cases/import/template")
    template = page.request.get(f"{server.url}/api/cases/import/template")  # the link downloads the workbook
    assert template.ok and template.headers["content-type"].startswith("application/vnd.openxmlformats")
    page.set_input_files("#import-file", str(path))
    page.click("#import-submit")
    row = page.locator("#import-errors tbody tr")
    sync_api.expect(row).to_have_count(1)
    sync_api.expect(row.locator("td").nth(0)).to_have_text("2")
    sync_api.expect(row.locator("td").nth(1)).to_have_text("received_date")
    shot(page, "07-import")
    assert service.cases.count() == before, "a bad row rejects the whole batch"
    # Fixed file: the same page reports the created cases.
    lines[1]["received_date"] = "2026-01-06"
    fixed = tmp_path / "batch-fixed.jsonl"
    fixed.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    page.set_input_files("#import-file", str(fixed))
    page.click("#import-submit")
    sync_api.expect(page.locator("#import-result")).to_contain_text("新增 3 件")
    assert "重新编码" not in page.locator("#import-result").inner_text(), "a fresh import re-encodes nothing"
    assert service.cases.count() == before + 3


def test_open_a_group_merge_the_most_similar_one_undo_it_and_decide(live: Any, browser: Any) -> None:
    server, service = live
    page = login(browser, server.url, "reviewer")
    page.goto(f"{server.url}/groups")
    rows = page.locator("#g-table tbody tr[data-group-id]")
    sync_api.expect(rows.first).to_be_visible()
    assert rows.count() >= 2
    shot(page, "04-groups")
    first_id = int(rows.nth(0).get_attribute("data-group-id") or 0)
    size = int(rows.nth(0).locator("td.num").inner_text())
    rows.nth(0).locator("a").first.click()
    page.wait_for_url(f"**/groups/{first_id}")
    sync_api.expect(page.locator("#g-members tbody tr")).to_have_count(size)
    shot(page, "04-group-detail")

    # The dialog starts empty and lists the most similar group first; the server agrees on the order.
    page.click("#g-merge")
    dialog = page.locator("#merge-dialog")
    sync_api.expect(dialog.locator("#merge-similar input[type=radio]").first).to_be_visible()
    assert dialog.locator("input[type=radio]:checked").count() == 0
    sync_api.expect(dialog.locator("#merge-next")).to_be_disabled()
    best, _ = service.groups.similar(first_id)[0]
    first_option = dialog.locator("#merge-similar input[type=radio]").first
    assert int(first_option.get_attribute("value") or 0) == best.id
    first_option.check()
    dialog.locator("#merge-next").click()
    summary = dialog.locator("#merge-summary")
    sync_api.expect(summary).to_contain_text(f"（{best.size} 件）")
    sync_api.expect(summary).to_contain_text(f"共 {size + best.size} 件")
    shot(page, "04-group-merge-confirm")
    dialog.locator("#merge-confirm").click()
    sync_api.expect(page.locator("#g-members tbody tr")).to_have_count(size + best.size)
    sync_api.expect(page.locator("#g-timeline")).to_contain_text(f"类案组 #{best.id}")
    sync_api.expect(page.locator(f'#g-timeline a[href="/groups/{best.id}"]').first).to_be_visible()

    # The reviewer undoes it: both groups are back as they were.
    page.click("#g-undo")
    page.locator("#undo-dialog button.primary").click()
    sync_api.expect(page.locator("#g-members tbody tr")).to_have_count(size)
    sync_api.expect(page.locator("#g-timeline")).to_contain_text("撤销上一步：合并")
    assert service.groups.get(best.id).state == "active" and service.groups.get(best.id).size == best.size
    sync_api.expect(page.locator("#g-undo")).to_have_count(0)

    # Batch handling: start it, then record the decision; every member takes the decided status.
    page.click("#g-batch")
    page.fill("dialog textarea", "按同一政策口径统一答复，由牵头部门统筹清偿。")
    page.click("dialog button[type=submit]")
    sync_api.expect(page.locator("#g-timeline")).to_contain_text("启动批量处理")
    assert "batch_start" not in page.locator("#g-timeline").inner_text()
    page.click("#g-decide")
    page.fill("#bd-decision", "经专项小组研究，统一按政策一次性化解。")
    page.select_option("#bd-status", "resolved")
    page.locator("#bd-keep-closed").uncheck()  # this reviewer resolves the closed ones too
    page.click("#bd-preview-btn")
    expected = service.groups.preview(first_id, "resolved").message
    sync_api.expect(page.locator("#bd-message")).to_have_text(expected)
    page.click("#bd-apply")
    sync_api.expect(page.locator("#g-decision")).to_contain_text("已作出批量决定")
    sync_api.expect(page.locator("#g-members tbody tr .badge.green")).to_have_count(size)
    members = service.groups.members(first_id)[0]
    assert {c.status for c in members} == {"resolved"}
    assert page.errors == []
