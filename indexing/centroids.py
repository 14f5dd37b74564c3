"""Nearest-centroid assignment shared by discovery, sampled fits and incremental assignment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NameRule:
    """Second chance for a case below every bar (issue 19): the names it mentions agree with a group's.

    The last ``dims`` feature columns are the name block (``indexing.clustering.HybridFeatures``),
    scaled by ``sqrt(weight)`` in a row that names something, so a case's name block dotted with a
    centroid's, divided by ``weight``, is the average name cosine between the case and the group's
    members (members naming nothing count 0). A case below every bar joins the group its names
    agree with most when that agreement is at least ``agreement`` and its average similarity to the
    members (all features) is at least ``floor``. Derived from the centroid alone: the same rule
    runs in discovery's pool pass, sampled fits, ingest and re-discovery.
    """

    dims: int
    weight: float
    agreement: float
    floor: float

    def agreement_with(self, vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
        """Average name cosine of each row with each group's members (rows x groups)."""
        v = np.asarray(vectors, np.float32)[:, -self.dims :]
        return (v @ np.asarray(centroids, np.float32)[:, -self.dims :].T) / self.weight

    def apply(
        self, vectors: np.ndarray, centroids: np.ndarray, sims: np.ndarray, labels: np.ndarray, scores: np.ndarray
    ) -> None:
        """Give rows left at -1 the group their names agree with (in place; ``sims`` rows x groups)."""
        v = np.asarray(vectors, np.float32)
        rows = np.flatnonzero((labels < 0) & (np.linalg.norm(v[:, -self.dims :], axis=1) > 1e-6))
        if len(rows) == 0:
            return
        agree = self.agreement_with(v[rows], centroids)
        best = agree.argmax(axis=1)
        sim = sims[rows, best]
        ok = (agree[np.arange(len(rows)), best] >= self.agreement) & (sim >= self.floor)
        labels[rows[ok]] = best[ok]
        scores[rows[ok]] = sim[ok]


# Similarities held at once by ``assign`` (rows x groups float32): 64 MB; larger inputs go by row blocks.
SIMILARITY_CELLS = 1 << 24


def assign(
    vectors: np.ndarray, centroids: np.ndarray, threshold: float | np.ndarray, names: NameRule | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid per row (by dot product) or -1 below ``threshold``; returns (labels, scores).

    Centroids are unnormalised member means, so a score is the average similarity to the members.
    ``threshold`` is one bar for every group or one per centroid (``bars``). With ``names``, a row
    below every bar may still join the group whose members' names it shares (``NameRule``).
    """
    if len(centroids) == 0 or len(vectors) == 0:
        return np.full(len(vectors), -1, np.int64), np.zeros(len(vectors), np.float32)
    step = max(1, SIMILARITY_CELLS // len(centroids))
    if len(vectors) > step:  # row blocks: 50,000 rows x 8,000 groups would be 1.6 GB of similarities
        parts = [assign(vectors[s : s + step], centroids, threshold, names) for s in range(0, len(vectors), step)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    sims = np.asarray(vectors, np.float32) @ np.asarray(centroids, np.float32).T
    best = sims.argmax(axis=1)
    scores = sims[np.arange(len(best)), best]
    bar = np.asarray(threshold, np.float32)
    bar = bar[best] if bar.ndim else bar
    labels = np.where(scores >= bar, best, -1).astype(np.int64)
    scores = scores.astype(np.float32)
    if names is not None:
        names.apply(vectors, centroids, sims, labels, scores)
    return labels, scores


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
