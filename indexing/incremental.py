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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from indexing.clustering import HybridClusterer, assign
from indexing.grouping import match_groups
from indexing.sampled import ASSIGN_BATCH


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


RowsFn = Callable[[np.ndarray], np.ndarray]  # row indices -> their feature rows (float32, in that order)


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
    rows (reviewer pins) never move and keep their group alive. ``rediscover_rows`` over an array.
    """
    data = np.asarray(x, np.float32)
    return rediscover_rows(lambda idx: data[idx], len(data), previous, clusterer, assign_threshold, free, fixed)


def rediscover_rows(
    rows_features: RowsFn,
    n: int,
    previous: np.ndarray,
    clusterer: HybridClusterer,
    assign_threshold: float,
    free: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    batch: int = ASSIGN_BATCH,
) -> Rediscovery:
    """``rediscover`` over ``n`` rows whose features ``rows_features(idx)`` builds on demand.

    About ``batch`` feature rows are held at a time besides the loose fit's sample: existing groups
    are judged a chunk of whole groups at a time (rows sorted by group; a group larger than
    ``batch`` is read in slices, twice), the loose rows are fitted by ``HybridClusterer.fit_rows``
    (sampled above ``max_fit``) and the rows it leaves pooled are assigned in batches. Same result
    as the array computation, except that the mean of a group larger than ``batch`` is summed in
    float64 slices instead of one float32 ``mean`` (last-bit differences).
    """
    previous = np.asarray(previous, np.int64)
    n_existing = int(previous.max(initial=-1)) + 1
    fixed = _mask(fixed, n)
    free = np.zeros(n, bool) if free is None else np.asarray(free, bool) & ~fixed
    labels = np.where(free, -1, previous)
    out = Rediscovery(labels, n_existing)
    ended: dict[int, list[int]] = {}
    kept_means: dict[int, np.ndarray] = {}
    stay_rows = _members(labels, range(n_existing))
    # Groups a chunk at a time (rows sorted by group): only one chunk's feature rows are held.
    for g, rows, parts in _grouped(rows_features, stay_rows, batch):
        mean = _mean(parts, len(rows), batch)
        stays = np.concatenate([_stays(clusterer, xs, mean, len(rows), assign_threshold) for xs in parts()])
        stays |= fixed[rows]
        if stays.sum() < clusterer.min_size and not fixed[rows].any():
            ended[g] = rows.tolist()
            labels[rows] = -1
            continue
        labels[rows[~stays]] = -1
        out.drifted += int((~stays).sum())
        kept_means[g] = _mean(parts, len(rows), batch, stays)
    dissolved: dict[int, list[int]] = {}  # in group order, as ``match_groups`` reads it
    for g in range(n_existing):
        if len(stay_rows[g]) == 0:
            dissolved[g] = np.flatnonzero(previous == g).tolist()
        elif g in ended:
            dissolved[g] = ended[g]
    kept = [g for g in range(n_existing) if g not in dissolved]
    loose = np.flatnonzero((labels < 0) & ~fixed)
    next_label = n_existing
    if len(loose):
        # Loose rows are clustered at the group (matter) level directly: the family level only
        # bounds a full fit's splits, and a second pass over the same pool must find nothing new.
        fitted = _one_level(clusterer).fit_rows(lambda idx: rows_features(loose[idx]), len(loose))
        sub, sub_centroids = fitted.labels_, fitted.centroids_
        kept_centroids = np.vstack([kept_means[g] for g in kept]) if kept else np.zeros((0, 0), np.float32)
        fresh: dict[int, list[int]] = {}
        changed: set[int] = set()  # groups whose members differ from the kept ones: means recomputed
        for j in range(len(sub_centroids)):
            part = loose[sub == j]
            sims = kept_centroids @ sub_centroids[j] if len(kept) else np.zeros(0)
            if len(sims) and sims.max() >= clusterer.threshold:
                labels[part] = kept[int(sims.argmax())]
                changed.add(kept[int(sims.argmax())])
                out.joined += 1
            else:
                fresh[j] = part.tolist()
        heirs = match_groups(dissolved, fresh).ids if dissolved else {}
        for j, members in sorted(fresh.items()):
            heir = heirs.get(j)
            if heir is not None:
                labels[members] = heir
                kept.append(heir)
                changed.add(heir)
                continue
            labels[members] = next_label
            changed.add(next_label)
            origin = Counter(int(previous[r]) for r in members if previous[r] >= 0).most_common(1)
            if origin and origin[0][1] * 2 > len(members):
                out.split_from[next_label] = origin[0][0]
            next_label += 1
        # Loose rows the clusterer left in its pool join the nearest group, old or new.
        targets = sorted(kept) + list(range(n_existing, next_label))
        rest = loose[labels[loose] < 0]
        if len(rest) and targets:
            recomputed = _members(labels, sorted(changed))
            for g, rows, parts in _grouped(rows_features, recomputed, batch):
                kept_means[g] = _mean(parts, len(rows), batch)
            means = np.vstack([kept_means[g] for g in targets])
            bar = _bars(clusterer, means, assign_threshold)
            rule = clusterer.name_rule()
            for start in range(0, len(rest), batch):
                idx = rest[start : start + batch]
                near, _ = assign(rows_features(idx), means, bar, names=rule)
                labels[idx] = np.where(near >= 0, np.asarray(targets)[np.maximum(near, 0)], -1)
    out.kept = sorted(kept)
    out.retired = sorted(g for g in dissolved if g not in kept)
    out.labels = labels
    return out


Parts = Callable[[], Iterator[np.ndarray]]  # a group's feature rows, one slice at a time, in row order


def _members(labels: np.ndarray, groups: Iterable[int]) -> dict[int, np.ndarray]:
    """Rows (ascending) of each of ``groups`` by ``labels``, from one stable sort."""
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    out = {}
    for g in groups:
        lo, hi = np.searchsorted(ordered, [g, g + 1])
        out[g] = order[lo:hi]
    return out


def _grouped(
    rows_features: RowsFn, members: dict[int, np.ndarray], batch: int
) -> Iterator[tuple[int, np.ndarray, Parts]]:
    """(group, its rows, its feature slices) for the non-empty groups of ``members`` in their order:
    groups of at most ``batch`` rows are read together, a chunk of about ``batch`` rows per call of
    ``rows_features``; a larger group is read in slices of ``batch`` each time its parts are asked."""
    chunk: list[tuple[int, np.ndarray]] = []

    def flush() -> Iterator[tuple[int, np.ndarray, Parts]]:
        x = rows_features(np.concatenate([rows for _, rows in chunk]))
        at = 0
        for g, rows in chunk:
            block = x[at : at + len(rows)]
            at += len(rows)
            yield g, rows, _whole(block)
        chunk.clear()

    size = 0
    for g, rows in members.items():
        if len(rows) == 0:
            continue
        if len(rows) > batch:
            yield g, rows, _sliced(rows_features, rows, batch)
            continue
        if size + len(rows) > batch and chunk:
            yield from flush()
            size = 0
        chunk.append((g, rows))
        size += len(rows)
    if chunk:
        yield from flush()


def _whole(block: np.ndarray) -> Parts:
    return lambda: iter([block])


def _sliced(rows_features: RowsFn, rows: np.ndarray, batch: int) -> Parts:
    return lambda: (rows_features(rows[s : s + batch]) for s in range(0, len(rows), batch))


def _mean(parts: Parts, n_rows: int, batch: int, keep: np.ndarray | None = None) -> np.ndarray:
    """Mean of a group's feature rows (those where ``keep``): one float32 ``mean`` as the array
    computation does when the group is read in one piece, float64 sums over slices otherwise."""
    if n_rows <= batch:
        (x,) = parts()
        return np.asarray((x if keep is None else x[keep]).mean(axis=0), np.float32)
    total: np.ndarray | None = None
    count, at = 0, 0
    for x in parts():
        chosen = x if keep is None else x[keep[at : at + len(x)]]
        at += len(x)
        part = chosen.sum(axis=0, dtype=np.float64)
        total = part if total is None else total + part
        count += len(chosen)
    assert total is not None
    return (total / max(count, 1)).astype(np.float32)


def _stays(clusterer: HybridClusterer, x: np.ndarray, mean: np.ndarray, n: int, assign_threshold: float) -> np.ndarray:
    """Which rows ``x`` of a group of ``n`` rows with member mean ``mean`` stay in it: similarity to
    the mean at the group's bar (a family remainder keeps members at the family's bar) or the names
    agree (``_names_agree``)."""
    stays = x @ mean >= _bars(clusterer, mean[None, :], assign_threshold)
    return stays | _names_agree(clusterer, x, mean, n)


def _bars(clusterer: HybridClusterer, means: np.ndarray, assign_threshold: float) -> np.ndarray:
    """``assign_threshold`` for matter groups, the family's bar (if lower) for family remainders."""
    b = np.broadcast_to(np.asarray(clusterer.bars(means), np.float32), (len(means),))
    return np.where(b < clusterer.threshold, np.minimum(b, assign_threshold), assign_threshold).astype(np.float32)


def _names_agree(clusterer: HybridClusterer, rows: np.ndarray, mean: np.ndarray, n: int) -> np.ndarray:
    """Members ``rows`` of a group of ``n`` that would join it by the name pass (``NameRule``) if they
    were loose: the agreement is with the other members (the row's own names left out of the mean)."""
    rule = clusterer.name_rule()
    if rule is None or n < 2:
        return np.zeros(len(rows), bool)
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
