"""Congruence (issue 17): the embedded profile (SQLite + FAISS, exact ``Flat``) and the distributed one
(PostgreSQL via ``LEIAN_DATABASE_URL`` + a Milvus standalone server, ``LEIAN_INDEX_BACKEND=milvus``,
exact ``FLAT``) given the same imports and edits give the same answers: case ids, text, filtered
and case-id searches (same ids in the same order, scores within float tolerance), repeat links,
group discovery (same groups, same members), the weekly and period rate reports and case lists.

Both profiles are built once per module from the bundled samples with the same hashing encoder (the
model is not the subject) and the same fixed clock. The Milvus server is the session's
(tests/milvus_server.py), PostgreSQL a database of the throw-away cluster (tests/pg.py); the tests
run in the Milvus server's virtualenv: ``./run milvus-server``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.domain import CaseIn, CaseUpdate, SearchFilters, SearchHit, Status
from kb.scope import Scope
from kb.service import LeianService
from kb.settings import Settings, load_settings
from kb.users import SYSTEM, Principal
from tests import pg

pytestmark = [pytest.mark.milvus_server, pytest.mark.postgres]

TODAY = dt.date(2026, 12, 2)
WEEK_END = dt.date(2026, 11, 20)
# Scores: FAISS and Milvus both compute float32 inner products, summed in different orders.
TOLERANCE = 1e-5
N_CASES = 1200


@dataclasses.dataclass
class Profiles:
    embedded: LeianService
    distributed: LeianService
    segmenter: Segmenter

    def both(self, fn: Callable[[LeianService], Any]) -> tuple[Any, Any]:
        return fn(self.embedded), fn(self.distributed)

    def reopen(self) -> None:
        """Both services closed and started again on their stores (what a restart does)."""
        self.embedded, self.distributed = (
            _open(svc.settings, self.segmenter, close=svc) for svc in (self.embedded, self.distributed)
        )


def _env(data_dir: Path, **more: str) -> dict[str, str]:
    return {"LEIAN_DATA_DIR": str(data_dir), "LEIAN_PETITIONER_KEY": "test-secret-key", "LEIAN_THREADS": "1", **more}


def _open(settings: Settings, segmenter: Segmenter, close: LeianService | None = None) -> LeianService:
    if close is not None:
        close.close()
    return LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter, clock=FixedClock(TODAY))


@pytest.fixture(scope="module")
def profiles(
    milvus_server: str,
    tmp_path_factory: pytest.TempPathFactory,
    segmenter: Segmenter,
    sample_rows: list[tuple[int, dict]],
) -> Iterator[Profiles]:
    if pg.pg_bin() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pytest.importorskip("psycopg")
    cluster = pg.shared()
    url = cluster.new_database()
    tmp: Path = tmp_path_factory.mktemp("congruence")
    collection = f"congruence_{uuid.uuid4().hex[:10]}"
    embedded = load_settings(_env(tmp / "embedded", LEIAN_INDEX_FACTORY="Flat"))
    distributed = load_settings(
        _env(
            tmp / "distributed",
            LEIAN_DATABASE_URL=url,
            LEIAN_INDEX_BACKEND="milvus",
            LEIAN_INDEX_FACTORY="FLAT",
            LEIAN_MILVUS_URI=milvus_server,
            LEIAN_MILVUS_COLLECTION=collection,
        )
    )
    both = Profiles(
        *(_open(s.with_(ingest_workers=1, ingest_workers_by_load=False), segmenter) for s in (embedded, distributed)),
        segmenter=segmenter,
    )
    client = both.distributed.index.vectors._client  # type: ignore[attr-defined]
    try:
        assert both.embedded.db.dialect == "sqlite" and both.embedded.index.vectors.backend == "faiss"
        assert both.distributed.db.dialect == "postgresql" and both.distributed.index.vectors.backend == "milvus"
        assert both.distributed.index.pushes_filters
        both.both(lambda svc: _history(svc, sample_rows))
        yield both
    finally:
        both.both(lambda svc: svc.close())
        client.drop_collection(collection)
        cluster.drop_database(url)


def _history(svc: LeianService, sample_rows: list[tuple[int, dict]]) -> None:
    """The same writes on each profile: two imports (the second re-imports some cases with a new
    status), then an edit of text, an edit that moves a case to another city (Milvus' partition
    key), a closed case, a deletion and one new case typed in."""
    first, second = sample_rows[: N_CASES // 2], sample_rows[N_CASES // 2 : N_CASES]
    svc.ingest(first)
    svc.ingest(second + [(n, dict(r, status="closed")) for n, r in first[:40]])
    a, b, c, d = (svc.get_case_by_external(r["external_no"]).id for _, r in first[100:104])
    svc.update_case(a, CaseUpdate(content="工地包工头拖欠农民工工资三个月不给，多次讨要无果，请求督促支付。"))
    svc.update_case(b, CaseUpdate(city="韶关市", district=None))
    svc.update_case(c, CaseUpdate(status=Status.resolved, resolved_date=dt.date(2026, 11, 18)))
    svc.delete_case(d)
    svc.create_case(
        CaseIn(
            external_no="CONGRUENCE-1",
            title="反映小区物业费上涨问题",
            content="小区物业公司未经业主大会同意擅自上涨物业费，服务质量下降，请求相关部门查处。",
            received_date=dt.date(2026, 11, 30),
            city="广州市",
            district="天河区",
            category="城乡建设",
            channel="网上",
        ),
        actor=SYSTEM,
    )


def _hits(hits: list[SearchHit]) -> list[tuple[int, str, float, float | None, float | None]]:
    return [(h.case.id, h.case.external_no or "", h.score, h.dense_score, h.lexical_score) for h in hits]


def _assert_same_hits(a: list[SearchHit], b: list[SearchHit], what: object) -> None:
    left, right = _hits(a), _hits(b)
    assert [h[:2] for h in left] == [h[:2] for h in right], (what, left, right)
    for x, y in zip(left, right, strict=True):
        for u, v in zip(x[2:], y[2:], strict=True):
            assert (u is None) == (v is None) and (u is None or abs(u - v) <= TOLERANCE), (what, x, y)
    assert [h.matched_terms for h in a] == [h.matched_terms for h in b], what
    assert [h.low_relevance for h in a] == [h.low_relevance for h in b], what


def _plain(value: Any) -> Any:
    """A report as nested dicts and lists (dataclasses unpacked), for ``==`` with a readable diff."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


QUERIES = (
    "包工头拖欠工资不给",
    "物业费",
    "征地补偿款一直没有发放",
    "视同缴费年限核定",
    "小区业主反映噪音扰民，夜间施工影响休息，多次投诉无人处理",
)


def test_the_same_cases_and_index_on_both(profiles: Profiles) -> None:
    lite, dist = profiles.embedded, profiles.distributed
    ids = profiles.both(lambda s: s.cases.all_ids())
    assert ids[0] == ids[1] and len(ids[0]) == N_CASES  # 1,200 imported, one deleted, one typed in

    # Every stored field, write times included: both profiles date their writes by the same clock.
    cases = profiles.both(lambda s: s.cases.get_many(s.cases.all_ids()))
    assert cases[0] == cases[1]
    assert len(lite.index.vectors) == len(dist.index.vectors) == N_CASES
    assert sorted(lite.index.vectors.ids().tolist()) == dist.index.vectors.ids().tolist() == sorted(ids[0])


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_text_searches_answer_the_same(profiles: Profiles, mode: str) -> None:
    for query in QUERIES:
        for k in (10, 50):
            a, b = profiles.both(lambda s, q=query, k=k: s.search(text=q, k=k, mode=mode))
            assert len(a) == k
            _assert_same_hits(a, b, (query, k, mode))


def _filters(svc: LeianService) -> list[SearchFilters]:
    cases = svc.cases.get_many(svc.cases.all_ids())
    first = cases[min(cases)]
    city, department = first.city or "", first.department or ""
    return [
        SearchFilters(cities=[city]),
        SearchFilters(cities=["广州市", "深圳市"], statuses=["pending", "in_progress"]),
        SearchFilters(statuses=["closed"]),
        SearchFilters(date_from=dt.date(2024, 6, 1), date_to=dt.date(2024, 12, 31)),
        SearchFilters(categories=[first.category or ""], channels=[first.channel or ""]),
        SearchFilters(litigation=False, departments=[department]),
        SearchFilters(scope=Scope.city_of(city)),
        SearchFilters(scope=Scope.department_of(department)),
        SearchFilters(cities=["韶关市"], date_from=dt.date(2025, 1, 1)),
        SearchFilters(by_field={"due_date": "overdue"}),  # not a collection field: the id list
    ]


def test_filtered_searches_answer_the_same(profiles: Profiles) -> None:
    filters = profiles.both(_filters)
    assert filters[0] == filters[1]
    for f in filters[0]:
        allowed = profiles.both(lambda s, f=f: s.cases.filter_ids(f).tolist())
        assert allowed[0] == allowed[1], f
        for query in QUERIES[:3]:
            for mode in ("hybrid", "dense"):
                a, b = profiles.both(lambda s, q=query, f=f, m=mode: s.search(text=q, filters=f, k=10, mode=m))
                _assert_same_hits(a, b, (query, f, mode))


def test_case_id_searches_answer_the_same(profiles: Profiles) -> None:
    ids = profiles.embedded.cases.all_ids()
    picked = [ids[0], ids[len(ids) // 3], ids[len(ids) // 2], ids[-1]]
    city = SearchFilters(cities=["广州市"])
    for case_id in picked:
        for filters in (None, city):
            a, b = profiles.both(lambda s, c=case_id, f=filters: s.search(case_id=c, filters=f, k=20))
            assert case_id not in [h.case.id for h in a]
            _assert_same_hits(a, b, (case_id, filters))


def test_repeat_links_and_litigation_are_the_same(profiles: Profiles) -> None:
    """Repeat detection asks the vector index for each new case's neighbours on import."""
    repeats = profiles.both(lambda s: _plain(s.workflow.repeat_list(limit=1000)))
    assert repeats[0] == repeats[1] and repeats[0]
    kinds = {r["kind"] for r in repeats[0]}
    assert {"exact", "repeat"} <= kinds, kinds
    litigation = profiles.both(lambda s: s.workflow.litigation_list(limit=1000))
    assert litigation[0] == litigation[1] and litigation[0]


def test_group_discovery_gives_the_same_groups(profiles: Profiles) -> None:
    def groups(svc: LeianService) -> tuple[Any, ...]:
        report = dataclasses.replace(svc.groups.discover(mode="full"), run_id=0)
        found = svc.groups.list_groups()
        members = {g.id: sorted(c.id for c in svc.groups.members(g.id)[0]) for g in found}
        pool, total = svc.groups.unassigned(limit=10_000)
        shown = [(g.id, g.name, g.state, g.keywords, g.representatives, g.size, g.family_id) for g in found]
        return report, shown, members, sorted(c.id for c in pool), total

    a, b = profiles.both(groups)
    assert a[0] == b[0]  # the run: cases, groups, pool size, kept/new/split/merged/retired
    assert a[1] == b[1]
    assert a[2] == b[2]
    assert a[3:] == b[3:]
    assert a[0].groups > 3
    # A second (incremental) run on both keeps the same groups.
    again = profiles.both(lambda s: dataclasses.replace(s.groups.discover(), run_id=0))
    assert again[0] == again[1]


def test_reports_give_the_same_numbers(profiles: Profiles) -> None:
    for group_by in ("city", "department"):
        weekly = profiles.both(lambda s, g=group_by: _plain(s.workflow.weekly_report(g, WEEK_END, weeks=8)))
        assert weekly[0] == weekly[1], group_by
        period = profiles.both(
            lambda s, g=group_by: _plain(s.workflow.period_report(g, dt.date(2026, 9, 1), dt.date(2026, 11, 30)))
        )
        assert period[0] == period[1], group_by
    latest = profiles.both(lambda s: _plain(s.workflow.weekly_report("city", city="广州市")))
    assert latest[0] == latest[1]


def test_case_lists_are_the_same(profiles: Profiles) -> None:
    filters = [SearchFilters(), *profiles.both(_filters)[0]]
    for f in filters:
        for offset in (0, 50):
            a, b = profiles.both(lambda s, f=f, o=offset: s.list_cases(f, limit=50, offset=o))
            assert a[1] == b[1], f
            assert [c.id for c in a[0]] == [c.id for c in b[0]], (f, offset)


def test_group_profiles_and_spread_are_the_same(profiles: Profiles) -> None:
    def described(svc: LeianService) -> tuple[Any, ...]:
        found = svc.groups.list_groups()
        described = []
        for g in found:
            p = svc.groups.profile(g.id)
            p["representatives"] = [c.id for c in p["representatives"]]
            described.append(_plain(p))
        similar = [[(o.id, score) for o, score in svc.groups.similar(g.id)] for g in found[:5]]
        return svc.groups.spread(), described, similar

    a, b = profiles.both(described)
    assert a[0] == b[0]
    assert a[1] == b[1]
    for x, y in zip(a[2], b[2], strict=True):
        assert [i for i, _ in x] == [i for i, _ in y]
        assert all(u == v or abs(u - v) <= TOLERANCE for (_, u), (_, v) in zip(x, y, strict=True))


def test_report_files_are_the_same(profiles: Profiles) -> None:
    from kb.workflow.exports import to_csv

    files = profiles.both(lambda s: to_csv(s.workflow.weekly_report("city", WEEK_END, weeks=8)))
    assert files[0] == files[1]


GZ = Principal(101, "gz", "handler", "广州市经办人", "广州市", Scope.city_of("广州市"))


def test_scoped_and_deep_searches_answer_the_same(profiles: Profiles) -> None:
    for query in QUERIES[:3]:
        a, b = profiles.both(lambda s, q=query: s.search(text=q, k=10, actor=GZ))
        assert {h.case.city for h in a} == {"广州市"}
        _assert_same_hits(a, b, (query, "广州市"))
        a, b = profiles.both(lambda s, q=query: s.search(text=q, k=200))
        _assert_same_hits(a, b, (query, 200))
    nothing = SearchFilters(cities=["不存在市"])
    assert profiles.both(lambda s: s.search(text=QUERIES[0], filters=nothing, k=10)) == ([], [])


def test_a_restart_answers_the_same(profiles: Profiles) -> None:
    """Last: both services restarted; the FAISS file and the Milvus collection's record are reopened."""
    before = profiles.both(lambda s: [_hits(s.search(text=q, k=10)) for q in QUERIES])
    profiles.reopen()
    assert not profiles.embedded.index.rebuilt_from_db and not profiles.distributed.index.rebuilt_from_db
    after = profiles.both(lambda s: [_hits(s.search(text=q, k=10)) for q in QUERIES])
    assert [[h[:2] for h in q] for q in after[0]] == [[h[:2] for h in q] for q in before[0]]
    same_case = profiles.both(lambda s: [h[:2] for h in _hits(s.search(case_id=1, k=10))])
    assert same_case[0] == same_case[1]
    assert [[h[:2] for h in q] for q in after[0]] == [[h[:2] for h in q] for q in after[1]]
