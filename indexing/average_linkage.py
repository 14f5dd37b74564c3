"""Average linkage cut at a similarity bar, in memory linear in the number of points.

``scipy.cluster.hierarchy.linkage`` needs the condensed distance matrix (n(n-1)/2 float64) and
copies it: 18,681 group centroids at 1,000,000 cases hold 2.8 GB for the families alone. Here the
points are vectors and the similarity of two clusters is the average dot product of their members,
which is the dot product of the clusters' mean vectors: ``sim(A, B) = mean(A) . mean(B)``. So a
cluster is its mean and its size, and nothing of size n x n is ever held.

The merges are found by reciprocal nearest neighbours, rounds at a time (RAC: Sumengen et al.,
"Scaling Hierarchical Agglomerative Clustering to Billion-sized Datasets", 2021; the reducibility
argument is Murtagh's, as in scipy's NN-chain): average linkage is reducible, so two clusters that
are each other's most similar are merged by the full algorithm too, and all such disjoint pairs of a
round can be merged at once. Merging A and B leaves every other cluster's similarity to A u B between
its similarities to A and to B, hence:

* a cluster whose best similarity is below the bar never reaches it again: it is final and leaves
  the active set (this is what makes the cut cheap: most groups stop early);
* only the merged clusters and those whose nearest neighbour was merged need their nearest neighbour
  recomputed; every other cluster keeps its own;
* and most of those recomputations need no search: each cluster keeps its ``keep`` (32) most similar
  clusters from its last search and a bound on all others (``_Nearest``).

The result equals ``fcluster(linkage(1 - x x^T, "average"), 1 - threshold, "distance")`` as a
partition (tests/indexing/test_average_linkage.py; for rows of norm <= 1, such as member means of
unit vectors, no distance is clipped), up to float32 rounding of similarities that lie within ~1e-6
of the bar or of each other. Work is a few n x n x d products in blocks of rows,
so memory is O(n d) plus one block of similarities (~8 MB).
"""

from __future__ import annotations

import numpy as np

__all__ = ["average_linkage_cut"]


def average_linkage_cut(x: np.ndarray, threshold: float, block: int = 1024) -> np.ndarray:
    """Cluster label (0..k-1, numbered by each cluster's first row) per row of ``x``: average linkage
    on the dot-product similarity, merging while the clusters' average similarity is ``>= threshold``."""
    x = np.asarray(x, np.float32)
    n = len(x)
    if n <= 1:
        return np.zeros(n, np.int64)
    means = np.array(x, np.float32, copy=True)
    sizes = np.ones(n, np.float64)
    parent = np.arange(n)  # a merged-away cluster points at the one it joined
    active = np.ones(n, bool)
    nn = np.full(n, -1, np.int64)
    nn_sim = np.full(n, -np.inf, np.float32)
    nearest = _Nearest(means, active, parent, block)
    nearest.search(np.arange(n), nn, nn_sim)
    while True:
        live = np.flatnonzero(active)
        active[live[nn_sim[live] < threshold]] = False  # final: below the bar for good
        live = live[nn_sim[live] >= threshold]
        if len(live) < 2:
            break
        partner = nn[live]
        a = live[(nn[partner] == live) & (live < partner)]
        if not len(a):  # only exact ties form no reciprocal pair: merge the best pair, as HAC would
            a = live[[int(np.argmax(nn_sim[live]))]]
        b = nn[a]
        share = sizes[a] / (sizes[a] + sizes[b])
        means[a] = (share[:, None] * means[a] + (1 - share[:, None]) * means[b]).astype(np.float32)
        sizes[a] += sizes[b]
        active[b] = False
        parent[b] = a
        nearest.changed(a)
        merged = np.zeros(n, bool)
        merged[a] = merged[b] = True
        nearest.merged(a, b, share, nn, nn_sim)
        nearest.recheck(np.flatnonzero(active & merged[nn] & ~merged), nn, nn_sim)
    root = parent.copy()
    while True:  # path to the surviving cluster of every row
        up = root[root]
        if np.array_equal(up, root):
            break
        root = up
    _, first, labels = np.unique(root, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # clusters numbered by their first row
    return order[labels].astype(np.int64)


class _Nearest:
    """Nearest active neighbour of given clusters, over a compacted copy of the active means.

    A full search keeps each cluster's ``keep`` most similar clusters and the least of their
    similarities (``bound``). Any cluster formed since from clusters outside that list has an
    average similarity of at most ``bound`` to it, so when the nearest neighbour of an unchanged
    cluster is merged, the exact similarities to the current clusters of its list decide whenever
    their best reaches ``bound``; only otherwise is the search run again.
    """

    def __init__(self, means: np.ndarray, active: np.ndarray, parent: np.ndarray, block: int, keep: int = 32) -> None:
        self.means, self.active, self.parent, self.block = means, active, parent, block
        self.keep = keep
        self.cand = np.zeros((len(means), keep), np.int64)
        self.cand_sims = np.zeros((len(means), keep), np.float32)
        self.version = np.zeros(len(means), np.int64)  # bumped whenever a cluster's mean changes
        self.cand_version = np.zeros((len(means), keep), np.int64)
        self.bound = np.full(len(means), np.inf, np.float32)
        self._compact()

    def _compact(self) -> None:
        self.cols = np.flatnonzero(self.active)
        self.mat = self.means[self.cols]
        self.col_of = np.full(len(self.means), -1, np.int64)
        self.col_of[self.cols] = np.arange(len(self.cols))
        self.mask = np.zeros(len(self.cols), np.float32)  # -inf for columns no longer active

    def changed(self, kept: np.ndarray) -> None:
        """The means of clusters ``kept`` changed (others were merged into them)."""
        self.mat[self.col_of[kept]] = self.means[kept]
        self.version[kept] += 1

    def search(self, rows: np.ndarray, nn: np.ndarray, nn_sim: np.ndarray) -> None:
        """Full search for ``rows`` (clusters whose own mean is new, or any)."""
        if not len(rows):
            return
        if 2 * int(self.active.sum()) < len(self.cols):
            self._compact()
        self.mask[~self.active[self.cols]] = -np.inf  # merged away or final since the last call
        keep = min(self.keep, len(self.cols) - 1)
        if keep < 1:  # no other cluster is left
            nn[rows], nn_sim[rows] = rows, -np.inf
            return
        # Rows per block: a block's similarities and argpartition's indices stay within ~24 MB.
        m = len(self.cols)
        step = max(16, min(self.block, 2**21 // m))
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            at = np.arange(len(part))
            sims = self.means[part] @ self.mat.T
            sims += self.mask
            sims[at, self.col_of[part]] = -np.inf
            top = np.argpartition(sims, m - keep, axis=1)[:, m - keep :]  # the keep largest
            top_sims = np.take_along_axis(sims, top, axis=1)
            best = np.argmax(top_sims, axis=1)
            nn[part] = self.cols[top[at, best]]
            nn_sim[part] = top_sims[at, best]
            self.cand[part, :keep] = self.cols[top]
            self.cand[part, keep:] = self.cols[top[:, :1]]
            self.cand_sims[part, :keep] = top_sims
            self.cand_sims[part, keep:] = top_sims[:, :1]
            self.cand_version[part] = self.version[self.cand[part]]
            # Clusters outside the list are at most as similar as the least of it (every one when
            # the list holds them all).
            self.bound[part] = top_sims.min(axis=1) if keep < len(self.cols) - 1 else -np.inf

    def _roots(self, ids: np.ndarray) -> np.ndarray:
        while True:  # the current cluster of every listed one
            up = self.parent[ids]
            if np.array_equal(up, ids):
                return ids
            ids = up

    def merged(self, a: np.ndarray, b: np.ndarray, share: np.ndarray, nn: np.ndarray, nn_sim: np.ndarray) -> None:
        """Nearest neighbour of clusters ``a`` that just absorbed ``b`` (``share``: a's part of the
        new size). A cluster listed by neither holds only clusters outside both lists, so its
        similarity to the merged cluster is at most ``share * bound[a] + (1 - share) * bound[b]``;
        the two lists' current clusters are scored exactly and decide when their best reaches it."""
        keep = self.cand.shape[1]
        again: list[np.ndarray] = []
        step = max(1, self.block // 16)
        for start in range(0, len(a), step):
            pa, pb, ps = a[start : start + step], b[start : start + step], share[start : start + step]
            roots = self._roots(np.hstack([self.cand[pa], self.cand[pb]]))
            sims = np.einsum("sd,skd->sk", self.means[pa], self.means[roots])
            sims[~self.active[roots] | (roots == pa[:, None])] = -np.inf
            order = np.argsort(roots, axis=1, kind="stable")
            sorted_roots = np.take_along_axis(roots, order, axis=1)
            dup = np.zeros(roots.shape, bool)
            np.put_along_axis(dup, order[:, 1:], sorted_roots[:, 1:] == sorted_roots[:, :-1], axis=1)
            sims[dup] = -np.inf
            bound = ps * self.bound[pa] + (1 - ps) * self.bound[pb]
            top = np.argsort(-sims, axis=1, kind="stable")
            kept, dropped = top[:, :keep], top[:, keep:]
            kept_sims = np.take_along_axis(sims, kept, axis=1)
            # The dropped ones join what the new bound covers.
            bound = np.maximum(bound, np.take_along_axis(sims, dropped, axis=1).max(axis=1, initial=-np.inf))
            ok = kept_sims[:, 0] >= bound
            rows = pa[ok]
            nn[rows] = np.take_along_axis(roots, kept[:, :1], axis=1)[ok, 0]
            nn_sim[rows] = kept_sims[ok, 0]
            self.cand[rows] = np.take_along_axis(roots, kept, axis=1)[ok]
            self.cand_sims[rows] = kept_sims[ok]
            self.cand_version[rows] = self.version[self.cand[rows]]
            self.bound[rows] = bound[ok]
            again.append(pa[~ok])
        self.search(np.concatenate(again), nn, nn_sim)

    def recheck(self, rows: np.ndarray, nn: np.ndarray, nn_sim: np.ndarray) -> None:
        """New nearest neighbour of unchanged clusters whose nearest neighbour was merged."""
        if not len(rows):
            return
        again: list[np.ndarray] = []
        step = max(1, self.block // 8)
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            roots = self._roots(self.cand[part])
            # Listed clusters still as they were keep their similarity; merged ones are recomputed.
            sims = self.cand_sims[part].copy()
            moved = np.nonzero((roots != self.cand[part]) | (self.version[roots] != self.cand_version[part]))
            if len(moved[0]):
                sims[moved] = np.einsum("pd,pd->p", self.means[part[moved[0]]], self.means[roots[moved]])
            sims[~self.active[roots] | (roots == part[:, None])] = -np.inf
            best = np.argmax(sims, axis=1)
            best_sim = sims[np.arange(len(part)), best]
            ok = best_sim >= self.bound[part]
            nn[part[ok]] = roots[ok, best[ok]]
            nn_sim[part[ok]] = best_sim[ok]
            again.append(part[~ok])
        self.search(np.concatenate(again), nn, nn_sim)
