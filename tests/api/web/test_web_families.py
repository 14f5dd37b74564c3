"""Group families and repeat evidence in the browser (issue 19): the family column and filter, the
family named on a group's page, and why a repeat was linked on the case page."""

from __future__ import annotations

from typing import Any

from tests.api.web.browsing import MARKS, expect, login

pytestmark = MARKS


def test_family_filter_and_repeat_evidence_are_shown(live: Any, browser: Any) -> None:
    server, service = live
    groups = service.groups.list_groups()
    families = {f.id: f for f in service.groups.families()}
    if not families:  # the shared server discovers groups; discover again if another test left none
        service.groups.discover()
        groups, families = service.groups.list_groups(), {f.id: f for f in service.groups.families()}
    assert families, "discovery gives every active group a family"
    # The family with the most groups, but not every group (so the filter must drop some rows).
    counts = {fid: sum(g.family_id == fid for g in groups) for fid in families}
    fid = max(counts, key=lambda k: (counts[k], -k))
    assert 0 < counts[fid] < len(groups)
    family = families[fid]
    member = next(g for g in groups if g.family_id == fid)

    page = login(browser, server.url, "handler")
    page.goto(f"{server.url}/groups")
    rows = page.locator("#g-table tbody tr[data-group-id]")
    expect(rows).to_have_count(len(groups))
    expect(page.locator(f'#g-table tbody tr[data-group-id="{member.id}"] td.family')).to_contain_text(family.name)
    page.select_option("#g-family", str(fid))
    expect(rows).to_have_count(counts[fid])
    for gid in [g.id for g in groups if g.family_id == fid]:
        expect(page.locator(f'#g-table tbody tr[data-group-id="{gid}"]')).to_have_count(1)
    expect(page.locator("#g-meta")).to_contain_text(f"组族“{family.name}”")
    page.wait_for_load_state("networkidle")
    paths = [p for _, _, p in page.api_log]
    assert sorted(p for p in paths if p.startswith("/api/group")) == ["/api/group-families", "/api/groups?spread=true"]

    # The group's page names its family and links to the list filtered by it.
    page.goto(f"{server.url}/groups/{member.id}")
    link = page.locator("#g-family-link")
    expect(link).to_contain_text(family.name)
    link.click()
    page.wait_for_url(f"**/groups?family={fid}")
    expect(rows).to_have_count(counts[fid])
    expect(page.locator("#g-family")).to_have_value(str(fid))

    # A detected repeat link says why, in words, on the later case's links panel.
    repeat = next(r for r in service.workflow.repeat_list("repeat", 1000) if r["evidence"])
    page.goto(f"{server.url}/cases/{repeat['case_id']}")
    cell = page.locator(f'#links tbody tr[data-other-id="{repeat["other_id"]}"] td.evidence')
    expect(cell).to_have_text("；".join(repeat["evidence"]))
    expect(cell).to_contain_text("同一信访人")
    assert page.errors == []
