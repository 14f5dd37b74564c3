"""BM25 over jieba tokens: an incrementally updatable index that persists to one memory-mapped file.

Lucene's idf, k1/b saturation. Documents live in a *main* segment (plain arrays, both ways round:
each document's terms and each term's documents; memory-mapped when loaded from disk) plus a small
in-memory *delta* of documents added since the last compaction; removed documents are tombstoned.
Scores are computed per query from raw term frequencies with the *current* global statistics, so
adding or removing a document never needs a rebuild, and the saved file needs no re-scoring when
the corpus grows (docs/benchmarks.md, "Lexical index", compares this with ``bm25s``).

Per document and term the score is accumulated in float32 in query-term order, exactly as the
earlier scipy implementation did (``tests/indexing/reference_bm25.py``), so the scores are equal
to the last bit. The accumulation loop is compiled by numba when installed (``_scatter``, compiled in the
background on first use; numpy until then), and
``top_k`` takes the head of the accumulator by ``np.partition``; ``_Segment.top_depth`` is an exact
MaxScore, off by default (``BM25Index.prune``) because in numpy it does not pay at 100,000 cases.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import threading
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexing.lru import VersionedLRU
from indexing.vectors.base import id_mask

log = logging.getLogger(__name__)

# Version of the on-disk layout (``save``/``load``); a file of another version is rebuilt.
FILE_FORMAT = 1
_MAGIC = b"LEIANB25"
_ALIGN = 64
# Bytes of cached saturated tf columns per segment (``_Segment.saturated``): the columns of the
# common terms, which cost most of a query, stay computed between writes.
SATURATION_CACHE_BYTES = 128 << 20
# Relative slack of the MaxScore bounds (``_Segment.top_depth``): float32 sums of up to a few hundred
# terms differ from the exact sums by far less, so no row that could enter the top depth is dropped.
_MARGIN = 1e-4
# Segments of fewer documents are scored exhaustively (pruning would not pay for its bookkeeping).
PRUNE_MIN_DOCS = 4096
# The threshold of ``top_depth`` is seeded (at most _SEEDS times) from the complete scores of the
# _SEED_ROWS x depth rows with the best partial scores.
_SEEDS = 3
_SEED_ROWS = 2
# A surviving row scored from its own terms costs about this many postings accumulated.
_ROW_COST = 2.0
# Postings inverted at a time when a segment is built (``_invert``): 1M postings, about 40 MB of
# temporaries (4M held 160 MB and inverted 1.7x slower on this host).
INVERT_CHUNK = 1 << 20
_ARRAYS = ("doc_ids", "lengths", "fwd_indptr", "fwd_terms", "fwd_tfs", "inv_indptr", "inv_docs", "inv_tfs")


class LexicalFileError(ValueError):
    """The saved lexical index is unreadable, of another format or built with other parameters."""


def _empty(dtype: Any) -> np.ndarray:
    return np.zeros(0, dtype=dtype)


class _Segment:
    """A fixed set of documents (ids ascending), doc-major and term-major.

    Doc-major: ``fwd_indptr`` (n_docs + 1) delimits each document's ``fwd_terms`` / ``fwd_tfs``.
    Term-major: ``inv_indptr`` (n_terms + 1) delimits each term's ``inv_docs`` (positions in
    ``doc_ids``, ascending) and ``inv_tfs``. ``lengths`` are token counts (the sum of the tfs).
    """

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.doc_ids: np.ndarray = arrays["doc_ids"]
        self.lengths: np.ndarray = arrays["lengths"]
        self.fwd_indptr: np.ndarray = arrays["fwd_indptr"]
        self.fwd_terms: np.ndarray = arrays["fwd_terms"]
        self.fwd_tfs: np.ndarray = arrays["fwd_tfs"]
        self.inv_indptr: np.ndarray = arrays["inv_indptr"]
        self.inv_docs: np.ndarray = arrays["inv_docs"]
        self.inv_tfs: np.ndarray = arrays["inv_tfs"]
        self.n_terms = int(self.inv_indptr.shape[0]) - 1
        # Each queried term's saturated tf column, valid for one (k1, b, avgdl): the segment's
        # documents never change, so only a new average length (any write) invalidates it.
        self._sat: VersionedLRU[int, tuple[np.ndarray, float]] = VersionedLRU(SATURATION_CACHE_BYTES)
        self.last_prune: tuple[int, int, int, int] | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in _ARRAYS}

    def __len__(self) -> int:
        return int(self.doc_ids.shape[0])

    @classmethod
    def from_forward(
        cls, doc_ids: np.ndarray, fwd_indptr: np.ndarray, fwd_terms: np.ndarray, fwd_tfs: np.ndarray, n_terms: int
    ) -> _Segment:
        """Build the term-major side from the doc-major one (``doc_ids`` ascending)."""
        fwd_indptr = np.ascontiguousarray(fwd_indptr, dtype=np.int64)
        fwd_terms = np.ascontiguousarray(fwd_terms, dtype=np.int32)
        fwd_tfs = np.ascontiguousarray(fwd_tfs, dtype=np.float32)
        lengths, inv_indptr, inv_docs, inv_tfs = _invert(fwd_indptr, fwd_terms, fwd_tfs, n_terms)
        return cls(
            {
                "doc_ids": np.ascontiguousarray(doc_ids, dtype=np.int64),
                "lengths": lengths,
                "fwd_indptr": fwd_indptr,
                "fwd_terms": fwd_terms,
                "fwd_tfs": fwd_tfs,
                "inv_indptr": inv_indptr,
                "inv_docs": inv_docs,
                "inv_tfs": inv_tfs,
            }
        )

    @classmethod
    def from_docs(cls, docs: Mapping[int, tuple[np.ndarray, np.ndarray]], n_terms: int) -> _Segment:
        return cls.from_forward(*_forward(docs), n_terms)

    def position(self, doc_id: int) -> int:
        """Row of ``doc_id`` in this segment, or -1."""
        pos = int(np.searchsorted(self.doc_ids, doc_id))
        return pos if pos < self.doc_ids.shape[0] and int(self.doc_ids[pos]) == doc_id else -1

    def entry(self, pos: int) -> tuple[np.ndarray, np.ndarray]:
        start, stop = int(self.fwd_indptr[pos]), int(self.fwd_indptr[pos + 1])
        return self.fwd_terms[start:stop], self.fwd_tfs[start:stop]

    def _postings(self, term_ids: np.ndarray, weights: np.ndarray) -> Iterator[tuple[int, float, int, int]]:
        """(term id, query weight, start, stop of its postings) of the query terms this segment
        holds, in query-term order (the order every score is accumulated in)."""
        for tid, w in zip(term_ids.tolist(), weights.tolist(), strict=True):
            if tid < self.n_terms:
                start, stop = int(self.inv_indptr[tid]), int(self.inv_indptr[tid + 1])
                if start != stop:
                    yield tid, w, start, stop

    def accumulate(self, term_ids: np.ndarray, weights: np.ndarray, k1: float, b: float, avgdl: float) -> np.ndarray:
        """Per-row BM25 scores (float32, one accumulation per query term in order)."""
        acc = np.zeros(self.doc_ids.shape[0], dtype=np.float32)
        for tid, w, start, stop in self._postings(term_ids, weights):
            _scatter(acc, self.inv_docs[start:stop], self.saturated(tid, start, stop, k1, b, avgdl), np.float32(w))
        return acc

    def saturated(self, tid: int, start: int, stop: int, k1: float, b: float, avgdl: float) -> np.ndarray:
        """``tf (k1 + 1) / (tf + k1 (1 - b + b len / avgdl))`` of one term's postings, cached.

        The same expression, in the same dtype, as computed uncached, so scores are bit-equal; the
        cache keeps the most recently used terms within ``SATURATION_CACHE_BYTES`` per segment.
        """
        return self.saturated_max(tid, start, stop, k1, b, avgdl)[0]

    def saturated_max(
        self, tid: int, start: int, stop: int, k1: float, b: float, avgdl: float
    ) -> tuple[np.ndarray, float]:
        """``saturated`` and its largest value (the term's bound in ``top_depth``), cached together."""
        key = (k1, b, avgdl)
        hit = self._sat.get(key, tid)
        if hit is not None:
            return hit
        sat = _saturate(self.inv_tfs[start:stop], self.lengths[self.inv_docs[start:stop]], k1, b, avgdl)
        found = (sat, float(sat.max()) if sat.shape[0] else 0.0)
        self._sat.put(key, tid, found, sat.nbytes)
        return found

    def top_depth(
        self,
        term_ids: np.ndarray,
        weights: np.ndarray,
        depth: int,
        k1: float,
        b: float,
        avgdl: float,
        eligible: Callable[[np.ndarray], np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) holding every eligible row of this segment's top ``depth``, by MaxScore.

        Terms are taken by their bound (query weight x their largest saturated tf), highest first,
        and accumulated over all their postings (the *essential* terms) until the bounds of the rest
        sum below a lower bound of the ``depth``-th best score (``theta``, the complete scores of the
        rows best so far): a row whose partial score plus those bounds stays below it cannot enter
        the top ``depth``, and rows no essential term touched are never looked at. A few more terms
        are accumulated while that leaves many rows (each costs its postings; a surviving row costs
        its own terms). The survivors are scored from the doc-major arrays (``exact``), bit-equal
        to ``accumulate``. Bounds carry a relative margin (``_MARGIN``) far above float32 rounding,
        so no row of the top ``depth`` is dropped. ``eligible`` keeps the live (and allowed) rows.
        """
        query = self._query_terms(term_ids, weights, k1, b, avgdl)
        terms = query[0]
        order = sorted(range(len(terms)), key=lambda i: -terms[i][3])
        rest = [0.0] * (len(order) + 1)  # rest[j]: the bounds of order[j:]
        for j in range(len(order) - 1, -1, -1):
            rest[j] = rest[j + 1] + terms[order[j]][3]
        hi, lo = 1.0 + _MARGIN, 1.0 - _MARGIN
        n = len(self)
        per_row = self.fwd_terms.shape[0] / max(n, 1)  # a row's distinct terms, on average
        acc = np.zeros(n, dtype=np.float32)
        seen = np.zeros(n, dtype=bool)
        theta, split, done, seeds = 0.0, len(order), 0.0, 0
        for j, i in enumerate(order):
            cols, sat, w32, bound = terms[i]
            if rest[j] * hi < theta * lo:
                left = np.count_nonzero(acc >= theta * lo / hi - rest[j])
                if left * per_row * _ROW_COST <= cols.shape[0]:
                    split = j
                    break
            _scatter(acc, cols, sat, w32)
            seen[cols] = True
            done += bound
            # Once the rest could fall below the depth-th best score, a lower bound of it: the
            # complete scores of the rows best so far (the depth-th of them is one, being exact).
            if j + 1 < len(order) and rest[j + 1] * hi < done * lo and seeds < _SEEDS:
                rows = eligible(np.flatnonzero(seen))
                if rows.shape[0] >= depth:
                    seeds += 1
                    best = _SEED_ROWS * depth
                    if rows.shape[0] > best:
                        rows = rows[np.argpartition(acc[rows], rows.shape[0] - best)[-best:]]
                    full = self.exact(query, rows)
                    theta = max(theta, float(np.partition(full, full.shape[0] - depth)[full.shape[0] - depth]))
        rows = np.flatnonzero(seen)
        rows = eligible(rows[(acc[rows] + rest[split]) * hi >= theta * lo])
        # (terms, essential terms, threshold seeds, rows scored): what the pruning saved.
        self.last_prune = (len(order), split, seeds, int(rows.shape[0]))
        return rows, self.exact(query, rows)

    def _query_terms(
        self, term_ids: np.ndarray, weights: np.ndarray, k1: float, b: float, avgdl: float
    ) -> tuple[list[tuple[np.ndarray, np.ndarray, np.float32, float]], np.ndarray, np.ndarray, np.ndarray, tuple]:
        """The query's terms present here, in query order: (postings, saturated tf, float32 weight,
        bound) each, their ids sorted, the query position of each sorted id, and the weights."""
        terms = []
        present = []
        for tid, w, start, stop in self._postings(term_ids, weights):
            sat, top = self.saturated_max(tid, start, stop, k1, b, avgdl)
            w32 = np.float32(w)
            terms.append((self.inv_docs[start:stop], sat, w32, float(np.float32(top) * w32)))
            present.append(tid)
        ids = np.asarray(present, dtype=np.int64)
        by_id = np.argsort(ids, kind="stable")
        w32s = np.array([t[2] for t in terms], dtype=np.float32)
        return terms, ids[by_id].astype(self.fwd_terms.dtype), by_id, w32s, (k1, b, avgdl)

    def exact(self, query: tuple, rows: np.ndarray) -> np.ndarray:
        """The BM25 scores of ``rows`` (distinct) from their own terms (doc-major): each query
        term's saturated tf x weight added in query-term order in float32, the operations of
        ``accumulate`` (``_saturate``, then the product and the sums), so bit-equal to it."""
        terms, sorted_ids, by_id, w32s, (k1, b, avgdl) = query
        out = np.zeros(rows.shape[0], dtype=np.float32)
        if rows.shape[0] == 0 or not terms:
            return out
        starts, stops = self.fwd_indptr[rows], self.fwd_indptr[rows + 1]
        counts = stops - starts
        total = int(counts.sum())
        offsets = np.zeros(rows.shape[0], dtype=np.int64)
        np.cumsum(counts[:-1], out=offsets[1:])
        entries = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, counts)
        found = self.fwd_terms[entries]
        pos = np.searchsorted(sorted_ids, found)
        np.minimum(pos, sorted_ids.shape[0] - 1, out=pos)
        match = sorted_ids[pos] == found
        which = np.repeat(np.arange(rows.shape[0], dtype=np.int64), counts)[match]
        qpos = by_id[pos[match]]
        sat = _saturate(self.fwd_tfs[entries[match]], self.lengths[rows[which]], k1, b, avgdl)
        table = np.zeros((len(terms), rows.shape[0]), dtype=np.float32)
        table[qpos, which] = sat * w32s[qpos]
        for contribution in table:  # query-term order; adding 0 (term absent) changes nothing
            out += contribution
        return out


def _scatter_numpy(acc: np.ndarray, cols: np.ndarray, sat: np.ndarray, w32: np.float32) -> None:
    """``acc[cols] += sat * w32`` (float32; ``cols`` distinct)."""
    acc[cols] += sat * w32


ScatterFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.float32], None]
_compiled: ScatterFn | None = None
_compile_started = False
_compile_lock = threading.Lock()


def compiled_scatter() -> ScatterFn | None:
    """The loop of ``_scatter_numpy`` compiled by numba when it is installed (the ``fast`` extra):
    one pass, no temporaries, ~8x faster at 100,000 documents; the same float32 product and sum
    per posting, so the same bits. Compiles (or loads numba's cache) now, in the calling thread;
    None without numba or with ``LEIAN_NO_NUMBA`` set."""
    global _compiled
    if _compiled is not None or os.environ.get("LEIAN_NO_NUMBA"):
        return _compiled
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True)
    def scatter(acc: np.ndarray, cols: np.ndarray, sat: np.ndarray, w32: np.float32) -> None:
        for i in range(cols.shape[0]):
            acc[cols[i]] += sat[i] * w32

    # The postings' dtypes (int32 rows, float32 weights), so a query does not compile.
    scatter(np.zeros(1, np.float32), np.zeros(1, np.int32), np.zeros(1, np.float32), np.float32(1))
    _compiled = scatter
    return scatter


def _compile_in_background() -> None:
    """Start ``compiled_scatter`` in a daemon thread once per process: numba's import and compile
    take seconds, which a one-off CLI search must not wait for; until it is ready the numpy loop
    runs (same bits, so switching mid-way changes no result)."""
    global _compile_started
    with _compile_lock:
        if _compile_started:
            return
        _compile_started = True

    def run() -> None:
        try:
            compiled_scatter()
        except Exception:  # a broken numba install: stay on numpy
            log.warning("numba could not compile the BM25 loop; numpy is used", exc_info=True)

    threading.Thread(target=run, name="leian-bm25-compile", daemon=True).start()


def _scatter(acc: np.ndarray, cols: np.ndarray, sat: np.ndarray, w32: np.float32) -> None:
    """``acc[cols] += sat * w32``: compiled once ready, numpy until then."""
    fn = _compiled
    if fn is None:
        _compile_in_background()
        _scatter_numpy(acc, cols, sat, w32)
    else:
        fn(acc, cols, sat, w32)


def _saturate(tf: np.ndarray, length: np.ndarray, k1: float, b: float, avgdl: float) -> np.ndarray:
    """``tf (k1 + 1) / (tf + k1 (1 - b + b len / avgdl))`` in float32 (one expression for the
    term-major and the doc-major side, so both give the same bits)."""
    norm = k1 * (1.0 - b + b * length / avgdl)
    return tf * (k1 + 1.0) / (tf + norm)


class BM25Index:
    # Large allow-lists as a mask over the id space (``scores``); False = always by search (the
    # benchmark's "before").
    mask_filters = True
    # ``top_k`` by MaxScore over large segments (``_Segment.top_depth``). Off: exact, but in numpy it
    # measured slower than accumulating every posting with the compiled loop (``_scatter``) and
    # ``np.partition`` (docs/benchmarks.md, "Text-query latency at 100,000 cases").
    prune = False

    def __init__(self, k1: float = 1.2, b: float = 0.75, compact_ratio: float = 0.1) -> None:
        self.k1, self.b, self.compact_ratio = k1, b, compact_ratio
        self.vocab: dict[str, int] = {}
        self._df: list[int] = []
        self._terms: list[str] = []  # term id -> term
        self._total_len = 0
        self._main: _Segment | None = None
        self._dead = np.zeros(0, dtype=bool)  # per main row: removed or replaced since
        self._n_dead = 0
        self._delta_docs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._delta_len: dict[int, int] = {}
        self._delta: _Segment | None = None
        self.mapped = False  # the main segment is memory-mapped from a saved file

    def __len__(self) -> int:
        main = len(self._main) if self._main is not None else 0
        return main - self._n_dead + len(self._delta_docs)

    def _main_pos(self, doc_id: int) -> int:
        if self._main is None:
            return -1
        pos = self._main.position(doc_id)
        return pos if pos >= 0 and not self._dead[pos] else -1

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, int | np.integer):
            return False
        return int(doc_id) in self._delta_docs or self._main_pos(int(doc_id)) >= 0

    def _entry(self, doc_id: int) -> tuple[tuple[np.ndarray, np.ndarray], int] | None:
        """A live document's (term ids, tfs) and length."""
        found = self._delta_docs.get(doc_id)
        if found is not None:
            return found, self._delta_len[doc_id]
        pos = self._main_pos(doc_id)
        if pos < 0:
            return None
        assert self._main is not None
        return self._main.entry(pos), int(self._main.lengths[pos])

    @classmethod
    def build(
        cls, items: Iterable[tuple[int, Sequence[str]]], k1: float = 1.2, b: float = 0.75, compact_ratio: float = 0.1
    ) -> BM25Index:
        """A compacted index of ``items`` (unique ids), equal to ``add_many`` + ``compact`` but built
        straight into flat arrays: no per-document objects, so a million documents fit."""
        index = cls(k1=k1, b=b, compact_ratio=compact_ratio)
        vocab, df, names = index.vocab, index._df, index._terms
        ids, counts, terms, tfs = array("q"), array("q"), array("i"), array("f")
        total = 0
        for doc_id, tokens in items:
            per_doc = Counter(tokens)
            for term, tf in per_doc.items():
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(df)
                    df.append(0)
                    names.append(term)
                df[tid] += 1
                terms.append(tid)
                tfs.append(tf)
            ids.append(int(doc_id))
            counts.append(len(per_doc))
            total += len(tokens)
        index._total_len = total
        ordered = _in_id_order(
            np.frombuffer(ids, dtype=np.int64) if ids else _empty(np.int64),
            np.frombuffer(counts, dtype=np.int64) if counts else _empty(np.int64),
            np.frombuffer(terms, dtype=np.int32) if terms else _empty(np.int32),
            np.frombuffer(tfs, dtype=np.float32) if tfs else _empty(np.float32),
        )
        index._set_main(_Segment.from_forward(*ordered, len(df)))
        return index

    # -- updates ---------------------------------------------------------------------------------
    def add(self, doc_id: int, tokens: Sequence[str]) -> None:
        """Index one document; re-adding an id replaces its tokens."""
        doc_id = int(doc_id)
        if doc_id in self:
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
        self._delta_docs[doc_id] = (term_ids, tfs)
        self._delta_len[doc_id] = len(tokens)
        self._total_len += len(tokens)
        self._delta = None

    def add_many(self, items: Iterable[tuple[int, Sequence[str]]]) -> None:
        for doc_id, tokens in items:
            self.add(doc_id, tokens)

    def remove(self, doc_ids: Iterable[int]) -> None:
        for doc_id in (int(d) for d in doc_ids):
            entry = self._delta_docs.pop(doc_id, None)
            if entry is not None:
                self._total_len -= self._delta_len.pop(doc_id)
                self._delta = None
                terms = entry[0]
            else:
                pos = self._main_pos(doc_id)
                if pos < 0:
                    continue
                assert self._main is not None
                terms = self._main.entry(pos)[0]
                self._total_len -= int(self._main.lengths[pos])
                self._dead[pos] = True
                self._n_dead += 1
            for tid in terms.tolist():
                self._df[tid] -= 1

    def compact(self) -> None:
        """Fold the delta into the main segment and drop tombstones.

        The delta's per-document arrays are released once they are copied into one forward
        block, before the inversion: a bulk import of 1,000,000 documents held them all
        beside the new segment's arrays. The delta is not inverted on its own (only its forward
        arrays are used). Should the fold fail, the delta is put back from the forward block."""
        n_terms = len(self._df)
        main = self._main
        if main is not None and len(main) and not self._delta_docs and not self._n_dead and main.n_terms == n_terms:
            return
        forward = _forward(self._delta_docs)
        self._delta_docs, self._delta = {}, None
        try:
            if main is None or len(main) == 0:
                self._set_main(_Segment.from_forward(*forward, n_terms))
                return
            live = ~self._dead
            counts = np.diff(main.fwd_indptr)
            keep = np.repeat(live, counts)
            d_ids, d_indptr, d_terms, d_tfs = forward
            ids = np.concatenate([main.doc_ids[live], d_ids])
            all_counts = np.concatenate([counts[live], np.diff(d_indptr)])
            terms = np.concatenate([main.fwd_terms[keep], d_terms])
            tfs = np.concatenate([main.fwd_tfs[keep], d_tfs])
            del keep
            self._set_main(_Segment.from_forward(*_in_id_order(ids, all_counts, terms, tfs), n_terms))
        except BaseException:
            if not self._delta_docs:
                self._delta_docs = _docs_of(*forward)
            raise

    def _set_main(self, main: _Segment, mapped: bool = False) -> None:
        self._main = main
        self._dead = np.zeros(len(main), dtype=bool)
        self._n_dead = 0
        self._delta_docs, self._delta_len, self._delta = {}, {}, None
        self.mapped = mapped

    # -- scoring ---------------------------------------------------------------------------------
    def idf(self, term: str) -> float:
        tid = self.vocab.get(term)
        n = len(self)
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
        n = len(self)
        for doc_id in doc_ids:
            found = self._entry(int(doc_id))
            if found is None:
                continue
            (terms, tfs), length = found
            length = max(length, 1)
            for tid, tf in zip(terms.tolist(), tfs.tolist(), strict=True):
                idf = math.log(1.0 + (n - self._df[tid] + 0.5) / (self._df[tid] + 0.5))
                weight[tid] = weight.get(tid, 0.0) + tf / length * idf
                seen[tid] = seen.get(tid, 0) + 1
        inverse = self._terms
        ranked = sorted((t for t in weight if seen[t] >= 2), key=lambda t: (-weight[t], inverse[t]))
        return [inverse[t] for t in ranked if inverse[t] not in skipped and len(inverse[t]) > 1][:limit]

    def _segments(self) -> list[tuple[_Segment, np.ndarray | None]]:
        """(segment, its tombstones or None) pairs, compacting first when the delta has grown."""
        main_size = len(self._main) if self._main is not None else 0
        if self._main is None or len(self._delta_docs) > self.compact_ratio * max(main_size, 1000):
            self.compact()
        if self._delta is None:
            self._delta = _Segment.from_docs(self._delta_docs, len(self._df))
        assert self._main is not None
        return [(self._main, self._dead if self._n_dead else None), (self._delta, None)]

    def _query(
        self, tokens: Sequence[str], extra: Mapping[str, float] | None
    ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(term ids, float32 query weights, avgdl) of a query, in query-term order; None if empty."""
        n = len(self)
        query: dict[str, float] = dict(Counter(t for t in tokens if t in self.vocab))
        for term, weight in (extra or {}).items():
            if term in self.vocab and term not in query and weight > 0:
                query[term] = weight
        if n == 0 or not query:
            return None
        term_ids = np.array([self.vocab[t] for t in query], dtype=np.int64)
        df = np.array([self._df[t] for t in term_ids], dtype=np.float64)
        weights = (np.log1p((n - df + 0.5) / (df + 0.5)) * np.array(list(query.values()))).astype(np.float32)
        return term_ids, weights, self._total_len / n

    def _filter(self, allowed: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(the allow-list, sorted, or None; its mask over the id space when it is large, or None)."""
        wanted = None if allowed is None else _sorted_unique(allowed)
        # A large allow-list is tested through a mask over the id space (as cheap as the unfiltered
        # query); a short one by searching its ids in the segment (costs its own length).
        mask = id_mask(wanted) if wanted is not None and self.mask_filters and wanted.shape[0] * 8 > len(self) else None
        return wanted, mask

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
        query = self._query(tokens, extra)
        if query is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        wanted, mask = self._filter(allowed)
        out_ids, out_scores = [], []
        for seg, dead in self._segments():
            if len(seg) == 0:
                continue
            rows, acc = self._exhaustive(seg, dead, query, wanted, mask)
            out_ids.append(seg.doc_ids[rows])
            out_scores.append(acc)
        if not out_ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(out_ids), np.concatenate(out_scores).astype(np.float32)

    def _exhaustive(
        self,
        seg: _Segment,
        dead: np.ndarray | None,
        query: tuple[np.ndarray, np.ndarray, float],
        wanted: np.ndarray | None,
        mask: np.ndarray | None,
        k: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of one segment's live, allowed rows with a positive score: every posting.

        With ``k`` and no allow-list, only the rows scoring at least the k-th best (ties included),
        found by ``np.partition`` over the accumulator instead of gathering every matching row.
        """
        term_ids, weights, avgdl = query
        acc = seg.accumulate(term_ids, weights, self.k1, self.b, avgdl)
        if k is not None and wanted is None and acc.shape[0] > 4 * k:
            if dead is not None:
                np.copyto(acc, np.float32(0), where=dead)
            kth = np.partition(acc, acc.shape[0] - k)[acc.shape[0] - k]
            rows = np.flatnonzero(acc >= kth) if kth > 0 else np.flatnonzero(acc > 0)
            return rows, acc[rows]
        if wanted is None or mask is not None:
            hit = acc > 0
            if dead is not None:
                hit &= ~dead
            rows = np.flatnonzero(hit)
            if mask is not None:
                rows = _masked(seg, rows, mask)
        else:
            # The allowed ids' rows (an allow-list costs its own length, not the corpus's).
            pos = np.searchsorted(seg.doc_ids, wanted)
            inside = pos < seg.doc_ids.shape[0]
            pos = pos[inside]
            pos = pos[seg.doc_ids[pos] == wanted[inside]]
            rows = pos[acc[pos] > 0]
            if dead is not None:
                rows = rows[~dead[rows]]
        return rows, acc[rows]

    def top_k(
        self,
        tokens: Sequence[str],
        k: int,
        allowed: np.ndarray | None = None,
        extra: Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best (ids, scores), best first, ties on the smaller id: the head of ``scores``.

        With ``prune`` a large segment is searched by MaxScore (``_Segment.top_depth``) unless a
        short allow-list is searched by its ids; ids and scores are the same either way
        (tests/indexing/test_lexical_prune.py).
        """
        query = self._query(tokens, extra)
        if query is None or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        wanted, mask = self._filter(allowed)
        out_ids, out_scores = [], []
        for seg, dead in self._segments():
            if len(seg) == 0:
                continue
            if self.prune and len(seg) >= PRUNE_MIN_DOCS and k < len(seg) and (wanted is None or mask is not None):
                term_ids, weights, avgdl = query

                def eligible(rows: np.ndarray, seg: _Segment = seg, dead: np.ndarray | None = dead) -> np.ndarray:
                    if dead is not None:
                        rows = rows[~dead[rows]]
                    return rows if mask is None else _masked(seg, rows, mask)

                rows, found = seg.top_depth(term_ids, weights, k, self.k1, self.b, avgdl, eligible)
            else:
                rows, found = self._exhaustive(seg, dead, query, wanted, mask, k)
            ids, found = _best(seg.doc_ids[rows], found, k)
            out_ids.append(ids)
            out_scores.append(found)
        if not out_ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return _best(np.concatenate(out_ids), np.concatenate(out_scores).astype(np.float32), k)

    # -- persistence -----------------------------------------------------------------------------
    def save(self, path: Path, meta: Mapping[str, Any] | None = None) -> None:
        """Compact, then write the index to ``path`` atomically (temp file, fsync, rename) and map
        the main segment from the written file (the in-memory copy is released).

        ``meta`` (JSON) is stored beside the arrays and returned by ``load``: the caller's stamp.
        """
        self.compact()
        assert self._main is not None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = self._main.arrays()
        vocab = json.dumps(self._terms, ensure_ascii=False).encode("utf-8")
        layout: dict[str, list[Any]] = {}
        offset = 0
        for name, arr in arrays.items():
            layout[name] = [offset, arr.dtype.str, int(arr.shape[0])]
            offset += _padded(arr.nbytes)
        header = {
            "format": FILE_FORMAT,
            "k1": self.k1,
            "b": self.b,
            "docs": len(self._main),
            "terms": len(self._terms),
            "total_len": self._total_len,
            "vocab_bytes": len(vocab),
            "vocab_crc32": zlib.crc32(vocab),
            "ids_crc32": zlib.crc32(np.ascontiguousarray(arrays["doc_ids"]).data),
            "arrays": layout,
            "meta": dict(meta or {}),
        }
        head = json.dumps(header).encode("utf-8")
        start = _padded(len(_MAGIC) + 8 + len(head)) + _padded(len(vocab))
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + len(head).to_bytes(8, "little") + head)
                fh.write(b"\0" * (_padded(len(_MAGIC) + 8 + len(head)) - len(_MAGIC) - 8 - len(head)))
                fh.write(vocab + b"\0" * (_padded(len(vocab)) - len(vocab)))
                assert fh.tell() == start
                for arr in arrays.values():
                    np.ascontiguousarray(arr).tofile(fh)
                    fh.write(b"\0" * (_padded(arr.nbytes) - arr.nbytes))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._set_main(_map_segment(path, start, layout), mapped=True)

    @classmethod
    def load(
        cls, path: Path, k1: float = 1.2, b: float = 0.75, compact_ratio: float = 0.1
    ) -> tuple[BM25Index, dict[str, Any]]:
        """A saved index with its main segment memory-mapped, and the ``meta`` it was saved with.

        Raises ``LexicalFileError`` for a damaged file, another format or other k1/b.
        """
        path = Path(path)
        try:
            with open(path, "rb") as fh:
                magic = fh.read(len(_MAGIC))
                if magic != _MAGIC:
                    raise LexicalFileError(f"{path} 不是词频索引文件")
                size = int.from_bytes(fh.read(8), "little")
                header = json.loads(fh.read(size).decode("utf-8"))
                fh.seek(_padded(len(_MAGIC) + 8 + size))
                vocab_blob = fh.read(int(header["vocab_bytes"]))
        except LexicalFileError:
            raise
        except (OSError, ValueError, KeyError) as exc:
            raise LexicalFileError(f"词频索引文件 {path} 无法读取：{exc}") from exc
        if header.get("format") != FILE_FORMAT:
            raise LexicalFileError(f"词频索引文件 {path} 的格式版本为 {header.get('format')}，当前为 {FILE_FORMAT}")
        if header.get("k1") != k1 or header.get("b") != b:
            raise LexicalFileError(f"词频索引文件 {path} 的参数（k1、b）与当前不同")
        if zlib.crc32(vocab_blob) != header.get("vocab_crc32"):
            raise LexicalFileError(f"词频索引文件 {path} 校验失败")
        start = _padded(len(_MAGIC) + 8 + size) + _padded(len(vocab_blob))
        try:
            main = _map_segment(path, start, header["arrays"])
        except (OSError, ValueError, KeyError) as exc:
            raise LexicalFileError(f"词频索引文件 {path} 无法读取：{exc}") from exc
        if zlib.crc32(np.ascontiguousarray(main.doc_ids).data) != header.get("ids_crc32"):
            raise LexicalFileError(f"词频索引文件 {path} 校验失败")
        index = cls(k1=k1, b=b, compact_ratio=compact_ratio)
        index._terms = json.loads(vocab_blob.decode("utf-8"))
        if len(index._terms) != int(header["terms"]) or main.n_terms != len(index._terms):
            raise LexicalFileError(f"词频索引文件 {path} 校验失败")
        index.vocab = {term: i for i, term in enumerate(index._terms)}
        index._df = np.diff(main.inv_indptr).tolist()
        index._total_len = int(header["total_len"])
        index._set_main(main, mapped=True)
        return index, dict(header.get("meta") or {})


def _forward(
    docs: Mapping[int, tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(doc ids ascending, indptr, terms, tfs): per-document (terms, tfs) as one doc-major block."""
    ids = sorted(docs)
    indptr = np.zeros(len(ids) + 1, dtype=np.int64)
    if not ids:
        return np.zeros(0, dtype=np.int64), indptr, _empty(np.int32), _empty(np.float32)
    np.cumsum([docs[d][0].shape[0] for d in ids], out=indptr[1:])
    terms = np.concatenate([docs[d][0] for d in ids])
    tfs = np.concatenate([docs[d][1] for d in ids])
    return np.asarray(ids, dtype=np.int64), indptr, terms, tfs


def _docs_of(
    ids: np.ndarray, indptr: np.ndarray, terms: np.ndarray, tfs: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``_forward`` undone (views into the block)."""
    b = indptr.tolist()
    return {int(d): (terms[b[i] : b[i + 1]], tfs[b[i] : b[i + 1]]) for i, d in enumerate(ids.tolist())}


def _invert(
    fwd_indptr: np.ndarray, fwd_terms: np.ndarray, fwd_tfs: np.ndarray, n_terms: int, chunk: int = INVERT_CHUNK
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lengths, inv_indptr, inv_docs, inv_tfs) of a doc-major segment: each term's postings with
    its documents ascending, the order a stable sort of ``fwd_terms`` gives.

    A counting sort over about ``chunk`` postings (whole documents) at a time: each chunk is
    sorted stably by term and written at each term's next free place, so documents stay ascending
    per term and only a chunk's temporaries sit beside the result (a stable ``argsort`` of all
    postings held 12 more bytes per posting: a 1,000,000-case corpus has about 60 million)."""
    n_docs, total = int(fwd_indptr.shape[0]) - 1, int(fwd_terms.shape[0])
    inv_indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(fwd_terms, minlength=n_terms), out=inv_indptr[1:])
    lengths = np.zeros(n_docs, dtype=np.float32)
    inv_docs, inv_tfs = np.empty(total, dtype=np.int32), np.empty(total, dtype=np.float32)
    free = inv_indptr[:-1].copy()  # each term's next free place
    doc = 0
    while doc < n_docs:
        stop = int(np.searchsorted(fwd_indptr, fwd_indptr[doc] + chunk, side="right")) - 1
        stop = min(n_docs, max(stop, doc + 1))
        lo, hi = int(fwd_indptr[doc]), int(fwd_indptr[stop])
        rows = np.repeat(np.arange(doc, stop, dtype=np.int32), np.diff(fwd_indptr[doc : stop + 1]))
        tfs = fwd_tfs[lo:hi]
        # Token counts: float64 sums of whole numbers, as one bincount over every posting gave.
        lengths[doc:stop] = np.bincount(rows - doc, weights=tfs, minlength=stop - doc).astype(np.float32)
        order = np.argsort(fwd_terms[lo:hi], kind="stable")
        terms = fwd_terms[lo:hi][order]
        if terms.shape[0]:
            firsts = np.flatnonzero(np.r_[True, terms[1:] != terms[:-1]])
            sizes = np.diff(np.r_[firsts, terms.shape[0]])
            rank = np.arange(terms.shape[0], dtype=np.int64) - np.repeat(firsts, sizes)
            places = free[terms] + rank
            inv_docs[places], inv_tfs[places] = rows[order], tfs[order]
            free[terms[firsts]] += sizes
        doc = stop
    return lengths, inv_indptr, inv_docs, inv_tfs


def _in_id_order(
    ids: np.ndarray, counts: np.ndarray, terms: np.ndarray, tfs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ids, indptr, terms, tfs) with the documents' blocks gathered in ascending id order."""
    indptr = np.zeros(ids.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    if ids.shape[0] < 2 or bool(np.all(ids[1:] > ids[:-1])):
        return ids, indptr, terms, tfs
    order = np.argsort(ids, kind="stable")
    if bool(np.any(ids[order][1:] == ids[order][:-1])):
        raise ValueError("duplicate document ids")
    new_counts = counts[order]
    new_indptr = np.zeros(ids.shape[0] + 1, dtype=np.int64)
    np.cumsum(new_counts, out=new_indptr[1:])
    gather = (
        np.arange(int(new_indptr[-1]), dtype=np.int64)
        - np.repeat(new_indptr[:-1], new_counts)
        + np.repeat(indptr[:-1][order], new_counts)
    )
    return ids[order], new_indptr, terms[gather], tfs[gather]


def _masked(seg: _Segment, rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The ``rows`` of ``seg`` whose ids the mask over the id space allows."""
    found = seg.doc_ids[rows]
    inside = (found >= 0) & (found < mask.shape[0])
    rows, found = rows[inside], found[inside]
    return rows[mask[found]]


def _best(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best (ids, scores), best first, ties on the smaller id (also at the k-th place)."""
    if ids.shape[0] > k:
        if k <= 0:
            return ids[:0], scores[:0]
        kth = np.partition(scores, ids.shape[0] - k)[ids.shape[0] - k]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)
        if tied.shape[0] > k - above.shape[0]:
            tied = tied[np.argsort(ids[tied], kind="stable")[: k - above.shape[0]]]
        part = np.concatenate([above, tied])
        ids, scores = ids[part], scores[part]
    order = np.lexsort((ids, -scores))
    return ids[order], scores[order]


def _sorted_unique(ids: Any) -> np.ndarray:
    """``np.unique`` in O(n) for an already ascending list (the search allow-lists are)."""
    arr = np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))
    if arr.shape[0] < 2 or bool(np.all(arr[1:] > arr[:-1])):
        return arr
    return np.unique(arr)


def _padded(nbytes: int) -> int:
    return -(-nbytes // _ALIGN) * _ALIGN


def _map_segment(path: Path, start: int, layout: Mapping[str, Sequence[Any]]) -> _Segment:
    arrays = {}
    for name in _ARRAYS:
        offset, dtype, count = layout[name]
        if int(count) == 0:
            arrays[name] = _empty(np.dtype(dtype))
        else:
            where = start + int(offset)
            mapped = np.memmap(path, dtype=np.dtype(dtype), mode="r", offset=where, shape=(int(count),))
            # A plain ndarray view of the mapping: np.memmap's own __getitem__ cost 25 µs per slice,
            # several milliseconds per query (the pages stay mapped, the view keeps them alive).
            arrays[name] = np.asarray(mapped)
    return _Segment(arrays)
