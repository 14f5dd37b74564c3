"""Nearest-centroid assignment shared by discovery, sampled fits and incremental assignment."""

from __future__ import annotations

import numpy as np


def assign(vectors: np.ndarray, centroids: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid per row (by dot product) or -1 below ``threshold``; returns (labels, scores).

    Centroids are unnormalised member means, so a score is the average similarity to the members.
    """
    if len(centroids) == 0 or len(vectors) == 0:
        return np.full(len(vectors), -1, np.int64), np.zeros(len(vectors), np.float32)
    sims = np.asarray(vectors, np.float32) @ np.asarray(centroids, np.float32).T
    best = sims.argmax(axis=1)
    scores = sims[np.arange(len(best)), best]
    return np.where(scores >= threshold, best, -1).astype(np.int64), scores.astype(np.float32)
