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
