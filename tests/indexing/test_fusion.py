"""Fusion: a limited fusion is exactly the head of the full one, for both methods and with ties."""

from __future__ import annotations

import numpy as np
import pytest

from indexing.fusion import fuse


@pytest.mark.parametrize("method", ["rrf", "linear"])
def test_a_limited_fusion_is_the_head_of_the_full_ranking(method: str) -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        n_dense, n_lex = rng.integers(0, 40, size=2)
        dense_ids = rng.choice(60, size=n_dense, replace=False).astype(np.int64)
        lex_ids = rng.choice(60, size=n_lex, replace=False).astype(np.int64)
        # Rounded scores make ties, which must break on id in both paths.
        dense_scores = np.sort(np.round(rng.random(n_dense), 1))[::-1].astype(np.float32)
        lex_scores = np.sort(np.round(rng.random(n_lex) * 5, 0))[::-1].astype(np.float32)
        full = fuse(dense_ids, dense_scores, lex_ids, lex_scores, method=method, dense_weight=0.6)
        assert len(full) == len(set(dense_ids.tolist()) | set(lex_ids.tolist()))
        for limit in (0, 1, 5, 11, 200):
            head = fuse(dense_ids, dense_scores, lex_ids, lex_scores, method=method, dense_weight=0.6, limit=limit)
            assert head == full[:limit]


def test_vectorised_fuse_equals_the_dictionaries() -> None:
    # The array implementation gives the same ids, scores (to the bit), ranks and order as the
    # earlier one-id-at-a-time implementation, ties (equal scores, overlapping lists) included.
    import random

    from indexing.fusion import _fuse_dicts

    rng = random.Random(4)
    for _ in range(200):
        nd, nl = rng.randint(0, 60), rng.randint(0, 60)
        d_ids = np.array(rng.sample(range(1, 120), nd), dtype=np.int64)
        l_ids = np.array(rng.sample(range(1, 120), nl), dtype=np.int64)
        d_scores = np.round(np.sort(np.array([rng.choice([0.5, 0.7, rng.random()]) for _ in range(nd)]))[::-1], 6)
        l_scores = np.sort(np.array([rng.choice([3.0, rng.random() * 9]) for _ in range(nl)], dtype=np.float32))[::-1]
        for method in ("rrf", "linear"):
            w = rng.choice([0.0, 0.4, 0.5, 1.0])
            limit = rng.choice([None, 0, 1, 6, 11, 500])
            got = fuse(d_ids, d_scores, l_ids, l_scores, method=method, dense_weight=w, limit=limit)
            want = _fuse_dicts(d_ids, d_scores, l_ids, l_scores, method, w, 60, limit)
            assert got == want


def test_lists_with_repeated_ids_follow_the_dictionaries() -> None:
    # An id twice in one list goes the dictionaries' way (its last place counts once); lists
    # without repeats, drawn from the same ids, keep the array path and the same answer.
    import random

    from indexing.fusion import _fuse_dicts

    rng = random.Random(5)
    repeated = 0
    for _ in range(300):
        nd, nl = rng.randint(0, 30), rng.randint(0, 30)
        d_ids = np.array([rng.randint(1, 40) for _ in range(nd)], dtype=np.int64)
        l_ids = np.array([rng.randint(1, 40) for _ in range(nl)], dtype=np.int64)
        repeated += len(set(d_ids.tolist())) < nd or len(set(l_ids.tolist())) < nl
        d_scores = np.sort(np.array([rng.random() for _ in range(nd)]))[::-1]
        l_scores = np.sort(np.array([rng.random() * 9 for _ in range(nl)], dtype=np.float32))[::-1]
        for method in ("rrf", "linear"):
            w = rng.choice([0.0, 0.5, 1.0])
            limit = rng.choice([None, 1, 11])
            got = fuse(d_ids, d_scores, l_ids, l_scores, method=method, dense_weight=w, limit=limit)
            assert got == _fuse_dicts(d_ids, d_scores, l_ids, l_scores, method, w, 60, limit)
    assert 100 < repeated < 300  # both paths were taken
