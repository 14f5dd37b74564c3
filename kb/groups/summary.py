"""What a group refresh needs of the active members, added up a page at a time (issue 20).

Two reads of the members in case-id order, each holding one page of tokens and feature rows:

1. term counts and document counts per group (the class-based TF-IDF keywords of groups and
   families: ``indexing.grouping.ctfidf_matrix``; a term's document frequency is its column sum), the
   names each group's members mention (counted), and per-group sums of the feature rows and of their
   family view (centroids);
2. only for the refreshed groups: each member's similarity to its group's centroid, keeping the ten
   most similar (representatives; ties: lower case id first).

The output equals that of the same computation over all members at once (tests/kb/groups/test_group_pages.py).
Everything but the representatives is per group, so a summary of some groups' members combines with
stored rows of the others (``kb.groups.summary_store``: the refresh after a reviewer edit).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from indexing.clustering import HybridFeatures, family_view
from indexing.entities import names
from kb.groups.pages import CasePages
from kb.groups.store import ActiveMembers

REPRESENTATIVES = 10


@dataclass
class MemberSummary:
    sizes: dict[int, int]  # group -> members, in order of the group's first member
    counts: sparse.csr_matrix  # (groups in ``sizes`` order) x ``terms``: the members' term counts
    terms: list[str]  # every term the members use, in order of first use
    df: np.ndarray  # documents (members) per term
    family_df: np.ndarray  # the same over members of groups with a centroid (the families' documents)
    named: dict[int, Counter[str]]  # group -> names its members mention (one per member)
    centroids: dict[int, np.ndarray]  # group -> mean feature row of members with a vector
    family_centroids: dict[int, np.ndarray]  # group -> mean family-view row
    representatives: dict[int, list[int]] = field(default_factory=dict)
    docs: sparse.csr_matrix | None = None  # like ``counts``: members per group using each term


def frequencies(docs: sparse.csr_matrix, centred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(document frequency per term over all rows, over the rows with a centroid): column sums of
    the per-group document counts (``centred``: bool per row)."""
    df = np.asarray(docs.sum(axis=0), np.int64).ravel()
    if bool(centred.all()):
        return df, df
    return df, np.asarray(docs[np.flatnonzero(centred)].sum(axis=0), np.int64).ravel()


def summarize(
    pages: CasePages, model: HybridFeatures, members: ActiveMembers, refreshed: Container[int]
) -> MemberSummary:
    """Read the members page by page (see the module docstring); ``refreshed``: the groups whose
    representatives are needed (every group's counts, names and centroids always are)."""
    cases, groups = members.cases, members.groups
    first = np.unique(groups, return_index=True)[1]
    order = [int(g) for g in groups[np.sort(first)]]
    sizes = dict.fromkeys(order, 0)
    for g, n in zip(*np.unique(groups, return_counts=True), strict=True):
        sizes[int(g)] = int(n)
    index = {g: k for k, g in enumerate(order)}
    with_vec = np.isin(cases, np.asarray(pages.with_vectors(cases.tolist()), np.int64))
    terms = TermCounts(len(order))
    named: dict[int, Counter[str]] = {g: Counter() for g in order}
    sums: np.ndarray | None = None
    family_sums: np.ndarray | None = None
    hits = np.zeros(len(order), np.int64)
    for part, (page, tokens) in zip(pages.slices(len(cases)), pages.tokens(cases.tolist()), strict=True):
        page_groups = groups[part].tolist()
        page_counts: dict[int, Counter[str]] = {}
        page_docs: dict[int, Counter[str]] = {}
        for tokens_of, g in zip(tokens, page_groups, strict=True):
            page_counts.setdefault(index[g], Counter()).update(tokens_of)
            page_docs.setdefault(index[g], Counter()).update(set(tokens_of))
            named[g].update(names(tokens_of))
        terms.add(page_counts, page_docs)
        keep = np.flatnonzero(with_vec[part]).tolist()
        if not len(keep):
            continue
        x = pages.transform(model, [page[k] for k in keep], [tokens[k] for k in keep])
        fam = family_view(x, model)
        if sums is None or family_sums is None:
            sums = np.zeros((len(order), x.shape[1]), np.float64)
            family_sums = np.zeros((len(order), fam.shape[1]), np.float64)
        rows = np.asarray([index[page_groups[k]] for k in keep], np.int64)
        _add_by_group(sums, rows, x)
        _add_by_group(family_sums, rows, fam)
        hits += np.bincount(rows, minlength=len(order))
    centroids: dict[int, np.ndarray] = {}
    family_centroids: dict[int, np.ndarray] = {}
    if sums is not None and family_sums is not None:
        for g, k in index.items():
            if hits[k]:
                centroids[g] = (sums[k] / hits[k]).astype(np.float32)
                family_centroids[g] = (family_sums[k] / hits[k]).astype(np.float32)
    counts, docs = terms.matrix(), terms.doc_matrix()
    doc_freq, family_freq = frequencies(docs, hits > 0)
    out = MemberSummary(sizes, counts, terms.terms, doc_freq, family_freq, named, centroids, family_centroids)
    out.docs = docs
    out.representatives = _representatives(pages, model, members, with_vec, centroids, refreshed)
    return out


class TermCounts:
    """Term counts and document counts per row (group) added up page by page into two sparse int32
    matrices: a few bytes per (group, term) pair instead of a dict entry (~100 bytes) per pair."""

    FLUSH = 2_000_000  # buffered (row, term, count, docs) entries before they are summed into the matrices

    def __init__(self, n_rows: int) -> None:
        self.n_rows = n_rows
        self.column: dict[str, int] = {}
        self.terms: list[str] = []
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._buffered = 0
        self._matrix = sparse.csr_matrix((n_rows, 0), dtype=np.int32)
        self._docs = sparse.csr_matrix((n_rows, 0), dtype=np.int32)

    def add(self, rows: dict[int, Counter[str]], docs: dict[int, Counter[str]] | None = None) -> None:
        """Add term counts per row (``docs``: documents per row and term, the same keys; None: zeros)."""
        for row, counts in rows.items():
            cols = np.fromiter((self._col(t) for t in counts), np.int32, len(counts))
            values = np.fromiter(counts.values(), np.int32, len(counts))
            in_docs = docs.get(row, Counter()) if docs is not None else Counter()
            doc_values = np.fromiter((in_docs[t] for t in counts), np.int32, len(counts))
            self._parts.append((np.full(len(counts), row, np.int32), cols, values, doc_values))
            self._buffered += len(counts)
        if self._buffered >= self.FLUSH:
            self._flush()

    def _col(self, term: str) -> int:
        j = self.column.get(term)
        if j is None:
            j = self.column[term] = len(self.terms)
            self.terms.append(term)
        return j

    def _flush(self) -> None:
        shape = (self.n_rows, len(self.terms))
        if self._parts:
            rows, cols, values, doc_values = (np.concatenate(p) for p in zip(*self._parts, strict=True))
            added = sparse.csr_matrix((values, (rows, cols)), shape=shape, dtype=np.int32)
            added_docs = sparse.csr_matrix((doc_values, (rows, cols)), shape=shape, dtype=np.int32)
            self._parts, self._buffered = [], 0
        else:
            added = added_docs = sparse.csr_matrix(shape, dtype=np.int32)
        self._matrix.resize(shape)
        self._docs.resize(shape)
        self._matrix = (self._matrix + added).tocsr()
        self._docs = (self._docs + added_docs).tocsr()

    def matrix(self) -> sparse.csr_matrix:
        """The term counts (rows x terms); call once, after the last ``add``."""
        self._flush()
        self.column = {}
        return self._matrix

    def doc_matrix(self) -> sparse.csr_matrix:
        """The document counts, same shape and pattern as ``matrix``."""
        self._flush()
        return self._docs


def _add_by_group(sums: np.ndarray, rows: np.ndarray, x: np.ndarray) -> None:
    """``sums[rows[i]] += x[i]`` in float64, one reduction per group of the page."""
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    sums[sorted_rows[starts]] += np.add.reduceat(x[order].astype(np.float64), starts, axis=0)


def _representatives(
    pages: CasePages,
    model: HybridFeatures,
    members: ActiveMembers,
    with_vec: np.ndarray,
    centroids: dict[int, np.ndarray],
    refreshed: Container[int],
) -> dict[int, list[int]]:
    """The ``REPRESENTATIVES`` members most similar to their group's centroid, per refreshed group."""
    wanted = np.fromiter(
        (
            bool(v) and int(g) in refreshed and int(g) in centroids
            for g, v in zip(members.groups, with_vec, strict=True)
        ),
        bool,
        count=len(members.cases),
    )
    cases, groups = members.cases[wanted], members.groups[wanted]
    best: dict[int, list[tuple[float, int]]] = {}
    for part, (page, x) in zip(pages.slices(len(cases)), pages.features(model, cases.tolist()), strict=True):
        page_groups = groups[part]
        for g in np.unique(page_groups).tolist():
            rows = np.flatnonzero(page_groups == g)
            scores = x[rows] @ centroids[g]
            merged = best.get(g, []) + [(float(scores[k]), int(page[r])) for k, r in enumerate(rows.tolist())]
            merged.sort(key=lambda sc: (-sc[0], sc[1]))
            best[g] = merged[:REPRESENTATIVES]
    return {g: [c for _, c in top] for g, top in best.items()}
