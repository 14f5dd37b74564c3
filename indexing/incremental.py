"""Incremental re-discovery: existing groups keep their members, only the loose cases are clustered.

Texts and arrays only. Group ids are preserved by construction: an existing group survives as long
as enough of its members still resemble it, so re-running after new cases arrive cannot renumber
it (cold re-clustering + overlap matching kept only 68 % of ids on real messages).

1. each existing group keeps the members whose similarity to its centroid (unnormalised mean of its
   established members, i.e. the average similarity to them) stays >= ``assign_threshold``;
   pinned rows always stay; a group left with fewer than ``min_size`` rows dissolves;
2. the loose rows (pool, new cases, drifted members, members of dissolved groups) are clustered
   with the regular ``HybridClusterer``;
3. a new cluster whose average cross similarity to a kept group reaches the clusterer's threshold
   joins that group (the same criterion that merges clusters across cells); the others become new
   groups, and a new group mostly made of a dissolved group's members inherits its index;
4. loose rows still unassigned join the nearest group (kept or new) >= ``assign_threshold``.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from indexing.clustering import HybridClusterer, assign
from indexing.grouping import match_groups


@dataclass
class Rediscovery:
    """Outcome of one incremental run; existing groups keep their index ``0..n_existing-1``."""

    labels: np.ndarray  # per row: existing index, new index >= n_existing, or -1 (pool)
    n_existing: int
    kept: list[int] = field(default_factory=list)  # existing indices that survive
    retired: list[int] = field(default_factory=list)  # existing indices that dissolved
    split_from: dict[int, int] = field(default_factory=dict)  # new index -> existing index it came from
    joined: int = 0  # loose clusters absorbed by an existing group
    drifted: int = 0  # members that left their group for the loose set


def _means(x: np.ndarray, labels: np.ndarray, ks: list[int]) -> np.ndarray:
    return np.vstack([x[labels == k].mean(axis=0) for k in ks]).astype(np.float32) if ks else np.zeros((0, x.shape[1]))


def rediscover(
    x: np.ndarray,
    previous: np.ndarray,
    clusterer: HybridClusterer,
    assign_threshold: float,
    free: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
) -> Rediscovery:
    """Re-discover groups over features ``x`` starting from ``previous`` labels (-1 = pool).

    ``free`` rows (new cases, even if assigned to a group on ingest) are re-clustered; ``fixed``
    rows (reviewer pins) never move and keep their group alive.
    """
    x = np.asarray(x, np.float32)
    previous = np.asarray(previous, np.int64)
    n_existing = int(previous.max(initial=-1)) + 1
    free = np.zeros(len(x), bool) if free is None else np.asarray(free, bool) & ~_mask(fixed, len(x))
    fixed = _mask(fixed, len(x))
    labels = np.where(free, -1, previous)
    out = Rediscovery(labels, n_existing)
    dissolved: dict[int, list[int]] = {}
    for g in range(n_existing):
        rows = np.flatnonzero(labels == g)
        if len(rows) == 0:
            dissolved[g] = np.flatnonzero(previous == g).tolist()
            continue
        mean = x[rows].mean(axis=0)
        # A family remainder group (cohesion below the matter bar) keeps members at the family's bar.
        stays = (x[rows] @ mean >= _bars(clusterer, mean[None, :], assign_threshold)) | fixed[rows]
        stays |= _names_agree(clusterer, x[rows], mean)
        if stays.sum() < clusterer.min_size and not fixed[rows].any():
            dissolved[g] = rows.tolist()
            labels[rows] = -1
            continue
        labels[rows[~stays]] = -1
        out.drifted += int((~stays).sum())
    kept = [g for g in range(n_existing) if g not in dissolved]
    loose = np.flatnonzero((labels < 0) & ~fixed)
    next_label = n_existing
    if len(loose):
        # Loose rows are clustered at the group (matter) level directly: the family level only
        # bounds a full fit's splits, and a second pass over the same pool must find nothing new.
        fitted = _one_level(clusterer).fit_features(x[loose])
        sub, sub_centroids = fitted.labels_, fitted.centroids_
        kept_centroids = _means(x, labels, kept)
        fresh: dict[int, list[int]] = {}
        for j in range(len(sub_centroids)):
            part = loose[sub == j]
            sims = kept_centroids @ sub_centroids[j] if len(kept) else np.zeros(0)
            if len(sims) and sims.max() >= clusterer.threshold:
                labels[part] = kept[int(sims.argmax())]
                out.joined += 1
            else:
                fresh[j] = part.tolist()
        heirs = match_groups(dissolved, fresh).ids if dissolved else {}
        for j, members in sorted(fresh.items()):
            heir = heirs.get(j)
            if heir is not None:
                labels[members] = heir
                kept.append(heir)
                continue
            labels[members] = next_label
            origin = Counter(int(previous[r]) for r in members if previous[r] >= 0).most_common(1)
            if origin and origin[0][1] * 2 > len(members):
                out.split_from[next_label] = origin[0][0]
            next_label += 1
        # Loose rows the clusterer left in its pool join the nearest group, old or new.
        targets = sorted(kept) + list(range(n_existing, next_label))
        rest = loose[labels[loose] < 0]
        if len(rest) and targets:
            means = _means(x, labels, targets)
            bar = _bars(clusterer, means, assign_threshold)
            near, _ = assign(x[rest], means, bar, names=clusterer.name_rule())
            labels[rest] = np.where(near >= 0, np.asarray(targets)[np.maximum(near, 0)], -1)
    out.kept = sorted(kept)
    out.retired = sorted(g for g in dissolved if g not in kept)
    out.labels = labels
    return out


def _bars(clusterer: HybridClusterer, means: np.ndarray, assign_threshold: float) -> np.ndarray:
    """``assign_threshold`` for matter groups, the family's bar (if lower) for family remainders."""
    b = np.broadcast_to(np.asarray(clusterer.bars(means), np.float32), (len(means),))
    return np.where(b < clusterer.threshold, np.minimum(b, assign_threshold), assign_threshold).astype(np.float32)


def _names_agree(clusterer: HybridClusterer, rows: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Members that would join their group by the name pass (``NameRule``) if they were loose: the
    agreement is with the other members (the row's own names left out of the mean)."""
    rule = clusterer.name_rule()
    n = len(rows)
    if rule is None or n < 2:
        return np.zeros(n, bool)
    names = rows[:, -rule.dims :]
    own = np.einsum("ij,ij->i", names, names)
    agree = (n * (names @ mean[-rule.dims :]) - own) / (n - 1) / rule.weight
    sim = (n * (rows @ mean) - np.einsum("ij,ij->i", rows, rows)) / (n - 1)
    return (own > 1e-12) & (agree >= rule.agreement) & (sim >= rule.floor)


def _one_level(clusterer: HybridClusterer) -> HybridClusterer:
    one = copy.copy(clusterer)
    one.family_threshold = None
    return one


def _mask(rows: np.ndarray | None, n: int) -> np.ndarray:
    return np.zeros(n, bool) if rows is None else np.asarray(rows, bool)
