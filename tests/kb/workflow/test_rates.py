"""化解率 and 再次信访率 on the bundled samples (issue 18): the weekly figure is no longer ~0 %, it is what
a hand-written SQL over the cases and their status log gives; a later change (even with a back-dated
resolution date) does not move a past week; 已办结 counts as resolved unless the setting says otherwise;
"（未指定）" and small units are never ranked; a repeat whose earlier case was still open does not count."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli.cases import SAMPLES
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import FixedClock, day_end
from kb.domain import CaseUpdate, Status
from kb.service import LeianService
from kb.workflow import rates
from kb.workflow.rate_store import case_facts
from kb.workflow.rates import UNKNOWN, RateRules
from tests.conftest import make_settings

WEEK_END = dt.date(2026, 11, 20)

# Due = received + 60 days (samples enter the lifecycle by import, so the 办理期限 is that); resolved by
# :t = the latest status-log row effective on or before :t has a resolved status.
HAND_SQL = """
WITH last AS (
  SELECT l.case_id, l.status FROM case_status_log l
  WHERE l.id = (SELECT l2.id FROM case_status_log l2 WHERE l2.case_id = l.case_id AND l2.effective_on <= :t
                ORDER BY l2.effective_on DESC, l2.id DESC LIMIT 1)
)
SELECT c.city AS unit, COUNT(*) AS due, SUM(COALESCE(last.status IN ({statuses}), 0)) AS resolved
FROM cases c LEFT JOIN last ON last.case_id = c.id
WHERE date(c.received_date, '+60 days') BETWEEN :f AND :t GROUP BY c.city
"""


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LeianService]:
    tmp: Path = tmp_path_factory.mktemp("rates")
    service = LeianService(
        make_settings(tmp), encoder=HashingEncoder(), segmenter=Segmenter(), clock=FixedClock(dt.date(2026, 12, 2))
    )
    with SAMPLES.open(encoding="utf-8") as f:
        service.ingest([(None, json.loads(line)) for line in f if line.strip()])
    yield service
    service.close()


def _hand(service: LeianService, f: dt.date, t: dt.date, statuses: str = "'resolved', 'closed'") -> dict[str, tuple]:
    rows = service.db.query(HAND_SQL.format(statuses=statuses), {"f": f.isoformat(), "t": t.isoformat()})
    return {r["unit"]: (r["due"], r["resolved"]) for r in rows}


def test_weekly_resolution_rate_is_due_cases_resolved_by_the_week_end(samples: LeianService) -> None:
    report = samples.workflow.weekly_report("city", WEEK_END, weeks=8)
    hand = _hand(samples, WEEK_END - dt.timedelta(days=6), WEEK_END)
    assert {r.unit: (r.due, r.cohort_resolved) for r in report.rows if r.due} == hand
    due, resolved = sum(d for d, _ in hand.values()), sum(r for _, r in hand.values())
    assert report.total.resolution_rate == round(resolved / due, 4)
    assert 0.2 < report.total.resolution_rate < 0.9  # the review saw 0 %
    assert sum(1 for p in report.trend if p.resolution_rate) == 8
    assert "化解率" in report.definitions and "已化解、已办结" in report.definitions["已化解状态"]
    for r in report.rows:
        assert r.ranked == (r.due >= 5 and r.unit != UNKNOWN)
        assert not r.lowest or r.ranked


def test_closed_counts_as_resolved_unless_the_setting_says_otherwise(samples: LeianService) -> None:
    f = WEEK_END - dt.timedelta(days=6 + 28)
    only = RateRules(resolved=frozenset({"resolved"}))
    cases = list(case_facts(samples.db, received_by=WEEK_END).values())
    both = rates.period_counts(cases, "city", f, WEEK_END, day_end(WEEK_END), RateRules())
    narrow = rates.period_counts(cases, "city", f, WEEK_END, day_end(WEEK_END), only)
    assert {u: (c.due, c.due_resolved) for u, c in narrow.items() if c.due} == _hand(samples, f, WEEK_END, "'resolved'")
    assert sum(c.due_resolved for c in narrow.values()) < sum(c.due_resolved for c in both.values())


def test_a_later_change_does_not_move_a_past_week(samples: LeianService) -> None:
    before = samples.workflow.weekly_report("city", WEEK_END, weeks=2)
    unit = next(r for r in before.rows if r.due > r.cohort_resolved)
    open_case = samples.db.query_one(
        "SELECT id FROM cases WHERE city = ? AND status NOT IN ('resolved', 'closed') "
        "AND date(received_date, '+60 days') BETWEEN ? AND ?",
        (unit.unit, (WEEK_END - dt.timedelta(days=6)).isoformat(), WEEK_END.isoformat()),
    )
    assert open_case is not None
    samples.update_case(open_case["id"], CaseUpdate(status=Status.resolved, resolved_date=WEEK_END))
    after = samples.workflow.weekly_report("city", WEEK_END, weeks=2)
    assert [(r.unit, r.due, r.cohort_resolved) for r in after.rows] == [
        (r.unit, r.due, r.cohort_resolved) for r in before.rows
    ]
    log = samples.db.query("SELECT effective_on, source FROM case_status_log WHERE case_id = ?", (open_case["id"],))
    assert [tuple(r) for r in log][-1] == ("2026-12-02", "edit")


def test_repeat_rate_counts_only_petitions_after_the_resolution_within_the_window(samples: LeianService) -> None:
    """By hand: earlier cases resolved (one status-log row, so its effective day is the resolution day)
    with a repeat link to a later case received 1..90 days after that day."""
    t = WEEK_END
    f = dt.date(2024, 1, 1)
    single = "SELECT case_id FROM case_status_log GROUP BY case_id HAVING COUNT(*) = 1"
    base = samples.db.query(
        f"""SELECT l.case_id, l.effective_on FROM case_status_log l WHERE l.case_id IN ({single})
            AND l.status IN ('resolved', 'closed') AND l.effective_on BETWEEN ? AND ?""",
        (f.isoformat(), t.isoformat()),
    )
    ids = [r["case_id"] for r in base]
    followed = samples.db.query(
        f"""SELECT COUNT(DISTINCT l.other_id) FROM case_links l JOIN cases later ON later.id = l.case_id
            JOIN case_status_log s ON s.case_id = l.other_id
            WHERE l.kind = 'repeat' AND l.other_id IN ({single}) AND s.status IN ('resolved', 'closed')
              AND s.effective_on BETWEEN ? AND ? AND later.received_date > s.effective_on
              AND later.received_date <= min(date(s.effective_on, '+90 days'), ?)""",
        (f.isoformat(), t.isoformat(), t.isoformat()),
    )[0][0]
    all_links = samples.db.query(
        f"SELECT COUNT(DISTINCT other_id) FROM case_links WHERE kind = 'repeat' AND other_id IN ({single})"
    )[0][0]
    facts = list(case_facts(samples.db, ids=ids).values())
    counted = rates.period_counts(facts, "city", f, t, day_end(t), RateRules())
    assert sum(c.repeat_base for c in counted.values()) == len(ids)
    assert sum(c.repeat_followed for c in counted.values()) == followed
    assert 0 < followed < all_links  # links to a still-open (or long-ago) case no longer count


def test_docs_state_every_definition() -> None:
    """Done-when (issue 18): docs/workflow.md states every definition the pages and exports show —
    化解率, 再次信访率, the on-time rates, 积案, which statuses count as resolved and the setting, the
    min-cases rule for ranking and the notice lines — under 统计口径, with the settings that change them."""
    from kb.settings import ENV

    text = (Path(__file__).resolve().parents[3] / "docs" / "workflow.md").read_text(encoding="utf-8")
    start = text.index("### 统计口径")
    section = text[start : text.index("\n## ", start)]
    rules = RateRules()
    for name in [*rates.definitions(rules), *rates.list_definitions(rules)]:
        label = {"已化解状态": "resolved_statuses", "排名": "排名"}.get(name, name)
        assert f"**{label}" in section or f"`{label}`" in section, name
    for setting in ("resolved_statuses", "repeat_window_days", "rate_min_cases", "repeat_rate_alert"):
        assert f"`{setting}` (`{ENV[setting]}`)" in section, setting
    for words in ("shown", "not ranked", "backlog_days", "resolution_line", "repeat_line", "consecutive weeks",
                  "change from last week", "已化解 and 已办结", "按期受理率", "按期办结率"):  # fmt: skip
        assert words in section, words
    assert "**按期受理率**" in text and "**按期办结率**" in text  # their full words, under On-time rates
