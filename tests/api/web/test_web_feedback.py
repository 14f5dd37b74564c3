"""Relevance marks in the browser (issue 19): a handler marks a similar-case hit 相关 and a model case
不相关 on the 研判 page, a reviewer marks too; each mark is stored and audited, and still shown after
the search is run again. Nonsense input gets only hits marked 相关度较低."""

from __future__ import annotations

from typing import Any

from tests.api.web.browsing import MARKS, expect, login, shot

pytestmark = MARKS

QUERY = "包工头拖欠农民工工资，多次讨要无果"
# The first search of a fresh server also fits the routing model: on a busy machine it takes a while.
SLOW = 120_000


def search(page: Any, text: str) -> None:
    page.fill("#q-text", text)
    page.click("#q-submit")
    expect(page.locator("#hits li.hit").first).to_be_visible(timeout=SLOW)
    expect(page.locator("#q-submit")).to_have_text("研判", timeout=SLOW)


def test_handlers_and_reviewers_mark_hits_and_model_cases(live: Any, browser: Any) -> None:
    server, service = live
    page = login(browser, server.url, "handler")
    search(page, QUERY)
    hit = page.locator("#hits li.hit").nth(2)
    case_id = int(hit.get_attribute("data-case-id") or 0)
    hit.locator(".marks button", has_text="相关").first.click()
    expect(hit.locator(".mark-state")).to_have_text("已标为相关")
    expect(hit.locator('.mark-btn[data-relevant="true"]')).to_have_attribute("aria-pressed", "true")

    model = page.locator("#models article.mc").first
    expect(model).to_be_visible()
    model_id = int(model.get_attribute("data-model-case-id") or 0)
    model.locator(".marks button", has_text="不相关").click()
    expect(model.locator(".mark-state")).to_have_text("已标为不相关")
    shot(page, "feedback-marks")

    # Run again: the marks come back from the server (my_mark), wherever the hit now ranks.
    page.click("#q-submit")
    expect(page.locator("#q-submit")).to_have_text("研判", timeout=SLOW)
    again = page.locator(f'#hits li.hit[data-case-id="{case_id}"]')
    expect(again.locator(".mark-state")).to_have_text("已标为相关")
    expect(again.locator(".hit-reasons")).to_contain_text("相似检索中曾被标为相关")
    expect(page.locator(f'#models article.mc[data-model-case-id="{model_id}"] .mark-state')).to_have_text(
        "已标为不相关"
    )
    assert not page.errors
    page.context.close()

    reviewer = login(browser, server.url, "reviewer")
    search(reviewer, QUERY)
    mine = reviewer.locator(f'#hits li.hit[data-case-id="{case_id}"]')
    expect(mine.locator(".mark-state")).to_have_text("")  # the handler's mark is the handler's
    mine.locator(".marks button", has_text="不相关").click()
    expect(mine.locator(".mark-state")).to_have_text("已标为不相关")
    assert not reviewer.errors
    reviewer.context.close()

    marks = [m for m in service.feedback.marks() if m.query_text == QUERY]
    assert [(m.username, m.target, m.item_id, m.relevant) for m in marks] == [
        ("handler", "case", case_id, True),
        ("handler", "modelcase", model_id, False),
        ("reviewer", "case", case_id, False),
    ]
    audited = service.db.query(
        "SELECT username, record_id FROM audit_events WHERE action = 'feedback:mark' ORDER BY id DESC LIMIT 3"
    )
    assert sorted((r[0], int(r[1])) for r in audited) == sorted(
        [("handler", case_id), ("handler", model_id), ("reviewer", case_id)]
    )


def test_nonsense_input_gets_only_low_relevance_hits(live: Any, browser: Any) -> None:
    server, _ = live
    page = login(browser, server.url, "handler")
    search(page, "asdfgh qwerty 12345")
    hits = page.locator("#hits li.hit")
    assert hits.count() > 0
    expect(page.locator("#hits li.hit:not(.low)")).to_have_count(0)
    expect(hits.first.locator(".badge", has_text="相关度较低")).to_be_visible()
    expect(page.locator("#hits-meta")).to_have_text("所有结果均相关度较低，可能没有真正相似的案件")
    assert not page.errors
    page.context.close()
