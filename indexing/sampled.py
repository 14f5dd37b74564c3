"""Group discovery at scale: cluster a seeded sample, then assign every other row to its nearest group.

Above ``max_fit`` rows the O(cell²) linkage and the TF-IDF/SVD fit run on ``max_fit`` rows only;
the remaining rows are compared with the sample's group centroids in bounded batches and join the
nearest one when the score reaches the clusterer's threshold, i.e. exactly the rule that places
pooled cases inside a fit and new cases on ingest (``indexing.centroids.assign``). Rows below
the threshold stay unassigned (-1). Final centroids are member means over all rows, as in a full fit.

The sample is a seeded uniform random draw by default. ``recent`` (the last ``max_fit`` rows, rows
being in arrival order) is available, but a recent window only sees groups that are still active:
older groups have no seed there and their members would fall into the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

import numpy as np
from scipy import sparse

from indexing.centroids import NameRule, assign


class DirectFit(Protocol):
    """What a sampled fit needs of a clusterer (``indexing.clustering.HybridClusterer`` is one)."""

    threshold: float
    labels_: np.ndarray
    centroids_: np.ndarray
    sample_: np.ndarray | None

    def fit_direct(self, features: np.ndarray) -> object: ...

    def bars(self, centroids: np.ndarray) -> np.ndarray | float: ...

    def name_rule(self) -> NameRule | None: ...


SampleMode = Literal["random", "recent"]
SAMPLE_MODES: tuple[str, ...] = ("random", "recent")
DEFAULT_MAX_FIT = 100_000  # rows clustered directly; above it: sample + assign
ASSIGN_BATCH = 50_000  # rows per assignment batch (bounds memory: batch x (dims + groups) floats)


def sample_rows(n: int, max_fit: int | None, mode: str = "random", seed: int = 0) -> np.ndarray | None:
    """Sorted row indices to cluster directly, or ``None`` when all ``n`` rows fit (no sampling)."""
    if mode not in SAMPLE_MODES:
        raise ValueError(f"sample mode must be one of {SAMPLE_MODES}, not {mode!r}")
    if max_fit is not None and max_fit < 1:
        raise ValueError("max_fit must be positive")
    if max_fit is None or n <= max_fit:
        return None
    if mode == "recent":
        return np.arange(n - max_fit, n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, max_fit, replace=False)).astype(np.int64)


def fit_sampled(
    clusterer: DirectFit,
    rows_features: Callable[[np.ndarray], np.ndarray],
    n: int,
    rows: np.ndarray,
    batch: int = ASSIGN_BATCH,
) -> None:
    """Fit ``clusterer`` on ``rows``, assign the other rows by batches; sets labels_/centroids_/sample_.

    ``rows_features(idx)`` returns the (L2-normalised hybrid) feature rows ``idx``; only one batch of
    them is held at a time besides the sample.
    """
    clusterer.fit_direct(rows_features(rows))
    centroids = clusterer.centroids_
    bar = clusterer.bars(centroids)  # family remainder groups (issue 19) keep the family's bar
    rule = clusterer.name_rule()  # and a case below every bar may join by the names it shares
    labels = np.full(n, -1, np.int64)
    labels[rows] = clusterer.labels_
    k = len(centroids)
    counts = np.bincount(clusterer.labels_[clusterer.labels_ >= 0], minlength=k).astype(np.float64)
    sums = centroids.astype(np.float64) * counts[:, None]
    rest = np.setdiff1d(np.arange(n, dtype=np.int64), rows, assume_unique=True)
    for start in range(0, len(rest), batch):
        idx = rest[start : start + batch]
        x = rows_features(idx)
        lab, _ = assign(x, centroids, bar, names=rule)
        labels[idx] = lab
        hit = lab >= 0
        if k and hit.any():
            onehot = sparse.csr_matrix((np.ones(int(hit.sum())), (lab[hit], np.flatnonzero(hit))), shape=(k, len(idx)))
            sums += onehot @ x.astype(np.float64)
            counts += np.bincount(lab[hit], minlength=k)
    clusterer.labels_ = labels
    clusterer.centroids_ = (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)
    clusterer.sample_ = rows
