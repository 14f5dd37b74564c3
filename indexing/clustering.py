"""Homogeneous-group discovery over the hybrid representation (dense vectors + reduced TF-IDF).

Texts and arrays only. The algorithm is deterministic for the same input and parameters:

1. features: the dense vector and a TruncatedSVD of sublinear TF-IDF over jieba tokens, each
   L2-normalised and weighted so that a dot product is ``w * dense_cos + (1 - w) * lexical_cos``;
2. a coarse KMeans split into cells of about ``cell_size`` cases (only to bound the cost);
3. average-linkage clustering inside each cell, cut at ``threshold`` (the granularity: the mean
   similarity between members of one group), then clusters of different cells merged when their
   average cross similarity (dot product of unnormalised means) reaches the same threshold;
4. clusters smaller than ``min_size`` are dissolved into the unassigned pool (label -1); a pooled
   case then joins the group whose members it resembles on average at least ``threshold``.

Above ``max_fit`` rows (default 100,000) steps 1-4 run on a seeded sample and every other row is
assigned to its nearest group by the rule of step 4, in bounded batches (``indexing.sampled``).
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from threadpoolctl import threadpool_limits

from indexing.average_linkage import average_linkage_cut
from indexing.centroids import NameRule, assign, bars
from indexing.entities import names
from indexing.grouping import GroupMatch, ctfidf_keywords, ctfidf_matrix, match_groups
from indexing.sampled import DEFAULT_MAX_FIT, fit_sampled, sample_rows

__all__ = [
    "GroupMatch",
    "HybridClusterer",
    "HybridFeatures",
    "assign",
    "cluster_labels",
    "cluster_levels",
    "ctfidf_keywords",
    "ctfidf_matrix",
    "family_labels",
    "family_view",
    "match_groups",
    "row_families",
]


ENTITY_DIMS = 128
# Chosen by 5-fold CV over the real messages with the demo-corpus bounds checked on a held-out
# samplegen corpus (bench/group_grain.py remainder; docs/groups.md "Family remainders").
REMAINDER_SHARE = 0.3
# Bar for a case to join a family remainder group after both levels (the pool pass), on ingest and
# on re-discovery; None = the family threshold. Chosen by held-out folds of the real messages with
# the demo bounds checked on a samplegen dev corpus (bench/group_grain.py floor; docs/groups.md
# "Pool pass").
REMAINDER_FLOOR: float | None = 0.25
# Name pass (indexing.centroids.NameRule): a case below every bar joins the group whose members'
# names it shares on average at least NAME_AGREEMENT, if its similarity to them reaches NAME_FLOOR;
# None = off. Chosen by held-out folds of the real messages (bench/group_grain.py names).
NAME_AGREEMENT: float | None = None
NAME_FLOOR = 0.3


def remainder_bar(
    family_threshold: float | None, remainder_share: float | None, remainder_floor: float | None
) -> float | None:
    """The bar of family remainder groups: ``remainder_floor`` if set, else the family threshold;
    None when there are no remainder groups (one level, or remainders off)."""
    if family_threshold is None or remainder_share is None:
        return None
    return family_threshold if remainder_floor is None else remainder_floor


def name_rule(entity_weight: float, agreement: float | None, floor: float) -> NameRule | None:
    """The name pass for features with a name block of ``entity_weight`` (None when off)."""
    if agreement is None or entity_weight <= 0:
        return None
    return NameRule(ENTITY_DIMS, entity_weight, agreement, floor)


def _normalize(x: np.ndarray, block: int = 8192) -> np.ndarray:
    """Rows L2-normalised (float32), ``block`` rows at a time: the temporaries of 100,000 rows x
    900 columns would be three ~360 MB copies; per row the operations are the same."""
    if len(x) <= block:
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return (x / np.maximum(norms, 1e-12)).astype(np.float32)
    out = np.empty(x.shape, np.float32)
    for start in range(0, len(x), block):
        out[start : start + block] = _normalize(x[start : start + block], block)
    return out


class HybridFeatures:
    """Dense vectors blended with a TruncatedSVD of TF-IDF; fitted once, persisted with the groups."""

    def __init__(
        self,
        dense_weight: float = 0.5,
        lexical_dims: int = 128,
        min_df: int = 2,
        seed: int = 0,
        entity_weight: float = 0.0,
        entity_dims: int = ENTITY_DIMS,
    ) -> None:
        self.dense_weight, self.lexical_dims, self.min_df, self.seed = dense_weight, lexical_dims, min_df, seed
        # Share of the similarity given to the names a text mentions (indexing.entities), hashed
        # into entity_dims columns; 0 = the issue-4 features (dense + lexical only).
        self.entity_weight, self.entity_dims = entity_weight, entity_dims
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, np.float32)
        self.components = np.zeros((0, 0), np.float32)
        self.entity_idf: dict[str, float] = {}

    def _tfidf(self, token_lists: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        indptr: list[int] = [0]
        indices: list[int] = []
        values: list[float] = []
        for tokens in token_lists:
            counts: dict[int, int] = {}
            for tok in tokens:
                j = self.vocab.get(tok)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            indices.extend(counts)
            values.extend(1.0 + math.log(c) for c in counts.values())
            indptr.append(len(indices))
        m = sparse.csr_matrix(
            (np.asarray(values, np.float32), indices, indptr), shape=(len(token_lists), len(self.vocab))
        )
        m = m.multiply(self.idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        return sparse.diags(1.0 / np.maximum(norms, 1e-12)).dot(m).tocsr()

    def fit(self, token_lists: Sequence[Sequence[str]]) -> HybridFeatures:
        return self.fit_pages(lambda: iter([token_lists]))

    def fit_pages(self, pages: Callable[[], Iterable[Sequence[Sequence[str]]]]) -> HybridFeatures:
        """``fit`` over documents read a page at a time: ``pages()`` yields the same pages of token
        lists on every call (it is called twice: counts, then the TF-IDF rows for the SVD), so only
        one page of token lists is held at a time. Same model as ``fit`` on all pages at once."""
        df: dict[str, int] = {}
        name_df: dict[str, int] = {}
        n_docs = 0
        for page in pages():
            n_docs += len(page)
            for tokens in page:
                for tok in set(tokens):
                    df[tok] = df.get(tok, 0) + 1
                if self.entity_weight > 0:
                    for name in names(tokens):
                        name_df[name] = name_df.get(name, 0) + 1
        terms = sorted(t for t, n in df.items() if n >= self.min_df)
        self.vocab = {t: i for i, t in enumerate(terms)}
        n = max(n_docs, 1)
        if self.entity_weight > 0:
            self.entity_idf = {
                k: math.log((1 + n) / (1 + v)) + 1 for k, v in sorted(name_df.items()) if v >= self.min_df
            }
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in terms], np.float32)
        del df, name_df
        dims = min(self.lexical_dims, len(terms) - 1, n_docs - 1)
        if dims < 2:
            self.components = np.zeros((0, len(terms)), np.float32)
            return self
        blocks = [self._tfidf(page) for page in pages()]
        matrix = blocks[0] if len(blocks) == 1 else sparse.vstack(blocks, format="csr")
        del blocks
        svd = TruncatedSVD(dims, algorithm="randomized", n_iter=4, random_state=self.seed)
        svd.fit(matrix)
        self.components = svd.components_.astype(np.float32)
        return self

    def _names(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Names (known to the model) hashed into ``entity_dims`` signed columns, idf-weighted, L2-normalised."""
        out = np.zeros((len(token_lists), self.entity_dims), np.float32)
        for row, tokens in enumerate(token_lists):
            for name in names(tokens):
                idf = self.entity_idf.get(name)
                if idf is not None:
                    h = zlib.crc32(name.encode("utf-8"))
                    out[row, h % self.entity_dims] += idf if (h >> 16) & 1 else -idf
        return _normalize(out) * (np.linalg.norm(out, axis=1, keepdims=True) > 1e-9)

    @property
    def has_names(self) -> bool:
        return self.entity_weight > 0

    def transform(self, vectors: np.ndarray, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        dense = _normalize(np.asarray(vectors, np.float32))
        if self.components.shape[0] == 0:
            return dense
        raw = np.asarray(self._tfidf(token_lists) @ self.components.T)
        lexical = _normalize(raw)
        # A text with no known term (e.g. only words new since the model was fitted) is judged by
        # its dense vector alone, so new cases of a new kind can still group together.
        w = np.where(np.linalg.norm(raw, axis=1, keepdims=True) > 1e-9, self.dense_weight, 1.0)
        if not self.has_names:
            return np.hstack([dense * np.sqrt(w), lexical * np.sqrt(1 - w)]).astype(np.float32)
        named = self._names(token_lists)
        # A text naming nothing known keeps the dense/lexical blend at full weight.
        e = np.where(np.linalg.norm(named, axis=1, keepdims=True) > 1e-9, self.entity_weight, 0.0)
        parts = [dense * np.sqrt(w * (1 - e)), lexical * np.sqrt((1 - w) * (1 - e)), named * np.sqrt(e)]
        return np.hstack(parts).astype(np.float32)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        terms = np.array(sorted(self.vocab, key=self.vocab.__getitem__), dtype=object)
        names_ = np.array(list(self.entity_idf), dtype=object).astype(str)
        np.savez(
            buf,
            terms=terms.astype(str),
            idf=self.idf,
            components=self.components,
            w=self.dense_weight,
            entity_w=self.entity_weight,
            entity_dims=self.entity_dims,
            names=names_,
            name_idf=np.array(list(self.entity_idf.values()), np.float32),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> HybridFeatures:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        out = cls(dense_weight=float(arrays["w"]))
        out.vocab = {str(t): i for i, t in enumerate(arrays["terms"])}
        out.idf, out.components = arrays["idf"], arrays["components"]
        if "entity_w" in arrays.files:  # models stored before issue 19 have no name block
            out.entity_weight, out.entity_dims = float(arrays["entity_w"]), int(arrays["entity_dims"])
            out.entity_idf = {str(k): float(v) for k, v in zip(arrays["names"], arrays["name_idf"], strict=True)}
        return out


def family_view(x: np.ndarray, model: HybridFeatures | None = None) -> np.ndarray:
    """Features without the name block (the last ``entity_dims`` columns), rows re-normalised.

    The issue-type level: families are clustered on it, matter-level groups on the full features.
    """
    x = np.asarray(x, np.float32)
    dims = ENTITY_DIMS if model is None else model.entity_dims
    if (model is not None and not model.has_names) or x.shape[1] <= dims:
        return x
    return _normalize(x[:, : x.shape[1] - dims])


def family_labels(centroids: np.ndarray, threshold: float) -> np.ndarray:
    """Family label (0..k-1) per group: average linkage on group centroids, cut at ``threshold``.

    Centroids are unnormalised member means in the family view (``family_view``), so a dot product
    is the average similarity between two groups' members. The product's families
    (``kb.groups.families``) and ``cluster_levels`` both use it. It runs in memory linear in the
    number of groups (``indexing.average_linkage``): scipy's linkage held 2.8 GB at 18,681 groups.
    """
    return average_linkage_cut(np.asarray(centroids, np.float32), threshold)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class HybridClusterer:
    """sklearn-style: ``fit(vectors, token_lists)`` returns self; ``labels_`` (-1 = unassigned)."""

    # Defaults chosen on real messages (docs/groups.md): 0.4 / 0.4 kept purity vs domain >= 0.9 with
    # <= 15 % unassigned on the 4,326 unlabelled messages; 0.3 / 0.5 gave purity 0.83.
    def __init__(
        self,
        threshold: float = 0.6,
        min_size: int = 3,
        dense_weight: float = 0.4,
        lexical_dims: int = 256,
        cell_size: int = 2000,
        seed: int = 0,
        threads: int | None = None,
        max_fit: int | None = DEFAULT_MAX_FIT,
        sample: str = "random",
        entity_weight: float = 0.3,
        family_threshold: float | None = 0.4,
        remainder_share: float | None = REMAINDER_SHARE,
        remainder_floor: float | None = REMAINDER_FLOOR,
        name_agreement: float | None = NAME_AGREEMENT,
        name_floor: float = NAME_FLOOR,
    ) -> None:
        self.threshold, self.min_size, self.cell_size, self.seed = threshold, min_size, cell_size, seed
        # Two levels (issue 19): with family_threshold set, families are clustered first at that
        # (looser) threshold on the features without the name block, then each family is split into
        # matter-level groups at ``threshold`` on the full features (names included).
        self.entity_weight, self.family_threshold = entity_weight, family_threshold
        # A family whose cases are mostly one-off matters (at least this share has no matter peer,
        # e.g. real petition boards) keeps those cases together as one remainder group of the family
        # instead of leaving them in the pool; None = never (docs/groups.md "Family remainders").
        self.remainder_share = remainder_share
        # The bar of those remainder groups (pool pass, ingest, re-discovery); None = family_threshold.
        self.remainder_floor = remainder_floor
        # Name pass (``name_rule``): None = off.
        self.name_agreement, self.name_floor = name_agreement, name_floor
        # Called with (cells done, cells in all) while clustering directly: progress for long runs.
        self.on_cell: Callable[[int, int], None] | None = None
        # BLAS threads: oversubscribed OpenBLAS ran small SVDs ~15x slower than one thread on a busy host.
        self.threads = threads
        self.dense_weight, self.lexical_dims = dense_weight, lexical_dims
        # More rows than max_fit (None: never): fit on a seeded sample ("random") or the last max_fit
        # rows ("recent"), assign the rest by nearest group (indexing.sampled).
        self.max_fit, self.sample = max_fit, sample
        sample_rows(0, max_fit, sample)  # validates mode and max_fit early
        self.sample_: np.ndarray | None = None  # rows clustered directly when sampled

    def fit(self, vectors: np.ndarray, token_lists: Sequence[Sequence[str]] | None = None) -> HybridClusterer:
        with threadpool_limits(self.threads):
            return self._fit(vectors, token_lists)

    def _fit(self, vectors: np.ndarray, token_lists: Sequence[Sequence[str]] | None) -> HybridClusterer:
        rows = sample_rows(len(vectors), self.max_fit, self.sample, self.seed)
        if token_lists is None:
            self.features_ = HybridFeatures(1.0, 0)
        else:
            # Sampled: the vocabulary and SVD are fitted on the sample's tokens too.
            fit_tokens = token_lists if rows is None else [token_lists[i] for i in rows]
            self.features_ = HybridFeatures(
                self.dense_weight, self.lexical_dims, seed=self.seed, entity_weight=self.entity_weight
            ).fit(fit_tokens)
        if rows is None:
            return self.fit_direct(self.features_.transform(vectors, token_lists or [[]] * len(vectors)))
        data = np.asarray(vectors)  # no copy (a memory map stays one); features are built per batch

        def rows_features(idx: np.ndarray) -> np.ndarray:
            tokens = [token_lists[i] for i in idx] if token_lists is not None else [[]] * len(idx)
            return self.features_.transform(data[idx], tokens)

        fit_sampled(self, rows_features, len(vectors), rows)
        return self

    def fit_features(self, features: np.ndarray) -> HybridClusterer:
        """Cluster ready hybrid features (rows L2-normalised); sampled above ``max_fit`` rows."""
        return self.fit_rows(lambda idx: np.asarray(features[idx], np.float32), len(features))

    def fit_rows(self, rows_features: Callable[[np.ndarray], np.ndarray], n: int) -> HybridClusterer:
        """``fit_features`` over ``n`` rows whose features ``rows_features(idx)`` builds on demand:
        sampled, only the sample and one assignment batch are held at a time (a million cases'
        features never sit in memory at once); at most ``max_fit`` rows are built in one call."""
        with threadpool_limits(self.threads):
            rows = sample_rows(n, self.max_fit, self.sample, self.seed)
            if rows is None:
                return self.fit_direct(rows_features(np.arange(n, dtype=np.int64)))
            fit_sampled(self, rows_features, n, rows)
            return self

    def bars(self, centroids: np.ndarray) -> np.ndarray | float:
        """Per-group similarity bar (``indexing.centroids.bars``): family remainders keep the family's
        (or ``remainder_floor`` when set)."""
        fam = remainder_bar(self.family_threshold, self.remainder_share, self.remainder_floor)
        return bars(centroids, self.threshold, fam)

    def name_rule(self) -> NameRule | None:
        """The name pass (``indexing.centroids.NameRule``) of this clusterer, None when off or without names."""
        return name_rule(self.entity_weight, self.name_agreement, self.name_floor)

    def family_view(self, x: np.ndarray) -> np.ndarray:
        """Features without the name block (see ``family_view``) when this clusterer uses names."""
        return family_view(x) if self.entity_weight > 0 else np.asarray(x, np.float32)

    def fit_direct(self, features: np.ndarray) -> HybridClusterer:
        """Cluster every row of ready features (no sampling; callers hold the thread limit)."""
        self.sample_ = None
        x = np.asarray(features, np.float32)
        if self.family_threshold is None:
            labels = self._partition(x, self.threshold)
            self.family_of_ = np.arange(int(labels.max(initial=-1)) + 1, dtype=np.int64)
        else:
            labels, self.family_of_ = self._two_level(x)
        k = int(labels.max(initial=-1)) + 1
        self.labels_ = labels
        self.centroids_ = np.vstack([x[labels == j].mean(axis=0) for j in range(k)]) if k else np.zeros((0, x.shape[1]))
        self.centroids_ = self.centroids_.astype(np.float32)
        return self

    def _two_level(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Families at ``family_threshold`` (no names), then matter groups inside each family."""
        assert self.family_threshold is not None
        families = self._partition(self.family_view(x), self.family_threshold, report=True)
        parts: list[tuple[int, np.ndarray]] = []
        for f in range(int(families.max(initial=-1)) + 1):
            rows = np.flatnonzero(families == f)
            sub = self._partition(x[rows], self.threshold, report=False)
            parts.extend((f, rows[sub == j]) for j in range(int(sub.max(initial=-1)) + 1))
            rest = rows[sub < 0]
            share = self.remainder_share
            if share is not None and len(rest) >= max(self.min_size, share * len(rows)):
                parts.append((f, rest))  # the family's one-off matters: one remainder group
        parts.sort(key=lambda p: (-len(p[1]), int(p[1][0])))
        labels = np.full(len(x), -1, np.int64)
        for label, (_, rows) in enumerate(parts):
            labels[rows] = label
        family_of = np.array([f for f, _ in parts], np.int64)
        if parts:  # cases outside every family may still join a matter group they resemble
            centroids = np.vstack([x[rows].mean(axis=0) for _, rows in parts])
            # Pool pass (remainder_floor set): every case still pooled meets every group again,
            # the family remainders at remainder_floor (``bars``), matter groups at their threshold.
            pool = np.flatnonzero(families < 0 if self.remainder_floor is None else labels < 0)
            labels[pool] = assign(x[pool], centroids, self.bars(centroids))[0]
            rule = self.name_rule()
            if rule is not None:  # name pass: still pooled, names agree with a group's members
                pool = np.flatnonzero(labels < 0)
                k = int(labels.max(initial=-1)) + 1
                joined = np.vstack([x[labels == j].mean(axis=0) for j in range(k)])
                labels[pool] = assign(x[pool], joined, np.inf, names=rule)[0]
        return labels, family_of

    def _partition(self, x: np.ndarray, threshold: float, report: bool = True) -> np.ndarray:
        """Steps 2-4 of the module docstring at ``threshold``: labels, -1 = unassigned."""
        clusters: list[np.ndarray] = []
        cells = self._cells(x, np.arange(len(x)))
        for done, cell in enumerate(cells, start=1):
            clusters.extend(self._link(x, cell, threshold))
            if report and self.on_cell is not None:
                self.on_cell(done, len(cells))
        means = np.vstack([x[c].mean(axis=0) for c in clusters]) if clusters else np.zeros((0, x.shape[1]))
        uf = _UnionFind(len(clusters))
        big = np.array([i for i, c in enumerate(clusters) if len(c) > 1], np.int64)
        for start in range(0, len(big), 2048):
            block = big[start : start + 2048]
            sims = means[block] @ means[big].T
            for a, b in zip(*np.nonzero(sims >= threshold), strict=True):
                if block[a] < big[b]:
                    uf.union(int(block[a]), int(big[b]))
        roots: dict[int, list[int]] = {}
        for i, members in enumerate(clusters):
            roots.setdefault(uf.find(i), []).extend(members.tolist())
        groups = sorted((sorted(m) for m in roots.values() if len(m) >= self.min_size), key=lambda m: (-len(m), m[0]))
        labels = np.full(len(x), -1, np.int64)
        for label, group in enumerate(groups):
            labels[group] = label
        centroids = np.vstack([x[m].mean(axis=0) for m in groups]) if groups else np.zeros((0, x.shape[1]))
        pool = np.flatnonzero(labels < 0)
        labels[pool] = assign(x[pool], centroids, threshold)[0]
        return labels

    def _cells(self, x: np.ndarray, idx: np.ndarray, depth: int = 0) -> list[np.ndarray]:
        """Split rows into cells of at most ~2 * cell_size by KMeans (bounds the O(n^2) linkage)."""
        if len(idx) <= 2 * self.cell_size or depth > 3:
            return [idx]
        k = max(2, math.ceil(len(idx) / self.cell_size))
        km = KMeans(k, n_init=1, max_iter=30, random_state=self.seed).fit(x[idx])
        out: list[np.ndarray] = []
        for c in range(k):
            part = idx[km.labels_ == c]
            if len(part):
                out.extend(self._cells(x, part, depth + 1) if len(part) < len(idx) else [part])
        return out

    def _link(self, x: np.ndarray, idx: np.ndarray, threshold: float) -> list[np.ndarray]:
        if len(idx) == 1:
            return [idx]
        dist = np.clip(1.0 - x[idx] @ x[idx].T, 0.0, 2.0).astype(np.float64)
        np.fill_diagonal(dist, 0.0)
        condensed = squareform(dist, checks=False)
        cut = fcluster(linkage(condensed, method="average"), t=1.0 - threshold, criterion="distance")
        return [idx[cut == c] for c in np.unique(cut)]


def cluster_labels(
    vectors: np.ndarray, token_lists: Sequence[Sequence[str]] | None = None, **params: float
) -> np.ndarray:
    """Group labels for ``leian eval clustering``: -1 marks the unassigned pool."""
    return HybridClusterer(**params).fit(vectors, token_lists).labels_  # type: ignore[arg-type]


def cluster_levels(
    vectors: np.ndarray, token_lists: Sequence[Sequence[str]] | None = None, **params: float
) -> tuple[np.ndarray, np.ndarray]:
    """Matter-level group and family per row (-1 = unassigned), as the product shows them.

    Families are what ``kb.groups.families`` derives after a discovery run (``row_families``).
    """
    model = HybridClusterer(**params).fit(vectors, token_lists)  # type: ignore[arg-type]
    x = model.features_.transform(vectors, token_lists or [[]] * len(vectors))
    return model.labels_, row_families(model, x)


def row_families(model: HybridClusterer, x: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """Family per row of features ``x`` (-1 = pooled): the groups' centroids in the family view
    clustered at ``family_threshold`` (``family_labels``); one level: every group its own family."""
    labels = model.labels_ if labels is None else np.asarray(labels, np.int64)
    k = int(labels.max(initial=-1)) + 1
    if model.family_threshold is None or k == 0:
        return labels.copy()
    fam_x = model.family_view(x)
    centroids = np.vstack([fam_x[labels == j].mean(axis=0) for j in range(k)])
    of_group = family_labels(centroids, model.family_threshold)
    return np.where(labels >= 0, of_group[np.maximum(labels, 0)], -1)


cluster = cluster_labels  # the name `leian eval clustering` looks up
