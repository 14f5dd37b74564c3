"""The rates counted in SQL (kb/workflow/rate_store.period_counts, what every report reads) agree with
the straightforward Python count over each case's history (kb/workflow/rates.period_counts over
case_facts) on a seeded random history: several status changes a case (some on the same day), 办理期限
set and re-set (some at the same stamp), extensions recorded before and after the due day, repeat links,
empty and missing units; short and long periods, both groupings, other rules and a reader's scope; 积案
(received at least backlog_days before the end, not resolved on it) included."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.clock import day_end
from kb.schema import ALL_MIGRATIONS
from kb.scope import PROVINCE, Scope
from kb.storage.db import Database
from kb.workflow import rate_store, rates
from kb.workflow.rates import RateRules

START = dt.date(2025, 1, 1)
STATUSES = ["pending", "in_progress", "resolved", "unresolved", "closed"]


def _day(rng: random.Random, lo: int, hi: int) -> dt.date:
    return START + dt.timedelta(days=rng.randint(lo, hi))


def _stamp(day: dt.date, rng: random.Random) -> str:
    return f"{day.isoformat()}T{rng.choice([0, 9, 9, 23]):02d}:00:00+08:00"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    rng = random.Random(20261202)
    db = Database(Path(tmp_path_factory.mktemp("ratesql")) / "r.db", migrations=ALL_MIGRATIONS)
    with db.transaction() as conn:
        for i in range(1, 601):
            received = _day(rng, 0, 300)
            city = rng.choice(["城市甲", "城市乙", "城市丙", "", None])
            department = rng.choice(["部门一", "部门二", None])
            conn.execute(
                "INSERT INTO cases(id, external_no, content, received_date, city, department, status, content_hash, "
                "created_at, updated_at) VALUES (?, ?, 'x', ?, ?, ?, 'pending', 'h', 't', 't')",
                (i, f"R{i}", received.isoformat(), city, department),
            )
            day = received
            for _ in range(rng.choice([0, 1, 1, 2, 3, 5])):
                day += dt.timedelta(days=rng.choice([0, 0, 1, 7, 30, 60]))
                conn.execute(
                    "INSERT INTO case_status_log(case_id, status, effective_on, at, source) "
                    "VALUES (?, ?, ?, NULL, 'edit')",
                    (i, rng.choice(STATUSES), day.isoformat()),
                )
            moment, last_due = received, received
            for _ in range(rng.choice([0, 0, 1, 2, 4])):
                moment += dt.timedelta(days=rng.choice([0, 3, 20, 50]))
                action, to_stage = rng.choice(
                    [
                        ("accept", "accepted"),
                        ("import", "accepted"),
                        ("import", "closed"),
                        ("upgrade", "accepted"),
                        ("extend", "accepted"),
                        ("extend", "accepted"),
                        ("sign", "accepted"),
                    ]
                )
                if action == "extend" and last_due > moment and rng.random() < 0.5:
                    moment = last_due  # an extension recorded on the due day itself still counts
                due = moment + dt.timedelta(days=rng.choice([-5, 10, 30, 60]))
                last_due = due
                conn.execute(
                    "INSERT INTO case_transitions(case_id, action, to_stage, actor, at, due_date_after) "
                    "VALUES (?, ?, ?, 'a', ?, ?)",
                    (i, action, to_stage, _stamp(moment, rng), None if rng.random() < 0.1 else due.isoformat()),
                )
        for later in range(2, 601):
            if rng.random() < 0.3:
                conn.execute(
                    "INSERT INTO case_links(case_id, kind, other_id, similarity, created_at) "
                    "VALUES (?, 'repeat', ?, 0.9, 't')",
                    (later, rng.randint(1, later - 1)),
                )
    yield db
    db.close()


PERIODS = [
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    (dt.date(2025, 3, 3), dt.date(2025, 3, 9)),
    (dt.date(2025, 5, 1), dt.date(2025, 5, 31)),
    (dt.date(2025, 8, 11), dt.date(2025, 8, 17)),
    (dt.date(2025, 6, 1), dt.date(2025, 9, 30)),
]


@pytest.mark.parametrize(
    ("group_by", "rules", "scope", "city"),
    [
        ("city", RateRules(), PROVINCE, None),
        ("department", RateRules(), PROVINCE, None),
        ("city", RateRules(frozenset({"resolved"}), window_days=30, handling_days=15), PROVINCE, None),
        ("department", RateRules(frozenset(), window_days=7), PROVINCE, None),
        ("department", RateRules(), Scope.city_of("城市乙"), None),
        ("city", RateRules(window_days=200), PROVINCE, "城市甲"),
        ("city", RateRules(backlog_days=14), PROVINCE, None),
        ("department", RateRules(frozenset({"resolved", "unresolved"}), backlog_days=120), PROVINCE, None),
    ],
)
def test_sql_counts_equal_the_python_recount(
    db: Database, group_by: str, rules: RateRules, scope: Scope, city: str | None
) -> None:
    in_sql = rate_store.period_counts(db, group_by, PERIODS, rules, scope, city)
    facts = list(rate_store.case_facts(db, scope, city, max(t for _, t in PERIODS)).values())
    for (date_from, date_to), counted in zip(PERIODS, in_sql, strict=True):
        by_hand = rates.period_counts(facts, group_by, date_from, date_to, day_end(date_to), rules)
        assert counted == by_hand, (date_from, date_to)
    # The history is rich enough for every count to be exercised.
    if rules.resolved:
        total = rates.Counts()
        for c in in_sql[0].values():
            total.add(c)
        assert total.due > 20 and 0 < total.due_resolved < total.due
        assert total.repeat_base > 10 and 0 < total.repeat_followed < total.repeat_base
    # 积案 (received by the backlog day, not resolved at the end) is exercised in a short period too.
    week = rates.Counts()
    for c in in_sql[3].values():
        week.add(c)
    assert week.backlog > 5


def test_an_empty_unit_and_a_missing_one_are_one_row_in_a_report(db: Database) -> None:
    """Received (report_store), the rates and 积案 (rate_store) and the on-time counts name a case
    without a city — NULL or '' — the same way, so its figures sit in one （未指定） row."""
    from kb.workflow import reports

    f, t = PERIODS[0]
    rows, _ = reports.period_rows(db, "city", f, t, None, 60)
    names = [r.unit for r in rows]
    assert "" not in names and names.count(rates.UNKNOWN) == 1
    (unknown,) = [r for r in rows if r.unit == rates.UNKNOWN]
    hand = db.query_one(
        "SELECT COUNT(*) FROM cases WHERE COALESCE(city, '') = '' AND received_date BETWEEN ? AND ?",
        (f.isoformat(), t.isoformat()),
    )
    assert hand is not None and unknown.received == hand[0] > 0
    assert unknown.backlog > 0 and not unknown.ranked
