"""Group labels and identity: class-based TF-IDF keywords and member-overlap matching between runs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Container, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse


def ctfidf_keywords(
    token_lists: Sequence[Sequence[str]],
    labels: Sequence[int] | np.ndarray,
    top_n: int = 10,
    exclude: Container[str] = frozenset(),
    max_df: float = 0.3,
    min_chars: int = 2,
) -> dict[int, list[tuple[str, float]]]:
    """Top terms per label by class-based TF-IDF (BERTopic's ``tf_tc / |c| * log(1 + A / f_t)``).

    Terms found in more than ``max_df`` of all documents are boilerplate ("反映", "要求") and are
    dropped, as are ``exclude`` (place names) and terms shorter than ``min_chars``; label -1 is
    background only.
    """
    df: Counter[str] = Counter()
    per_class: dict[int, Counter[str]] = {}
    for tokens, label in zip(token_lists, labels, strict=True):
        df.update(set(tokens))
        if int(label) >= 0:
            per_class.setdefault(int(label), Counter()).update(tokens)
    # The (labels x terms) count matrix ``ctfidf_matrix`` scores (the form a paged caller adds up).
    terms = sorted({t for counts in per_class.values() for t in counts})
    column = {t: j for j, t in enumerate(terms)}
    rows: list[int] = []
    cols: list[int] = []
    values: list[int] = []
    for r, counts in enumerate(per_class.values()):
        for t, c in counts.items():
            rows.append(r)
            cols.append(column[t])
            values.append(c)
    matrix = sparse.csr_matrix(
        (np.asarray(values, np.int64), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
        shape=(len(per_class), len(terms)),
    )
    doc_freq = np.asarray([df.get(t, 0) for t in terms], np.int64)
    return ctfidf_matrix(matrix, list(per_class), terms, doc_freq, len(token_lists), top_n, exclude, max_df, min_chars)


def ctfidf_matrix(
    counts: sparse.csr_matrix,
    labels: Sequence[int],
    terms: Sequence[str],
    df: np.ndarray,
    n_docs: int,
    top_n: int = 10,
    exclude: Container[str] = frozenset(),
    max_df: float = 0.3,
    min_chars: int = 2,
) -> dict[int, list[tuple[str, float]]]:
    """``ctfidf_keywords`` from a (labels x terms) count matrix and each term's document frequency:
    the form a caller that reads its documents a page at a time adds up (a few bytes per label and
    term, not a dict entry). Scores are the same float64 operations in the same order."""
    if not len(labels):
        return {}
    counts = sparse.csr_matrix(counts)
    counts.sum_duplicates()
    limit = max_df * n_docs if n_docs >= 20 else float("inf")
    total = np.asarray(counts.sum(axis=0), np.int64).ravel()
    avg_words = int(total.sum()) / len(labels)
    factor = np.array([math.log(1 + avg_words / int(t)) if t else 0.0 for t in total.tolist()], np.float64)
    keep = np.array([len(t) >= min_chars and t not in exclude for t in terms], bool) & (df <= limit)
    rank = np.empty(len(terms), np.int64)
    rank[sorted(range(len(terms)), key=terms.__getitem__)] = np.arange(len(terms))
    sizes = np.asarray(counts.sum(axis=1), np.int64).ravel()
    out: dict[int, list[tuple[str, float]]] = {}
    for r, label in enumerate(labels):
        lo, hi = counts.indptr[r], counts.indptr[r + 1]
        cols, c = counts.indices[lo:hi], counts.data[lo:hi].astype(np.int64)
        chosen = keep[cols] & (c > 0)
        cols, c = cols[chosen], c[chosen]
        scores = c / (int(sizes[r]) or 1) * factor[cols]
        top = np.lexsort((rank[cols], -scores))[:top_n]
        out[int(label)] = [(terms[int(cols[k])], round(float(scores[k]), 6)) for k in top]
    return out


@dataclass
class GroupMatch:
    """How the groups of a new run relate to the groups of the previous one."""

    ids: dict[int, int | None] = field(default_factory=dict)  # new label -> inherited old id, None = new group
    split_from: dict[int, int] = field(default_factory=dict)  # new label -> old id it split off from
    merged_into: dict[int, int] = field(default_factory=dict)  # old id -> new label that absorbed it
    retired: list[int] = field(default_factory=list)  # old ids with no successor at all


def match_groups(
    old_members: Mapping[int, Collection[int]],
    new_members: Mapping[int, Collection[int]],
    min_overlap: float = 0.5,
    min_share: float = 0.2,
) -> GroupMatch:
    """Give new clusters the ids of old groups they mostly continue, and record lineage.

    An old group passes its id to the new cluster holding most of its (still present) members
    when that is at least ``min_overlap`` of them and no other old group has a larger stake in
    that cluster. A new cluster taking ``min_share`` of an old group that kept its id elsewhere
    is a split; an old group losing its id to a larger one with ``min_share`` overlap is merged.
    """
    present = {m for members in new_members.values() for m in members}
    owner = {m: j for j, members in new_members.items() for m in members}
    overlap: dict[int, Counter[int]] = {}
    sizes: dict[int, int] = {}
    for i, members in old_members.items():
        alive = [m for m in members if m in present]
        sizes[i] = len(alive)
        overlap[i] = Counter(owner[m] for m in alive)
    # Candidate heir per old group: the new cluster with most of its members (ties: lower label).
    best: dict[int, tuple[int, int]] = {}
    for i, counts in overlap.items():
        if counts and sizes[i]:
            j, n = min(counts.items(), key=lambda jn: (-jn[1], jn[0]))
            if n >= min_overlap * sizes[i]:
                best[i] = (j, n)
    result = GroupMatch(ids={j: None for j in new_members})
    claims: dict[int, list[tuple[int, int]]] = {}
    for i, (j, n) in best.items():
        claims.setdefault(j, []).append((n, i))
    for j, stakes in claims.items():
        stakes.sort(key=lambda ni: (-ni[0], ni[1]))
        result.ids[j] = stakes[0][1]
    kept = {i for i in result.ids.values() if i is not None}
    for i in sorted(old_members):
        if i in kept:
            continue
        counts = overlap.get(i, Counter())
        if counts and sizes[i]:
            j, n = min(counts.items(), key=lambda jn: (-jn[1], jn[0]))
            if n >= min_share * sizes[i]:
                result.merged_into[i] = j
                continue
        result.retired.append(i)
    for j, heir in result.ids.items():
        if heir is not None:
            continue
        sources = [(n, i) for i, counts in overlap.items() if (n := counts.get(j, 0)) >= min_share * max(sizes[i], 1)]
        if sources:
            result.split_from[j] = min(sources, key=lambda ni: (-ni[0], ni[1]))[1]
    return result
