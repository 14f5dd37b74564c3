"""后台任务 page in a real browser: submit a report job, watch it finish (the page polls), cancel a
queued job and resubmit it; a handler sees only the submit buttons their role allows."""

from __future__ import annotations

from typing import Any

from tests.api.web.browsing import MARKS, expect, login

pytestmark = MARKS


def test_jobs_page_submit_watch_cancel_resubmit(live: Any, browser: Any) -> None:
    server, service = live
    page = login(browser, server.url, "supervisor")
    page.goto(f"{server.url}/jobs")
    expect(page.locator("#job-report")).to_be_visible()
    expect(page.locator("#job-reindex")).to_have_count(0)  # administrators only
    expect(page.locator("#job-discover")).to_have_count(0)  # reviewers
    page.click("#job-report")
    queued = page.locator("#jobs-body tr[data-status=queued]")
    expect(queued).to_have_count(1)
    job_id = int(queued.get_attribute("data-job") or 0)
    # The serving process's runner would take it now; here the test runs the queue itself.
    assert service.jobs.run_next("web-test:1") == job_id
    done = page.locator(f'#jobs-body tr[data-job="{job_id}"]')
    expect(done).to_have_attribute("data-status", "succeeded", timeout=15_000)
    expect(done).to_contain_text("已完成")
    expect(done.locator(".job-result")).to_contain_text("个单位")

    page.click("#job-report")
    second = page.locator("#jobs-body tr[data-status=queued]")
    expect(second).to_have_count(1)
    second_id = int(second.get_attribute("data-job") or 0)
    page.click(f'#jobs-body tr[data-job="{second_id}"] [data-cancel]')
    cancelled = page.locator(f'#jobs-body tr[data-job="{second_id}"]')
    expect(cancelled).to_have_attribute("data-status", "cancelled")
    expect(cancelled).to_contain_text("已取消")
    page.click(f'#jobs-body tr[data-job="{second_id}"] [data-resubmit]')
    expect(page.locator("#jobs-body tr[data-status=queued]")).to_have_count(1)
    service.jobs.run_next("web-test:1")  # leave the shared server's queue empty
    expect(page.locator("#jobs-body tr[data-status=succeeded]")).to_have_count(2, timeout=15_000)
    assert page.errors == []
