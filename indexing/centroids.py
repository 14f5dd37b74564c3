"""Nearest-centroid assignment shared by discovery, sampled fits and incremental assignment."""

from __future__ import annotations

import numpy as np


def assign(vectors: np.ndarray, centroids: np.ndarray, threshold: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid per row (by dot product) or -1 below ``threshold``; returns (labels, scores).

    Centroids are unnormalised member means, so a score is the average similarity to the members.
    ``threshold`` is one bar for every group or one per centroid (``bars``).
    """
    if len(centroids) == 0 or len(vectors) == 0:
        return np.full(len(vectors), -1, np.int64), np.zeros(len(vectors), np.float32)
    sims = np.asarray(vectors, np.float32) @ np.asarray(centroids, np.float32).T
    best = sims.argmax(axis=1)
    scores = sims[np.arange(len(best)), best]
    bar = np.asarray(threshold, np.float32)
    bar = bar[best] if bar.ndim else bar
    return np.where(scores >= bar, best, -1).astype(np.int64), scores.astype(np.float32)


def bars(centroids: np.ndarray, threshold: float, family_threshold: float | None) -> np.ndarray | float:
    """The similarity bar of each group: ``threshold`` for a matter group, ``family_threshold`` for
    a family remainder group (issue 19).

    A group's cohesion, the mean similarity of its members to each other (self included), is the
    squared norm of its unnormalised mean. A matter group is cut at ``threshold``, so it holds
    that cohesion; a group below it is the remainder of a family, the cases of one issue type with
    no matter peer, held together at the family level, and keeps the family's bar. Derived from the
    centroid alone, so stored groups need no extra field.
    """
    c = np.asarray(centroids, np.float32)
    if family_threshold is None or len(c) == 0:
        return threshold
    cohesion = np.einsum("ij,ij->i", c, c)
    return np.where(cohesion < threshold, min(family_threshold, threshold), threshold).astype(np.float32)
