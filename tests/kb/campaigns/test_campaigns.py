"""Campaigns on the demo data (the real replay over all sample rows): the weekly notice names units
whose figures this test recomputes from the database by hand (SQL here, not the rate code); an
issued notice never changes after later resolutions; letters, replies, visits, import and scope."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from api.cli import demo_workflow
from api.cli.cases import SAMPLES, demo_users
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.domain import CaseUpdate, Status
from kb.errors import InvalidInputError, NotFoundError
from kb.service import LeianService
from tests.conftest import make_settings

# Per lead unit on day :d: listed cases; resolved = the status in force on :d (the latest status-log
# row effective on or before :d, log order within a day) is 已化解 or 已办结.
HAND_SQL = """
WITH last AS (
  SELECT l.case_id, l.status FROM case_status_log l
  WHERE l.id = (SELECT l2.id FROM case_status_log l2 WHERE l2.case_id = l.case_id AND l2.effective_on <= :d
                ORDER BY l2.effective_on DESC, l2.id DESC LIMIT 1)
)
SELECT e.lead_unit AS unit, COUNT(*) AS listed,
       SUM(COALESCE(last.status IN ('resolved', 'closed'), 0)) AS resolved
FROM campaign_cases e LEFT JOIN last ON last.case_id = e.case_id
WHERE e.campaign_id = :c GROUP BY e.lead_unit
"""


# Per lead unit on day :d, the 再次信访率 by hand: a listed case is resolved on :d when the last status-log
# row on or before :d is resolved; its resolution day is the earliest resolved row with no unresolved
# row after it (the start of its current run). It is followed when a case linked to it as a repeat was
# received after that day and within 90 days of it (by :d) — a link whose earlier case was still open
# when the later petition came does not count.
REPEAT_SQL = """
WITH log AS (
  SELECT l.id, l.case_id, l.status, l.effective_on FROM case_status_log l
  JOIN campaign_cases e ON e.case_id = l.case_id AND e.campaign_id = :c WHERE l.effective_on <= :d
),
since AS (
  SELECT l.case_id, MIN(l.effective_on) AS day FROM log l
  WHERE l.status IN ('resolved', 'closed') AND NOT EXISTS (
    SELECT 1 FROM log o WHERE o.case_id = l.case_id AND o.status NOT IN ('resolved', 'closed')
      AND (o.effective_on > l.effective_on OR (o.effective_on = l.effective_on AND o.id > l.id)))
  GROUP BY l.case_id
)
SELECT e.lead_unit AS unit, COUNT(*) AS base,
       SUM(EXISTS (SELECT 1 FROM case_links k JOIN cases later ON later.id = k.case_id
                   WHERE k.kind = 'repeat' AND k.other_id = s.case_id AND later.received_date > s.day
                     AND later.received_date <= MIN(date(s.day, '+90 days'), :d))) AS followed,
       SUM(EXISTS (SELECT 1 FROM case_links k WHERE k.kind = 'repeat' AND k.other_id = s.case_id)) AS linked
FROM since s JOIN campaign_cases e ON e.case_id = s.case_id AND e.campaign_id = :c GROUP BY e.lead_unit
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LeianService]:
    tmp: Path = tmp_path_factory.mktemp("campaign-demo")
    clock = FixedClock(dt.date(2026, 12, 2))
    service = LeianService(make_settings(tmp), encoder=HashingEncoder(), segmenter=Segmenter(), clock=clock)
    with SAMPLES.open(encoding="utf-8") as f:
        service.ingest([(None, json.loads(line)) for line in f if line.strip()])
    demo_users(service, tmp)
    demo_workflow.replay(service)
    yield service
    service.close()


def _campaign(service: LeianService) -> int:
    (camp,) = [c for c in service.campaigns.list_all() if c.name == demo_workflow.CAMPAIGN_NAME]
    return camp.id


def test_the_demo_notice_names_units_whose_figures_sql_recomputes(demo: LeianService) -> None:
    cid = _campaign(demo)
    issued = demo.campaigns.notices(cid)
    assert len(issued) == 2
    week = dt.date.fromisoformat(issued[-1]["week_end"])
    notice = demo.campaigns.notice(cid, week)
    by_hand = {r["unit"]: r for r in demo.db.query(HAND_SQL, {"d": week.isoformat(), "c": cid})}
    camp = demo.campaigns.get(cid)
    assert len(notice["rows"]) >= 3
    for row in notice["rows"]:
        hand = by_hand[row["unit"]]
        assert (row["listed"], row["resolved"]) == (hand["listed"], hand["resolved"])
        rate = hand["resolved"] / hand["listed"]
        assert row["resolution_rate"] == round(rate, 4)
        assert 0 < rate < 1 and hand["listed"] >= 5  # plausible, non-trivial, enough cases to rank
        assert rate < camp.resolution_line or row["repeat_rate"] > camp.repeat_line
    # Every unit with enough cases below the 化解率 line is on the notice; none with too few is.
    listed = {r["unit"] for r in notice["rows"]}
    below = {u for u, h in by_hand.items() if h["listed"] >= 5 and h["resolved"] / h["listed"] < camp.resolution_line}
    assert below <= listed and all(by_hand[u]["listed"] >= 5 for u in listed)
    total = sum(h["listed"] for h in by_hand.values())
    assert notice["total"]["listed"] == total
    # The second notice shows the reply filed to the first, and units listed twice say 2 weeks.
    assert notice["replies"] and notice["replies"][0]["unit"] in issued[0]["units"]
    assert any(r["weeks"] == 2 for r in notice["rows"])
    assert "化解率" in notice["markdown"] and "统计口径" in notice["markdown"]
    text = "\n".join(p.text for p in Document(io.BytesIO(demo.campaigns.notice_docx(cid, week))).paragraphs)
    assert "周滚动通报" in text and "统计口径" in text


def test_the_notice_repeat_rates_and_unranked_units_by_hand(demo: LeianService) -> None:
    """The notice's 再次信访率 per unit, recomputed with SQL written here; units of the catalog; a unit
    with too few listed cases is shown among all units but never ranked or put on the notice."""
    cid = _campaign(demo)
    week = dt.date.fromisoformat(demo.campaigns.notices(cid)[-1]["week_end"])
    notice = demo.campaigns.notice(cid, week)
    listed = {r["unit"]: r for r in demo.db.query(HAND_SQL, {"d": week.isoformat(), "c": cid})}
    repeats = {r["unit"]: r for r in demo.db.query(REPEAT_SQL, {"d": week.isoformat(), "c": cid})}
    for u in notice["all_units"]:
        hand = repeats.get(u["unit"])
        base, followed = (hand["base"], hand["followed"]) if hand else (0, 0)
        assert (u["repeat_base"], u["repeat_followed"]) == (base, followed), u["unit"]
        assert u["repeat_rate"] == (round(followed / base, 4) if base else None)
        assert u["ranked"] == (listed[u["unit"]]["listed"] >= demo.settings.rate_min_cases)
        assert demo.kernel.units.get(u["unit"]) is not None  # a unit of the catalog, not free text
    # Non-trivial: some unit has a repeat, and links to a case still open at the re-petition are not counted.
    assert any(u["repeat_followed"] for u in notice["all_units"])
    assert sum(r["followed"] for r in repeats.values()) < sum(r["linked"] for r in repeats.values())
    assert {r["resolution_rate"] for r in notice["rows"]} - {0.0, 1.0}
    small = [u for u in notice["all_units"] if u["listed"] < demo.settings.rate_min_cases]
    assert small and not any(u["ranked"] for u in small)
    assert not {u["unit"] for u in small} & {r["unit"] for r in notice["rows"]}
    assert "不上榜" in notice["definitions"]["排名"] and "rate_min_cases" in notice["markdown"]


def test_a_past_weeks_notice_and_report_do_not_change_when_cases_are_resolved_later(demo: LeianService) -> None:
    """Done-when (issue 18) for a week never issued: its notice is composed from the status log as of
    the week's end, so resolving cases later (with a later clock) and composing it again gives the very
    same notice; the weekly 督查督办 report of that week (with its 积案 and on-time rates) too."""
    cid = _campaign(demo)
    issued = {n["week_end"] for n in demo.campaigns.notices(cid)}
    week = dt.date.fromisoformat(min(issued)) - dt.timedelta(days=7)
    assert week.isoformat() not in issued
    before = demo.campaigns.notice(cid, week)
    report = dataclasses.asdict(demo.workflow.weekly_report("city", week, weeks=3))
    assert before["rows"] and before["issued"] is False
    open_ids = [e["case_id"] for e in demo.campaigns.entries(cid) if e["outcome"] == "未化解"][:40]
    assert len(open_ids) == 40
    assert isinstance(demo.clock, FixedClock)
    demo.clock.advance(days=1)
    for case_id in open_ids:
        demo.update_case(case_id, CaseUpdate(status=Status.resolved, resolved_date=week))  # back-dated on purpose
    assert demo.campaigns.notice(cid, week) == before
    assert dataclasses.asdict(demo.workflow.weekly_report("city", week, weeks=3)) == report
    assert demo.campaigns.progress(cid, week)["units"] == before["all_units"]
    # Today's figures do show them.
    now = demo.campaigns.progress(cid)["total"]
    assert now["resolved"] >= before["total"]["resolved"] + 40


def test_closing_freezes_the_figures(demo: LeianService) -> None:
    """A closed campaign answers the figures stored when it closed, whatever happens to its cases later."""
    listed = [e["case_id"] for e in demo.campaigns.entries(_campaign(demo)) if e["outcome"] == "未化解"][:12]
    camp = demo.campaigns.create("冻结测试攻坚", "2027-06-30", starts_on="2026-11-01")
    assert demo.campaigns.add_cases(camp.id, listed) == 12
    demo.campaigns.close(camp.id)
    frozen = demo.campaigns.progress(camp.id)
    assert frozen["frozen"] is True and frozen["total"]["listed"] == 12 and frozen["total"]["resolved"] == 0
    assert isinstance(demo.clock, FixedClock)
    demo.clock.advance(days=3)
    for case_id in listed[:5]:
        demo.update_case(case_id, CaseUpdate(status=Status.resolved))
    assert demo.campaigns.progress(camp.id) == frozen
    assert demo.campaigns.progress(camp.id, demo.clock.today()) == frozen
    stored = demo.db.query_one("SELECT frozen, closed_at FROM campaigns WHERE id = ?", (camp.id,))
    assert stored is not None and json.loads(stored["frozen"])["total"] == frozen["total"]
    with pytest.raises(Exception, match="已结束"):
        demo.campaigns.sign_letter(camp.id, "广州市", resolution_target=0.9, repeat_target=0.1,
                                   deadline="2027-06-30", signed_on="2026-12-01", signatory="某某")  # fmt: skip


def test_an_issued_notice_does_not_change_after_later_resolutions(demo: LeianService) -> None:
    cid = _campaign(demo)
    week = dt.date.fromisoformat(demo.campaigns.notices(cid)[0]["week_end"])
    before = demo.campaigns.notice(cid, week)
    unit = before["rows"][0]["unit"]
    open_ids = [
        e["case_id"] for e in demo.campaigns.entries(cid) if e["lead_unit"] == unit and e["outcome"] == "未化解"
    ]
    assert open_ids
    assert isinstance(demo.clock, FixedClock)
    demo.clock.advance(days=1)
    for case_id in open_ids:
        demo.update_case(case_id, CaseUpdate(status=Status.resolved, resolved_date=week))  # back-dated on purpose
    assert demo.campaigns.notice(cid, week) == before
    # Progress as of that week is unchanged too (the change counts from the day it was recorded) ...
    past = {u["unit"]: u for u in demo.campaigns.progress(cid, week)["units"]}
    assert past[unit]["resolved"] == before["rows"][0]["resolved"]
    # ... and today's shows it.
    now = {u["unit"]: u for u in demo.campaigns.progress(cid)["units"]}
    assert now[unit]["resolved"] == now[unit]["listed"]


def test_letters_export_and_progress_against_target(demo: LeianService) -> None:
    cid = _campaign(demo)
    letters = demo.campaigns.letters(cid)
    assert len(letters) == 6 and all(r["resolution_target"] == 0.9 for r in letters)
    assert any(not r["resolution_met"] and r["gap_cases"] > 0 for r in letters)
    # Progress against target, by hand: listed and resolved from the database; the gap is the cases
    # still needed to reach the target (rounded up); met when the rate reaches it.
    day = demo.clock.today().isoformat()
    by_hand = {r["unit"]: r for r in demo.db.query(HAND_SQL, {"d": day, "c": cid})}
    for r in letters:
        hand = by_hand[r["unit"]]
        assert (r["listed"], r["resolved"]) == (hand["listed"], hand["resolved"])
        need = math.ceil(hand["listed"] * r["resolution_target"] - 1e-9)
        assert r["gap_cases"] == max(0, need - hand["resolved"])
        assert r["resolution_met"] == (hand["resolved"] / hand["listed"] >= r["resolution_target"])
    sheet = load_workbook(io.BytesIO(demo.campaigns.letters_xlsx(cid))).active
    assert sheet["A1"].value == "单位" and sheet.max_row >= 7
    assert any(str(c.value).startswith("化解率") for c in sheet["A"])


def test_a_city_account_sees_its_own_rows(demo: LeianService) -> None:
    cid = _campaign(demo)
    gz = demo.users.by_username("gz_handler")
    assert gz is not None
    week = dt.date.fromisoformat(demo.campaigns.notices(cid)[-1]["week_end"])
    notice = demo.campaigns.notice(cid, week, actor=gz)
    assert {r["unit"] for r in notice["rows"]} <= {"广州市"}
    assert {e["locality"] for e in demo.campaigns.entries(cid, actor=gz)} == {"广州市"}
    assert {r["unit"] for r in demo.campaigns.letters(cid, actor=gz)} <= {"广州市"}
    with pytest.raises(InvalidInputError):
        demo.campaigns.notice(cid, week + dt.timedelta(days=7), issue=True, actor=gz)


def test_import_names_each_bad_row_and_writes_nothing(demo: LeianService) -> None:
    camp = demo.campaigns.create("测试攻坚", "2027-03-31", starts_on="2026-12-01")
    some = demo.cases.get_many(demo.cases.all_ids()[:2])
    first, second = list(some.values())
    data = (
        "登记编号,牵头单位,化解期限\n"
        f"{first.external_no},广州市,2027-01-31\n"
        "GD-NOPE,广州市,2027-01-31\n"
        f"{second.external_no},不存在的单位,2027-01-31\n"
    ).encode()
    with pytest.raises(InvalidInputError) as err:
        demo.campaigns.import_list(camp.id, data, "list.csv")
    assert [p.row for p in err.value.problems] == [3]
    data = data.replace(b"GD-NOPE,\xe5\xb9\xbf\xe5\xb7\x9e\xe5\xb8\x82,2027-01-31\n", b"")
    with pytest.raises(InvalidInputError) as err:
        demo.campaigns.import_list(camp.id, data, "list.csv")
    assert err.value.problems[0].row == 3 and "不存在的单位" in err.value.problems[0].message
    assert demo.campaigns.get(camp.id).cases == 0
    ok = data.replace("不存在的单位".encode(), "省教育厅".encode())
    assert demo.campaigns.import_list(camp.id, ok, "list.csv") == 2
    demo.campaigns.close(camp.id)
    with pytest.raises(Exception, match="已结束"):
        demo.campaigns.add_cases(camp.id, [first.id])


def test_http_and_cli_doors(demo: LeianService, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.cli import cli, register_commands
    from tests.conftest import auth

    cid = _campaign(demo)
    _, sup = demo.users.create("api_sup", "supervisor", "password-123")
    _, gz = demo.users.create("api_gz", "handler", "password-123", unit="广州市", scope="city")
    week = demo.campaigns.notices(cid)[-1]["week_end"]
    with TestClient(create_app(demo), raise_server_exceptions=False) as client:
        listed = client.get("/api/campaigns", headers=auth(sup)).json()
        assert cid in [c["id"] for c in listed]
        notes = client.get(f"/api/campaigns/{cid}/notices", headers=auth(sup)).json()
        assert len(notes) == 2
        one = client.get(f"/api/campaigns/{cid}/notices/{week}", headers=auth(sup)).json()
        assert one["rows"] and one["definitions"]["化解率"]
        city = client.get(f"/api/campaigns/{cid}/notices/{week}", headers=auth(gz)).json()
        assert {r["unit"] for r in city["rows"]} <= {"广州市"}
        doc = client.get(f"/api/campaigns/{cid}/notices/{week}?format=docx", headers=auth(sup))
        assert doc.status_code == 200 and doc.content[:2] == b"PK"
        letters = client.get(f"/api/campaigns/{cid}/letters", headers=auth(sup)).json()
        assert len(letters) == 6
        bad = client.post(
            f"/api/campaigns/{cid}/letters",
            headers=auth(sup),
            json={
                "unit": "火星市",
                "resolution_target": 0.9,
                "repeat_target": 0.05,
                "deadline": "2027-03-31",
                "signed_on": "2026-12-01",
                "signatory": "某某",
            },
        )
        assert bad.status_code == 422 and "火星市" in bad.text
        refused = client.post(f"/api/campaigns/{cid}/notices?week_end=2026-11-27", headers=auth(gz))
        assert refused.status_code in (403, 422)
        assert len(client.get(f"/api/campaigns/{cid}/visits", headers=auth(sup)).json()) == 1
    register_commands()
    runner = CliRunner()
    env = {
        "LEIAN_DATA_DIR": str(demo.settings.data_dir),
        "LEIAN_ENCODER": "hashing",
        "LEIAN_PETITIONER_KEY": "test-secret-key",
    }
    out = tmp_path / "n.docx"
    result = runner.invoke(cli, ["campaigns", "notice", str(cid), week, "--docx", str(out), "--as", "api_sup"], env=env)
    assert result.exit_code == 0, result.output
    assert "周滚动通报" in result.output and out.read_bytes()[:2] == b"PK"
    result = runner.invoke(cli, ["campaigns", "progress", str(cid), "--as", "api_gz"], env=env)
    assert result.exit_code == 0 and "广州市" in result.output and "深圳市" not in result.output


def test_the_case_list_masks_titles(demo: LeianService) -> None:
    cid = _campaign(demo)
    case_id = int(demo.campaigns.entries(cid)[0]["case_id"])
    with demo.db.transaction() as conn:  # a title typed with a phone number, as registries do
        conn.execute("UPDATE cases SET title = title || '（联系电话13912345678）' WHERE id = ?", (case_id,))
    (row,) = [e for e in demo.campaigns.entries(cid) if e["case_id"] == case_id]
    assert "13912345678" not in row["title"] and "联系电话" in row["title"]


def test_change_from_last_week_and_consecutive_weeks(demo: LeianService) -> None:
    """Each notice row's change is this week's rate less last week's (the issued notice's figures), and
    its week count is 2 exactly when last week's issued notice listed it."""
    cid = _campaign(demo)
    first, second = (
        demo.campaigns.notice(cid, dt.date.fromisoformat(n["week_end"])) for n in demo.campaigns.notices(cid)
    )
    last_week = {u["unit"]: u for u in first["all_units"]}
    listed_before = {r["unit"] for r in first["rows"]}
    assert second["rows"]
    for r in second["rows"]:
        p = last_week[r["unit"]]
        assert r["change_resolution_rate"] == round(r["resolution_rate"] - p["resolution_rate"], 4)
        assert r["weeks"] == (2 if r["unit"] in listed_before else 1)
    assert all(r["weeks"] == 1 for r in first["rows"])
    assert "较上周" in second["markdown"] and "连续上榜周数" in second["markdown"]


def test_one_letter_per_unit_visits_and_linked_orders(demo: LeianService) -> None:
    camp = demo.campaigns.create("责任状测试攻坚", "2027-06-30", starts_on="2026-11-01")
    terms = {"resolution_target": 0.8, "repeat_target": 0.1, "deadline": "2027-06-30", "signatory": "张某"}
    demo.campaigns.sign_letter(camp.id, "广州", signed_on="2026-11-20", **terms)  # type: ignore[arg-type]
    again = demo.campaigns.sign_letter(camp.id, "广州市", signed_on="2026-11-25", **{**terms, "resolution_target": 0.9})  # type: ignore[arg-type]
    (only,) = demo.campaigns.letters(camp.id)
    assert only["unit"] == "广州市" and only["resolution_target"] == 0.9 and only["signed_on"] == "2026-11-25"
    assert again["definitions"]["化解率"].startswith("列入本活动清单的案件中")
    with pytest.raises(InvalidInputError, match="签订日期不能晚于今天"):
        demo.campaigns.sign_letter(camp.id, "深圳市", signed_on="2099-01-01", **terms)  # type: ignore[arg-type]
    visit = demo.campaigns.add_visit(camp.id, team="第二督查组", units=["广州", "深圳市"], findings="台账不全",
                                     starts_on="2026-11-26", ends_on="2026-11-27")  # fmt: skip
    assert visit["units"] == ["广州市", "深圳市"] and (visit["starts_on"], visit["ends_on"]) == (
        "2026-11-26",
        "2026-11-27",
    )
    with pytest.raises(InvalidInputError):
        demo.campaigns.add_visit(camp.id, team="x", units=["火星市"], findings="y", starts_on="2026-11-26",
                                 ends_on="2026-11-27")  # fmt: skip
    linked = demo.campaigns.orders(_campaign(demo))
    assert linked and all(o["case_id"] for o in linked)
    demo.campaigns.link_order(camp.id, int(linked[0]["id"]))
    assert [o["id"] for o in demo.campaigns.orders(camp.id)] == [linked[0]["id"]]
    with pytest.raises(NotFoundError):
        demo.campaigns.link_order(camp.id, 999_999)
