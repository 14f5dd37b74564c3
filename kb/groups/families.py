"""Group families (issue 19): the level above matter-level groups, one issue type (all 货运平台 cases).

After every discovery run and reviewer edit, the active groups are clustered by average linkage on
their centroids without the name block (``HybridClusterer.family_view``: dense + lexical only), cut
where the average similarity between the groups' members drops below ``family_threshold``. Family
ids are kept across runs by group overlap (``match_groups``, as group ids are kept by member
overlap); a family with no heir is retired. A family is named by its dominant category and the
class-based TF-IDF keywords of its members.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from indexing.clustering import ctfidf_matrix, family_labels, match_groups
from kb.groups.profile import group_name
from kb.groups.store import GroupRepository
from kb.groups.summary import MemberSummary

cluster_groups = family_labels  # family label per group centroid (indexing.clustering.family_labels)


# Components are found with a slightly lower bar than the cut: a superset of the edges, so rounding
# in the two similarity computations cannot hide an edge (larger components stay exact).
REACH_SLACK = 1e-4


@dataclass
class FamilyChange:
    """What an edit changed for the families: groups whose family-view centroid may differ (re-read,
    new or gone) and their centroids before (None: the group had none)."""

    groups: set[int]
    before: dict[int, np.ndarray | None]


def refresh_families(
    conn: sqlite3.Connection,
    repo: GroupRepository,
    summary: MemberSummary,
    categories: dict[int, Counter[str]],
    threshold: float,
    exclude: set[str],
    change: FamilyChange | None = None,
) -> None:
    """Re-cluster the active groups (``summary``: their sizes, term counts and family-view centroids,
    ``kb.groups.summary``) into families, ids kept. With ``change`` (a reviewer edit) only the
    groups the change can reach are re-clustered (``recluster``); the result is the same."""
    centroids, sizes = summary.family_centroids, summary.sizes
    gids = sorted(g for g in sizes if g in centroids)
    previous = repo.family_members(conn)
    clusters = None if change is None else recluster(gids, centroids, threshold, previous, change)
    if clusters is None:
        labels = cluster_groups(np.vstack([centroids[g] for g in gids]), threshold) if gids else np.zeros(0, np.int64)
        clusters = [[gids[i] for i in np.flatnonzero(labels == k)] for k in np.unique(labels)]
    # Labels in order of each family's smallest group id: the same whichever way the clusters were found.
    new = {k: groups for k, groups in enumerate(sorted(clusters, key=min))}
    family_before = {g: fid for fid, groups in previous.items() for g in groups}
    match = match_groups(previous, new, 0.5)
    fid_of: dict[int, int] = {}
    for label in sorted(new):
        heir = match.ids.get(label)
        fid_of[label] = heir if heir is not None else repo.create_family(conn)
    for fid in set(previous) - set(fid_of.values()):
        repo.retire_family(conn, fid)
    # Keywords of a family: its members' terms against the other families' (class-based TF-IDF over
    # the members of groups with a centroid: each family's term counts are its groups').
    row_of = {g: k for k, g in enumerate(summary.sizes)}
    fids = [fid_of[label] for label in new]
    member_of = [(k, row_of[g]) for k, groups in enumerate(new.values()) for g in groups]
    pick = sparse.csr_matrix(
        (np.ones(len(member_of), np.int64), tuple(np.asarray(member_of, np.int64).reshape(-1, 2).T)),
        shape=(len(fids), len(row_of)),
    )
    family_counts = (pick @ summary.counts.astype(np.int64)).tocsr()
    n_docs = sum(sizes[g] for g in gids)
    words = ctfidf_matrix(family_counts, fids, summary.terms, summary.family_df, n_docs, 10, exclude)
    bases: dict[int, str] = {}
    kws: dict[int, list[str]] = {}
    family_sizes: dict[int, int] = {}
    for label, groups in new.items():
        fid = fid_of[label]
        cats: Counter[str] = Counter()
        for g in groups:
            cats.update(categories.get(g, Counter()))
            if family_before.get(g) != fid:
                repo.set_family(conn, g, fid)
        kws[fid] = [w for w, _ in words.get(fid, [])]
        category = cats.most_common(1)[0][0] if cats else None
        bases[fid] = category or group_name(kws[fid], cats)
        family_sizes[fid] = sum(sizes[g] for g in groups)
    shown = repo.family_labels(conn)
    for fid, name in distinct_names(bases, kws, family_sizes).items():
        if shown.get(fid) != (name, kws[fid]):
            repo.update_family(conn, fid, name, kws[fid])


def recluster(
    gids: Sequence[int],
    centroids: Mapping[int, np.ndarray],
    threshold: float,
    previous: Mapping[int, Sequence[int]],
    change: FamilyChange,
) -> list[list[int]] | None:
    """The families of ``gids`` after ``change``, re-clustering only what it can reach; None when the
    previous families do not fit (then everything is re-clustered).

    Average linkage cut at ``threshold`` merges two clusters only when their average similarity,
    hence some pair's, reaches it: every family lies inside one connected component of the graph
    "similarity >= threshold", and is the same whether linkage runs on all groups or on that
    component. A component holding no changed group, before or after, is one the previous run
    clustered alike: its families stay. So everything connected to a changed group before the
    change (old centroids) or after it is re-clustered; every other group keeps its family.
    """
    index = {g: k for k, g in enumerate(gids)}
    if not gids:
        return []
    now = np.vstack([centroids[g] for g in gids]).astype(np.float32)
    # One graph over every group now and every changed group's old centroid (gone groups too): its
    # edges include those before and after the change (and some mixed ones: only a larger region).
    olds = sorted(g for g in change.groups if change.before.get(g) is not None)
    nodes = [*gids, *olds]
    rows = [now, *(np.asarray(change.before[g], np.float32)[None, :] for g in olds)]
    x = np.vstack(rows) if olds else now
    seeds = [k for k, g in enumerate(nodes) if g in change.groups]
    region = {nodes[k] for k in _reach(x, seeds, threshold - REACH_SLACK)} & set(index)
    kept: list[list[int]] = []
    covered = set(region)
    for groups in previous.values():
        # A changed group without a centroid now leaves its family (its old component is re-clustered).
        outside = [g for g in groups if g not in region and not (g in change.groups and g not in index)]
        if not outside:
            continue
        if len(outside) != len(groups) or any(g not in index for g in outside):
            return None  # a previous family straddles the region or names a group without a centroid
        kept.append(sorted(outside))
        covered.update(outside)
    if covered != set(gids):
        return None  # a group outside the region had no family
    chosen = sorted(region)
    if not chosen:
        return kept
    labels = cluster_groups(now[[index[g] for g in chosen]], threshold)
    return kept + [[chosen[i] for i in np.flatnonzero(labels == k)] for k in np.unique(labels)]


def _reach(x: np.ndarray, seeds: Sequence[int], bar: float, block: int = 1024) -> np.ndarray:
    """Rows of ``x`` connected to the ``seeds`` rows through similarities >= ``bar`` (seeds included)."""
    seen = np.zeros(len(x), bool)
    frontier = np.asarray(sorted(seeds), np.int64)
    seen[frontier] = True
    while len(frontier):
        found = np.zeros(len(x), bool)
        for start in range(0, len(frontier), block):
            found |= ((x[frontier[start : start + block]] @ x.T) >= bar).any(axis=0)
        frontier = np.flatnonzero(found & ~seen)
        seen[frontier] = True
    return np.flatnonzero(seen)


def distinct_names(
    bases: Mapping[int, str], keywords: Mapping[int, Sequence[str]], sizes: Mapping[int, int] | None = None
) -> dict[int, str]:
    """One displayed name per family, no two alike (issue 19: several families share a category).

    A family whose base name (its dominant category) no other family has keeps it. Families sharing
    a base get ``base：kw1、kw2`` from their own class-based TF-IDF keywords (words already in the
    base skipped), one more keyword at a time while names still collide (up to 4); any names still
    equal get an ordinal by size, largest first: ``base（二）``.
    """
    sizes = sizes or {}
    by_base: dict[str, list[int]] = {}
    for fid in sorted(bases):
        by_base.setdefault(bases[fid], []).append(fid)
    out: dict[int, str] = {}
    for base, fids in by_base.items():
        if len(fids) == 1:
            out[fids[0]] = base
            continue
        own = {f: [w for w in keywords.get(f, []) if w not in base] for f in fids}
        names: dict[int, str] = {}
        for n in range(2, 5):
            names = {f: f"{base}：{'、'.join(own[f][:n])}" if own[f] else base for f in fids}
            if len(set(names.values())) == len(fids):
                break
        clash: dict[str, list[int]] = {}
        for f in fids:
            clash.setdefault(names[f], []).append(f)
        for name, same in clash.items():
            same.sort(key=lambda f: (-sizes.get(f, 0), f))
            for i, f in enumerate(same):
                out[f] = name if i == 0 else f"{name}（{_ordinal(i + 1)}）"
    return out


def _ordinal(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return str(n)
