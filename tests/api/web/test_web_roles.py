"""Every role on every page: only requests the role may make, no wrapped table cells at 1366 px."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.web.browsing import MARKS, expect, login, wrapped_cells

pytestmark = MARKS

ROLES = ("handler", "reviewer", "supervisor", "admin")


def pages(service: Any) -> list[str]:
    case_id = 1
    group = service.groups.list_groups()[0].id
    model = service.modelcases.page()[0][0].id
    return [
        "/",
        "/queue",
        "/inbox",
        f"/petitioners/{service.cases.get(case_id).petitioner_key[:8]}",
        f"/cases/{case_id}",
        "/groups",
        f"/groups/{group}",
        "/modelcases",
        f"/modelcases/{model}",
        "/supervision",
        "/leaders",
        "/special-groups",
        "/import",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_pages_request_only_what_the_role_may_read(live: Any, browser: Any, role: str) -> None:
    server, service = live
    page = login(browser, server.url, role)
    nav = {a.get_attribute("href") for a in page.locator(".mainnav a").all()}
    for path in pages(service):
        base = "/" + path.split("/")[1] if path != "/" else "/"
        if base not in nav and base not in ("/cases", "/petitioners"):
            continue
        page.api_log.clear()
        page.goto(f"{server.url}{path}")
        page.wait_for_load_state("networkidle")
        refused = [entry for entry in page.api_log if entry[0] >= 400]
        assert refused == [], f"{role} on {path}: {refused}"
    assert page.errors == []


def test_supervisor_model_case_library_lists_published_categories(live: Any, browser: Any) -> None:
    server, service = live
    page = login(browser, server.url, "supervisor")
    page.goto(f"{server.url}/modelcases")
    expect(page.locator(".mc-item").first).to_be_visible()
    categories = {m.data.category for m in service.modelcases.page()[0] if m.data.category}
    expect(page.locator("#mc-category option")).to_have_count(len(categories) + 1)
    assert [o.get_attribute("value") for o in page.locator("#mc-status option").all()] == ["published"]


def test_case_table_does_not_wrap_at_1366(live: Any, browser: Any) -> None:
    server, service = live
    long_row = {
        "external_no": "GD2025-0303-000001",
        "title": "关于某某街道某某社区某某小区业主反映物业公司长期侵占公共收益且拒不公开账目的问题的再次反映",
        "content": "业主反映物业公司长期侵占电梯广告和停车收益，多次要求公开账目未果。",
        "received_date": "2025-03-03",  # the server's today: first in the list
        "city": "广州市",
        "department": "省人力资源社会保障厅",
        "category": "物业管理纠纷与公共收益分配及业主委员会选举争议",
        "status": "in_progress",
        "litigation": True,
    }
    service.ingest([(1, long_row)])
    page = login(browser, server.url, "handler")
    expect(page.locator('#recent tbody tr td a:text("GD2025-0303-000001")')).to_be_visible()
    assert wrapped_cells(page, "#recent tbody td") == []
    # The example number is one of the data's own (the newest case listed), not an invented format.
    newest = page.locator("#recent tbody tr td a").first.inner_text()
    assert page.get_attribute("#q-external", "placeholder") == f"如 {newest}"
    assert "GD-2024" not in page.content()


def test_routing_card_shows_the_best_alternative(live: Any, browser: Any) -> None:
    server, service = live
    page = login(browser, server.url, "handler")
    text = "某建筑公司拖欠农民工工资三个月，工人多次讨薪无果，要求劳动监察部门介入。"
    page.fill("#q-text", text)
    page.press("#q-text", "Enter")
    expect(page.locator("#suggest .suggest-row").first).to_contain_text("责任部门")
    department = service.workflow.suggest(text=text)["department"]
    assert department.alternatives, "the sample data gives the router runners-up"
    alts = page.locator("#suggest .alts").first.inner_text()
    best_alt = department.alternatives[0][0]
    assert best_alt in alts, f"the runner-up {best_alt} is missing from {alts!r}"
    assert page.errors == []
