"""BM25: agrees with a direct formula, and incremental updates equal a fresh build."""

from __future__ import annotations

import math
import random

import numpy as np

from indexing.lexical import BM25Index

DOCS = {
    1: ["拖欠", "工资", "包工头", "工地", "工资"],
    2: ["物业", "收费", "小区", "电梯"],
    3: ["拖欠", "运费", "货运", "平台", "司机"],
    4: ["工资", "拖欠", "工厂", "老板", "跑路"],
    5: ["噪音", "施工", "夜间", "扰民"],
}


def reference_scores(
    docs: dict[int, list[str]], query: list[str], k1: float = 1.2, b: float = 0.75
) -> dict[int, float]:
    n = len(docs)
    avgdl = sum(len(d) for d in docs.values()) / n
    out = {}
    for doc_id, toks in docs.items():
        score = 0.0
        for term in query:
            df = sum(term in d for d in docs.values())
            tf = toks.count(term)
            if tf == 0:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(toks) / avgdl))
        if score > 0:
            out[doc_id] = score
    return out


def as_dict(index: BM25Index, query: list[str], allowed: np.ndarray | None = None) -> dict[int, float]:
    ids, scores = index.scores(query, allowed)
    return dict(zip(ids.tolist(), scores.tolist(), strict=True))


def test_scores_match_reference_formula() -> None:
    index = BM25Index()
    index.add_many(DOCS.items())
    query = ["拖欠", "工资"]
    got, want = as_dict(index, query), reference_scores(DOCS, query)
    assert got.keys() == want.keys()
    for doc_id in want:
        assert math.isclose(got[doc_id], want[doc_id], rel_tol=1e-5)
    ids, _ = index.top_k(query, 2)
    assert ids.tolist() == [1, 4]


def test_incremental_updates_equal_fresh_build() -> None:
    rng = random.Random(7)
    vocab = [f"词{i}" for i in range(40)]
    docs = {i: rng.choices(vocab, k=rng.randint(3, 15)) for i in range(1, 300)}
    live = BM25Index(compact_ratio=0.05)
    for doc_id, toks in docs.items():
        live.add(doc_id, toks)
        if doc_id % 50 == 0:
            live.scores(["词1"])  # force segment building mid-way
    removed = [i for i in docs if i % 7 == 0]
    live.remove(removed)
    for i in removed[:5]:
        docs[i] = rng.choices(vocab, k=6)
        live.add(i, docs[i])
    current = {i: t for i, t in docs.items() if i not in removed[5:]}
    fresh = BM25Index()
    fresh.add_many(current.items())
    for query in (["词1", "词2"], ["词39"], ["词5", "词5", "词7"]):
        a, b = as_dict(live, query), as_dict(fresh, query)
        assert a.keys() == b.keys()
        assert all(math.isclose(a[i], b[i], rel_tol=1e-5) for i in a)
        assert a == as_dict(live, query)


def test_allowed_ids_restrict_results() -> None:
    index = BM25Index()
    index.add_many(DOCS.items())
    got = as_dict(index, ["拖欠"], allowed=np.array([3, 5]))
    assert set(got) == {3}


def test_unknown_terms_and_empty_index() -> None:
    assert as_dict(BM25Index(), ["拖欠"]) == {}
    index = BM25Index()
    index.add_many(DOCS.items())
    assert as_dict(index, ["不存在的词"]) == {}


def test_a_large_allow_list_as_a_mask_answers_like_the_search() -> None:
    """Allow-lists above an eighth of the index are tested through a mask over the id space, with
    tombstoned and delta-segment documents; the answer is the same as searching the ids."""
    rng = random.Random(11)
    vocab = [f"词{i}" for i in range(30)]
    index = BM25Index(compact_ratio=0.5)
    index.add_many((i, rng.choices(vocab, k=rng.randint(3, 12))) for i in range(1, 400))
    index.scores(["词1"])  # build the main segment
    index.remove([5, 6, 7])
    index.add(8, ["词1", "词2"])  # a replaced document lives in the delta
    index.add(500, ["词1", "词3"])
    picks = np.random.default_rng(3)
    for size in (10, 60, 200, 390):
        allowed = np.sort(picks.choice(np.arange(1, 520), size, replace=False))
        for query in (["词1", "词2"], ["词3"], ["词4", "词9", "词9"]):
            index.mask_filters = True
            masked = index.top_k(query, 20, allowed)
            index.mask_filters = False
            searched = index.top_k(query, 20, allowed)
            np.testing.assert_array_equal(masked[0], searched[0])
            np.testing.assert_array_equal(masked[1], searched[1])
            assert np.isin(masked[0], allowed).all() and not np.isin(masked[0], [5, 6, 7]).any()


def test_cached_saturation_gives_bit_equal_scores_across_writes_and_evictions(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import indexing.lexical as lexical

    rng = random.Random(11)
    vocab = [f"词{i}" for i in range(60)]
    docs = {i: rng.choices(vocab, k=rng.randint(3, 20)) for i in range(1, 400)}
    queries = [rng.choices(vocab, k=rng.randint(1, 8)) for _ in range(30)]

    def bound(index: BM25Index, max_bytes: int) -> None:
        monkeypatch.setattr(lexical, "SATURATION_CACHE_BYTES", max_bytes)  # segments a write builds
        for seg, _ in index._segments():
            seg._sat.max_bytes = max_bytes

    def uncached(index: BM25Index, query: list[str]) -> dict[int, float]:
        kept = {id(seg): (seg._sat, seg._sat.max_bytes) for seg, _ in index._segments()}
        for seg, _ in index._segments():
            seg._sat = type(seg._sat)(0)  # nothing is kept
        try:
            return as_dict(index, query)
        finally:
            for seg, _ in index._segments():
                seg._sat = kept[id(seg)][0]

    index = BM25Index(compact_ratio=0.05)
    index.add_many(list(docs.items())[:300])
    for cap in (128 << 20, 600):  # everything cached; a cap that evicts on almost every term
        bound(index, cap)
        for query in queries:
            cold = as_dict(index, query)
            assert as_dict(index, query) == cold  # the second run reads the cache
            assert cold == uncached(index, query)
        for query in queries:
            as_dict(index, query)  # leave the cache warm
        # A write changes the average length: cached columns of the old average are never reused.
        for doc_id in range(300 + (cap == 600) * 50, 350 + (cap == 600) * 49):
            index.add(doc_id, docs[doc_id])
        index.remove([5, 6])
        bound(index, cap)
        warm = [as_dict(index, query) for query in queries]  # read what the cache kept
        for query, got in zip(queries, warm, strict=True):
            assert got == uncached(index, query)
    as_dict(index, queries[0])
    main = index._segments()[0][0]
    assert 0 < main._sat.nbytes <= 600  # the cap holds
