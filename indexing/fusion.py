"""Fusing dense and lexical rankings into one: reciprocal-rank fusion or a convex score blend."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FUSION_METHODS = ("rrf", "linear")


@dataclass(frozen=True)
class Fused:
    id: int
    score: float
    dense: float | None
    lexical: float | None
    dense_rank: int | None
    lexical_rank: int | None


def _ranks(ids: Sequence[int]) -> dict[int, int]:
    return {int(i): r for r, i in enumerate(ids, start=1)}


def _repeats(inverse: np.ndarray) -> bool:
    """Whether a position of ``np.unique``'s inverse occurs twice (an id repeated in one list):
    one ``bincount`` instead of another ``np.unique`` per list."""
    return inverse.shape[0] > 1 and int(np.bincount(inverse).max()) > 1


def _minmax(scores: np.ndarray) -> np.ndarray:
    if scores.shape[0] == 0:
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    return np.ones_like(scores) if hi - lo < 1e-9 else (scores - lo) / (hi - lo)


def fuse(
    dense_ids: np.ndarray,
    dense_scores: np.ndarray,
    lex_ids: np.ndarray,
    lex_scores: np.ndarray,
    *,
    method: str = "rrf",
    dense_weight: float = 0.5,
    rrf_k: int = 60,
    limit: int | None = None,
) -> list[Fused]:
    """Merge two ranked lists, best first; ties break on id for determinism.

    ``limit`` keeps only the best ``limit`` (the same as slicing the full list, without ordering
    and building the hundreds of candidates a search never shows).

    ``rrf``: sum of ``w / (rrf_k + rank)`` with weights ``dense_weight`` and ``1 - dense_weight``.
    ``linear``: ``w * minmax(dense) + (1 - w) * minmax(bm25)``; a document missing from one list
    gets 0 for that side.
    """
    if method not in FUSION_METHODS:
        raise ValueError(f"unknown fusion '{method}'; choose one of {FUSION_METHODS}")
    d_ids = np.asarray(dense_ids, dtype=np.int64).reshape(-1)
    l_ids = np.asarray(lex_ids, dtype=np.int64).reshape(-1)
    nd, nl = d_ids.shape[0], l_ids.shape[0]
    ids, inverse = np.unique(np.concatenate([d_ids, l_ids]), return_inverse=True)
    if _repeats(inverse[:nd]) or _repeats(inverse[nd:]):
        # An id twice in one list: the dictionaries' rule (its last place counts once).
        return _fuse_dicts(dense_ids, dense_scores, lex_ids, lex_scores, method, dense_weight, rrf_k, limit)
    w = dense_weight
    # The same float64 operations, in the same order per id, as ``_fuse_dicts`` (0 + dense + lexical).
    if method == "rrf":
        d_part = w / (rrf_k + np.arange(1, nd + 1))
        l_part = (1 - w) / (rrf_k + np.arange(1, nl + 1))
    else:
        d_part = w * _minmax(dense_scores).astype(np.float64)
        l_part = (1 - w) * _minmax(lex_scores).astype(np.float64)
    fused = np.zeros(ids.shape[0], dtype=np.float64)
    fused[inverse[:nd]] += d_part
    fused[inverse[nd:]] += l_part
    order = np.lexsort((ids, -fused))
    if limit is not None:
        order = order[: max(limit, 0)]
    d_at = np.full(ids.shape[0], -1, dtype=np.int64)
    d_at[inverse[:nd]] = np.arange(nd)
    l_at = np.full(ids.shape[0], -1, dtype=np.int64)
    l_at[inverse[nd:]] = np.arange(nl)
    d_list, l_list = np.asarray(dense_scores).tolist(), np.asarray(lex_scores).tolist()
    out = []
    for i, score, d, lx in zip(
        ids[order].tolist(), fused[order].tolist(), d_at[order].tolist(), l_at[order].tolist(), strict=True
    ):
        out.append(
            Fused(
                i,
                score,
                d_list[d] if d >= 0 else None,
                l_list[lx] if lx >= 0 else None,
                d + 1 if d >= 0 else None,
                lx + 1 if lx >= 0 else None,
            )
        )
    return out


def _fuse_dicts(
    dense_ids: np.ndarray,
    dense_scores: np.ndarray,
    lex_ids: np.ndarray,
    lex_scores: np.ndarray,
    method: str,
    dense_weight: float,
    rrf_k: int,
    limit: int | None,
) -> list[Fused]:
    """``fuse`` by dictionaries, one id at a time (the earlier implementation; lists with repeated
    ids, and the reference in tests/indexing/test_fusion.py)."""
    d_rank, l_rank = _ranks(dense_ids.tolist()), _ranks(lex_ids.tolist())
    d_score = dict(zip(dense_ids.tolist(), dense_scores.tolist(), strict=True))
    l_score = dict(zip(lex_ids.tolist(), lex_scores.tolist(), strict=True))
    w = dense_weight
    fused: dict[int, float] = {}
    if method == "rrf":
        for i, r in d_rank.items():
            fused[i] = fused.get(i, 0.0) + w / (rrf_k + r)
        for i, r in l_rank.items():
            fused[i] = fused.get(i, 0.0) + (1 - w) / (rrf_k + r)
    else:
        for i, s in zip(dense_ids.tolist(), _minmax(dense_scores).tolist(), strict=True):
            fused[i] = fused.get(i, 0.0) + w * s
        for i, s in zip(lex_ids.tolist(), _minmax(lex_scores).tolist(), strict=True):
            fused[i] = fused.get(i, 0.0) + (1 - w) * s

    def best(kv: tuple[int, float]) -> tuple[float, int]:
        return (-kv[1], kv[0])

    if limit is None or limit >= len(fused):
        order = sorted(fused.items(), key=best)
    else:
        order = heapq.nsmallest(max(limit, 0), fused.items(), key=best)
    return [Fused(i, s, d_score.get(i), l_score.get(i), d_rank.get(i), l_rank.get(i)) for i, s in order]
