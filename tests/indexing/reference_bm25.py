"""The BM25 index as it was before the persisted format (issue 20): the reference the new one must equal."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy import sparse


class _Segment:
    """Term-major CSR postings for a fixed list of document ids."""

    def __init__(
        self,
        doc_ids: list[int],
        docs: dict[int, tuple[np.ndarray, np.ndarray]],
        lengths: dict[int, int],
        n_terms: int,
    ) -> None:
        self.doc_ids = np.asarray(doc_ids, dtype=np.int64)
        # A document's length never changes while it is live, so it is fixed per segment.
        self.lengths = np.array([lengths[d] for d in doc_ids], dtype=np.float32)
        rows, cols, vals = [], [], []
        for col, doc_id in enumerate(doc_ids):
            terms, tfs = docs[doc_id]
            rows.append(terms)
            cols.append(np.full(terms.shape[0], col, dtype=np.int32))
            vals.append(tfs)
        if doc_ids:
            self.postings = sparse.csr_matrix(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(n_terms, len(doc_ids)),
                dtype=np.float32,
            )
        else:
            self.postings = sparse.csr_matrix((n_terms, 0), dtype=np.float32)
        self.n_terms = n_terms


class ReferenceBM25:
    def __init__(self, k1: float = 1.2, b: float = 0.75, compact_ratio: float = 0.1) -> None:
        self.k1, self.b, self.compact_ratio = k1, b, compact_ratio
        self.vocab: dict[str, int] = {}
        self._df: list[int] = []
        self._terms: list[str] = []  # term id -> term
        self._docs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._len: dict[int, int] = {}
        self._total_len = 0
        self._main: _Segment | None = None
        self._main_set: set[int] = set()
        self._delta_ids: list[int] = []
        self._delta: _Segment | None = None
        self._dead: set[int] = set()

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    # -- updates ---------------------------------------------------------------------------------
    def add(self, doc_id: int, tokens: Sequence[str]) -> None:
        """Index one document; re-adding an id replaces its tokens."""
        doc_id = int(doc_id)
        if doc_id in self._docs:
            self.remove([doc_id])
        counts = Counter(tokens)
        term_ids = np.empty(len(counts), dtype=np.int32)
        tfs = np.empty(len(counts), dtype=np.float32)
        for i, (term, tf) in enumerate(counts.items()):
            tid = self.vocab.get(term)
            if tid is None:
                tid = self.vocab[term] = len(self._df)
                self._df.append(0)
                self._terms.append(term)
            self._df[tid] += 1
            term_ids[i], tfs[i] = tid, tf
        self._docs[doc_id] = (term_ids, tfs)
        self._len[doc_id] = len(tokens)
        self._total_len += len(tokens)
        # An older version of this id may still sit in the main segment: it stays tombstoned there.
        if doc_id in self._main_set:
            self._dead.add(doc_id)
        self._delta_ids.append(doc_id)
        self._delta = None

    def add_many(self, items: Iterable[tuple[int, Sequence[str]]]) -> None:
        for doc_id, tokens in items:
            self.add(doc_id, tokens)

    def remove(self, doc_ids: Iterable[int]) -> None:
        for doc_id in (int(d) for d in doc_ids):
            entry = self._docs.pop(doc_id, None)
            if entry is None:
                continue
            for tid in entry[0].tolist():
                self._df[tid] -= 1
            self._total_len -= self._len.pop(doc_id)
            if doc_id in self._main_set:
                self._dead.add(doc_id)
            if doc_id in self._delta_ids:
                self._delta_ids = [d for d in self._delta_ids if d != doc_id]
                self._delta = None

    def compact(self) -> None:
        """Fold the delta into the main segment and drop tombstones."""
        ids = sorted(self._docs)
        self._main = _Segment(ids, self._docs, self._len, len(self._df))
        self._main_set = set(ids)
        self._delta_ids, self._delta, self._dead = [], None, set()

    # -- scoring ---------------------------------------------------------------------------------
    def idf(self, term: str) -> float:
        tid = self.vocab.get(term)
        n = len(self._docs)
        df = self._df[tid] if tid is not None else 0
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def feedback_terms(self, doc_ids: Iterable[int], limit: int, skip: Iterable[str] = ()) -> list[str]:
        """The ``limit`` terms that best characterise ``doc_ids`` (summed tf·idf), for query expansion.

        Terms in ``skip`` and terms found in fewer than two of the documents are left out, so one
        document's names do not become the query.
        """
        skipped = set(skip)
        weight: dict[int, float] = {}
        seen: dict[int, int] = {}
        n = len(self._docs)
        for doc_id in doc_ids:
            entry = self._docs.get(int(doc_id))
            if entry is None:
                continue
            length = max(self._len[int(doc_id)], 1)
            for tid, tf in zip(entry[0].tolist(), entry[1].tolist(), strict=True):
                idf = math.log(1.0 + (n - self._df[tid] + 0.5) / (self._df[tid] + 0.5))
                weight[tid] = weight.get(tid, 0.0) + tf / length * idf
                seen[tid] = seen.get(tid, 0) + 1
        inverse = self._terms
        ranked = sorted((t for t in weight if seen[t] >= 2), key=lambda t: (-weight[t], inverse[t]))
        return [inverse[t] for t in ranked if inverse[t] not in skipped and len(inverse[t]) > 1][:limit]

    def _segments(self) -> list[_Segment]:
        if self._main is None or len(self._delta_ids) > self.compact_ratio * max(len(self._main_set), 1000):
            self.compact()
        if self._delta is None or self._delta.n_terms != len(self._df):
            self._delta = _Segment(self._delta_ids, self._docs, self._len, len(self._df))
        assert self._main is not None
        return [self._main, self._delta]

    def scores(
        self,
        tokens: Sequence[str],
        allowed: np.ndarray | None = None,
        extra: Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(doc_ids, scores) of every live document sharing at least one query term.

        ``extra`` adds terms (synonyms, pseudo-relevance terms) with a query weight of their own,
        below the 1 per occurrence of an original token; a term already in ``tokens`` keeps its count.
        """
        n = len(self._docs)
        query: dict[str, float] = dict(Counter(t for t in tokens if t in self.vocab))
        for term, weight in (extra or {}).items():
            if term in self.vocab and term not in query and weight > 0:
                query[term] = weight
        if n == 0 or not query:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        avgdl = self._total_len / n
        term_ids = np.array([self.vocab[t] for t in query], dtype=np.int64)
        df = np.array([self._df[t] for t in term_ids], dtype=np.float64)
        weights = (np.log1p((n - df + 0.5) / (df + 0.5)) * np.array(list(query.values()))).astype(np.float32)
        out_ids, out_scores = [], []
        segments = self._segments()
        for seg in segments:
            if seg.doc_ids.shape[0] == 0:
                continue
            sub = seg.postings[term_ids[term_ids < seg.n_terms]].tocsc()
            w = weights[term_ids < seg.n_terms]
            if sub.nnz == 0:
                continue
            cols = np.repeat(np.arange(sub.shape[1]), np.diff(sub.indptr))
            tf = sub.data
            norm = self.k1 * (1.0 - self.b + self.b * seg.lengths[cols] / avgdl)
            sat = sparse.csc_matrix((tf * (self.k1 + 1.0) / (tf + norm), sub.indices, sub.indptr), shape=sub.shape)
            seg_scores = np.asarray(sat.T @ w).ravel()
            hit = seg_scores > 0
            if seg is segments[0] and self._dead:
                hit &= ~np.isin(seg.doc_ids, np.fromiter(self._dead, dtype=np.int64, count=len(self._dead)))
            out_ids.append(seg.doc_ids[hit])
            out_scores.append(seg_scores[hit])
        if not out_ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        ids, scores = np.concatenate(out_ids), np.concatenate(out_scores).astype(np.float32)
        if allowed is not None:
            keep = np.isin(ids, allowed)
            ids, scores = ids[keep], scores[keep]
        return ids, scores

    def top_k(
        self,
        tokens: Sequence[str],
        k: int,
        allowed: np.ndarray | None = None,
        extra: Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        ids, scores = self.scores(tokens, allowed, extra)
        # Every document ordered, ties on the smaller id, also at the k-th place (``argpartition``
        # left a tie there to chance).
        order = np.lexsort((ids, -scores))[:k]
        return ids[order], scores[order]
