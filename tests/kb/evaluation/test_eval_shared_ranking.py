"""One ranking path: the service's search and `leian eval`'s engine rank alike (kb.search.rank)."""

from __future__ import annotations

import numpy as np
import pytest

from kb.domain import SearchFilters
from kb.evaluation.engine import SYSTEMS, Engine, Index
from kb.search import EVAL_SYSTEMS, mode_of
from kb.service import LeianService

N_CASES = 80
QUERIES = ("包工头拖欠工资不给", "小区物业乱收费电梯坏了", "工厂夜间排放废气，居民投诉无人处理")


@pytest.fixture
def loaded(service: LeianService, sample_rows: list[tuple[int, dict]]) -> tuple[LeianService, Engine, Index, list[int]]:
    """The service over sample cases, and an eval index of the same stored vectors and tokens."""
    service.ingest(sample_rows[:N_CASES])
    ids = sorted(int(i) for i in service.index.vectors.ids().tolist())
    vectors = service.cases.vectors_for(service.encoder.name, ids)
    tokens = service.cases.tokens_for(ids)
    engine = Engine(service.settings, service.encoder, service.segmenter)
    index = engine.index(np.vstack([vectors[i] for i in ids]), [tokens.get(i, []) for i in ids])
    return service, engine, index, ids


def test_every_eval_system_is_a_product_mode() -> None:
    assert set(SYSTEMS) == set(EVAL_SYSTEMS)
    assert [mode_of(s) for s in SYSTEMS] == ["lexical", "dense", "hybrid"]
    assert mode_of("lexical") == "lexical"
    with pytest.raises(ValueError):
        mode_of("bm42")


@pytest.mark.parametrize("system", SYSTEMS)
def test_text_search_and_eval_rank_agree(loaded: tuple[LeianService, Engine, Index, list[int]], system: str) -> None:
    service, engine, index, ids = loaded
    for text in QUERIES:
        hits = service.search(text=text, k=10, mode=mode_of(system))
        query = service.query_for_text(text)
        ranked = engine.rank(
            index, query.vector, query.tokens, system, 10, extra=query.extra, expand_short=query.expand_short
        )
        assert [h.case.id for h in hits] == [ids[row] for row, _ in ranked]
        assert [h.score for h in hits] == pytest.approx([score for _, score in ranked])


@pytest.mark.parametrize("system", SYSTEMS)
def test_case_search_and_eval_rank_agree(loaded: tuple[LeianService, Engine, Index, list[int]], system: str) -> None:
    """By case: the case itself is excluded on both doors, the same way."""
    service, engine, index, ids = loaded
    for row in (0, 17, 41):
        hits = service.search(case_id=ids[row], k=10, mode=mode_of(system))
        ranked = engine.rank(index, index.vectors[row], index.tokens[row], system, 10, exclude=row)
        assert [h.case.id for h in hits] == [ids[r] for r, _ in ranked]
        assert ids[row] not in [h.case.id for h in hits]


@pytest.mark.parametrize("system", SYSTEMS)
def test_filtered_search_and_allow_list_agree(
    loaded: tuple[LeianService, Engine, Index, list[int]], system: str
) -> None:
    service, engine, index, ids = loaded
    city = service.get_case(ids[0]).city
    assert city
    filters = SearchFilters(cities=[city])
    position = {case_id: row for row, case_id in enumerate(ids)}
    allowed = np.array([position[int(i)] for i in service.cases.filter_ids(filters).tolist()], dtype=np.int64)
    query = service.query_for_text(QUERIES[0])
    hits = service.search(text=QUERIES[0], filters=filters, k=10, mode=mode_of(system))
    ranked = engine.rank(
        index, query.vector, query.tokens, system, 10, allowed, extra=query.extra, expand_short=query.expand_short
    )
    assert [h.case.id for h in hits] == [ids[r] for r, _ in ranked]
    assert all(h.case.city == city for h in hits)


def test_eval_index_uses_the_service_index_options(loaded: tuple[LeianService, Engine, Index, list[int]]) -> None:
    service, engine, index, _ = loaded
    assert engine.index_options() == service.settings.index_options()
    assert getattr(index.dense, "factory", None) == getattr(service.index.vectors, "factory", None)
    milvus = engine.settings.with_(index_backend="milvus", milvus_collection="cases")
    assert Engine(milvus, engine.encoder, engine.segmenter).index_options()["collection"] == "cases_eval"


def test_eval_queries_are_built_as_the_service_builds_typed_queries(
    loaded: tuple[LeianService, Engine, Index, list[int]],
) -> None:
    """`leian eval retrieval` queries: tokens, synonyms, short-query vector text and PRF as a typed search."""
    service, engine, index, ids = loaded
    texts = ["拉货的钱平台一直不给结", *QUERIES]
    for text, query in zip(texts, engine.queries(texts), strict=True):
        typed = service.query_for_text(text)
        assert query.tokens == typed.tokens
        assert query.extra == typed.extra
        assert query.expand_short == typed.expand_short
        assert np.allclose(query.vector, typed.vector, atol=1e-5)
        hits = service.search(text=text, k=10)
        ranked = engine.rank(index, query.vector, query.tokens, "hybrid", 10, extra=query.extra, expand_short=True)
        assert [h.case.id for h in hits] == [ids[row] for row, _ in ranked]
    assert engine.queries(["拉货的钱平台一直不给结"])[0].extra  # the lexicon widened it


def test_retrieval_finds_what_only_the_synonyms_name(engine_plain: Engine) -> None:
    """A query in colloquial words (拉货的钱) finds letters that only say 运费: the query path is the product's."""
    from kb.evaluation.retrieval import evaluate_retrieval

    corpus = [
        {"id": "f1", "text": "物流平台拖欠司机运费三个月，请求督促平台结清运费。"},
        {"id": "f2", "text": "司机的运费被货运平台扣着不结，多次催讨无果。"},
        {"id": "w1", "text": "小区物业乱收费，电梯长期损坏无人维修。"},
        {"id": "w2", "text": "学校违规补课收费，家长反映强烈。"},
    ]
    queries = [{"id": "q", "text": "拉货的钱一直不给", "relevance": {"f1": 3, "f2": 3, "w1": 0, "w2": 0}}]
    result = evaluate_retrieval(corpus, queries, engine_plain, k=2)
    assert result["systems"]["bm25"]["MAP"] == pytest.approx(1.0)


@pytest.fixture
def engine_plain() -> Engine:
    from indexing.encoders.hashing import HashingEncoder
    from indexing.segment import Segmenter
    from kb.settings import Settings

    return Engine(Settings(threads=1, encoder="hashing"), HashingEncoder(), Segmenter())
