"""MaxScore top-k (``BM25Index.top_k``) equals ranking every document, ids and scores bit for bit,
through adds, removes, replacements, compactions, a save and load, weighted terms and allow-lists."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import indexing.lexical as lexical
from indexing.lexical import BM25Index

VOCAB = [f"词{i}" for i in range(2000)]
WEIGHTS = [1.0 / (i + 1) ** 0.9 for i in range(len(VOCAB))]  # Zipf-like: a few terms in most documents


def docs(rng: random.Random, n: int, start: int = 0) -> dict[int, list[str]]:
    return {start + i: rng.choices(VOCAB, weights=WEIGHTS, k=rng.randint(5, 80)) for i in range(n)}


def queries(rng: random.Random, n: int) -> list[tuple[list[str], dict[str, float]]]:
    out: list[tuple[list[str], dict[str, float]]] = [(["词0"], {}), (["词1999", "未登录"], {}), (["词0", "词1"], {})]
    for _ in range(n):
        toks = rng.choices(VOCAB, weights=WEIGHTS, k=rng.randint(1, 40))
        extra = {t: rng.choice([0.3, 0.8]) for t in rng.sample(VOCAB[:300], 4)} if rng.random() < 0.5 else {}
        out.append((toks, extra))
    return out


def both(index: BM25Index, toks: list[str], k: int, allowed: np.ndarray | None, extra: dict[str, float]):
    index.prune = True
    pruned = index.top_k(toks, k, allowed, extra)
    index.prune = False
    exhaustive = index.top_k(toks, k, allowed, extra)
    index.prune = True
    return pruned, exhaustive


def assert_same(index: BM25Index, rng: random.Random, allowed: np.ndarray | None = None, n: int = 40) -> None:
    for toks, extra in queries(rng, n):
        for k in (1, 10, 200):
            (a_ids, a_scores), (b_ids, b_scores) = both(index, toks, k, allowed, extra)
            assert a_ids.tolist() == b_ids.tolist()
            assert a_scores.tobytes() == b_scores.tobytes()  # bit for bit
            # The exhaustive top k is the head of every document's scores, ties on the id.
            ids, scores = index.scores(toks, allowed, extra)
            order = np.lexsort((ids, -scores))[:k]
            assert b_ids.tolist() == ids[order].tolist()
            assert b_scores.tobytes() == scores[order].tobytes()


@pytest.fixture(autouse=True)
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexical, "PRUNE_MIN_DOCS", 500)


def test_pruned_top_k_equals_exhaustive_through_updates(tmp_path: Path) -> None:
    rng = random.Random(11)
    corpus = docs(rng, 6000)
    index = BM25Index.build(corpus.items(), compact_ratio=0.05)
    assert_same(index, rng)
    ids = list(corpus)
    index.remove(rng.sample(ids, 300))  # tombstones in the main segment
    for doc_id in rng.sample(ids, 200):  # replacements (some of removed ids), into the delta
        index.add(doc_id, rng.choices(VOCAB, weights=WEIGHTS, k=rng.randint(3, 60)))
    index.add_many(docs(rng, 250, 10_000).items())
    assert_same(index, rng)
    index.compact()
    assert_same(index, rng)
    index.save(tmp_path / "lex.bm25")
    loaded, _ = BM25Index.load(tmp_path / "lex.bm25")
    assert_same(loaded, rng)


def test_pruned_top_k_equals_exhaustive_under_allow_lists() -> None:
    rng = random.Random(5)
    corpus = docs(rng, 5000)
    index = BM25Index.build(corpus.items())
    index.remove(rng.sample(list(corpus), 100))
    every = np.array(sorted(corpus), dtype=np.int64)
    for share in (0.9, 0.3, 0.13, 0.01):  # masks (> 1/8 of the documents) and short lists (searched by id)
        allowed = np.sort(rng.sample(every.tolist(), int(len(every) * share)))
        assert_same(index, rng, np.asarray(allowed, dtype=np.int64), n=15)


def test_ties_at_the_depth_break_on_the_id() -> None:
    # Many documents with the same tokens: equal scores across the k-th place.
    rng = random.Random(3)
    corpus = {i: ["甲", "乙", "丙"] if i % 3 else ["甲", "乙"] for i in range(1, 3001)}
    corpus.update({i: rng.choices(VOCAB[:50], k=10) for i in range(3001, 4000)})
    index = BM25Index.build(corpus.items())
    for k in (1, 7, 200, 1500):
        (a_ids, a_scores), (b_ids, b_scores) = both(index, ["甲", "乙", "丙"], k, None, {})
        assert a_ids.tolist() == b_ids.tolist() and a_scores.tobytes() == b_scores.tobytes()
        assert a_ids.tolist()[: min(k, 2000)] == [i for i in range(1, 3001) if i % 3][: min(k, 2000)]


def test_pruning_skips_terms_and_rows() -> None:
    # MaxScore does prune here: the common terms are not accumulated and few rows are scored.
    rng = random.Random(8)
    index = BM25Index.build(docs(rng, 6000).items())
    index.prune = True
    seg = index._main
    assert seg is not None
    stats = []
    for toks, extra in queries(rng, 30):
        index.top_k(toks, 10, None, extra)
        stats.append(seg.last_prune)
    assert any(s is not None and s[1] < s[0] and s[3] < len(seg) // 4 for s in stats)


def test_compiled_accumulation_is_bit_equal_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_loop = lexical.compiled_scatter()
    if fast_loop is None:
        pytest.skip("numba is not installed (the fast extra)")
    monkeypatch.setattr(lexical, "_scatter", fast_loop)
    rng = random.Random(9)
    index = BM25Index.build(docs(rng, 3000).items())
    qs = queries(rng, 20)
    fast = [index.top_k(t, 50, None, e) for t, e in qs] + [index.scores(t, None, e) for t, e in qs]
    monkeypatch.setattr(lexical, "_scatter", lexical._scatter_numpy)
    index._main._sat.clear()  # type: ignore[union-attr]
    slow = [index.top_k(t, 50, None, e) for t, e in qs] + [index.scores(t, None, e) for t, e in qs]
    for (a_ids, a_scores), (b_ids, b_scores) in zip(fast, slow, strict=True):
        assert a_ids.tolist() == b_ids.tolist() and a_scores.tobytes() == b_scores.tobytes()
