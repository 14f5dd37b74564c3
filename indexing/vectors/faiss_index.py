"""FAISS backend (default): exact flat search while small, IVF-SQ8 above a size (``factory="auto"``).

Three shapes behind one class, picked from the FAISS object itself (so a loaded file needs no hint):

- ``flat``: ``IndexIDMap2(IndexFlatIP)``, exact.
- ``ivf``: a bare ``IndexIVF*`` (e.g. ``"IVF2048,SQ8"``) holding the case ids natively, with a
  hashtable direct map so removal and reconstruction by id work.
- ``graph``: ``IndexIDMap2`` over anything else (e.g. ``"HNSW32,SQ8"``); graphs cannot delete, so a
  removal rebuilds from the remaining vectors (fine for read-mostly use, slow for churn).

Filtered queries stay complete: on IVF ``nprobe`` is widened by the inverse of the allow-list's
share of the corpus (a small list thereby scans every list, scoring only allowed ids) and, if still
short of k hits, the search retries until every list has been scanned; on a graph a short answer
falls back to exact ranking over the allowed ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import faiss
import numpy as np

import indexing.vectors.choose as choose
from indexing.vectors.base import Batch, as_ids, as_matrix, id_mask, sorted_unique

# Queries answered on the calling thread alone: an OpenMP team over one query (or a few) costs far
# more than the scan, and on a busy machine its threads fight the encoder's: 600 cases, one query
# after each USE-m3 encoding, took 25 ms with two FAISS threads and 0.2 ms with one, and the
# encodings themselves ran several times slower (docs/benchmarks.md, "Search latency on the bundled
# samples"). Larger batches (reindex, batch_knn) keep every thread.
SINGLE_THREAD_QUERIES = 8


def _empty(m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((m, k), -np.inf, np.float32), np.full((m, k), -1, np.int64)


def _one_thread(call: Callable[[], Any]) -> Any:
    """``call()`` with this thread's OpenMP team size set to one, restored afterwards (the setting
    is per calling thread, so concurrent requests and bulk work elsewhere keep theirs)."""
    before = faiss.omp_get_max_threads()
    if before == 1:
        return call()
    faiss.omp_set_num_threads(1)
    try:
        return call()
    finally:
        faiss.omp_set_num_threads(before)


class FaissIndex:
    backend = "faiss"
    # Allow-lists as a bitmap selector where small enough (``_selector``); False = always the hash
    # set (the benchmark's "before").
    bitmap_filters = True

    def __init__(
        self,
        dim: int,
        factory: str = "auto",
        index: faiss.Index | None = None,
        *,
        threshold: int = choose.AUTO_THRESHOLD,
    ) -> None:
        self.dim, self.factory, self.threshold = dim, factory, threshold
        # Typed loosely: the concrete FAISS class (IDMap2 or IVF) varies and the stubs are partial.
        self._index: Any = index if index is not None else self._make("Flat" if factory == "auto" else factory)
        self._ids: np.ndarray | None = None  # sorted ids, cached between writes (filtered queries)

    # -- construction ------------------------------------------------------------------------------
    def _make(self, factory: str) -> Any:
        inner: Any = faiss.index_factory(self.dim, factory, faiss.METRIC_INNER_PRODUCT)
        if isinstance(inner, faiss.IndexIVF):
            inner.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
            inner.cp.niter = choose.TRAIN_ITERATIONS
            inner.nprobe = choose.nprobe_for(inner.nlist)
            return inner
        return faiss.IndexIDMap2(inner)

    @property
    def kind(self) -> str:
        if isinstance(self._index, faiss.IndexIVF):
            return "ivf"
        inner = faiss.downcast_index(self._index.index) if hasattr(self._index, "index") else None
        return "flat" if isinstance(inner, faiss.IndexFlat) else "graph"

    @property
    def nprobe(self) -> int:
        return int(self._index.nprobe) if self.kind == "ivf" else 0

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if self.kind == "ivf":
            self._index.nprobe = int(value)

    def _train(self, vectors: np.ndarray) -> None:
        positions = self._sample_positions(vectors.shape[0])
        if positions.shape[0] < vectors.shape[0]:
            vectors = vectors[positions]
        self._index.train(np.ascontiguousarray(vectors))

    def _sample_positions(self, n: int) -> np.ndarray:
        """The rows (ascending) of ``n`` vectors that train this index.

        IVF trains its coarse quantiser (and codes) on ~50 points per list; anything else that
        needs training (scalar or product codes under a graph) on a bounded sample."""
        nlist = int(self._index.nlist) if self.kind == "ivf" else 1
        if n < nlist:
            raise ValueError(f"the FAISS factory {self.factory!r} needs at least {nlist} vectors to train")
        take = min(n, max(nlist * choose.TRAIN_PER_LIST, choose.TRAIN_SAMPLE))
        if take < n:
            return np.sort(np.random.default_rng(0).choice(n, take, replace=False))
        return np.arange(n)

    def bulk_load(self, n: int, sample: Callable[[np.ndarray], np.ndarray], pages: Iterable[Batch]) -> None:
        """Fill this empty index with ``pages`` of (ids, vectors): about ``n`` vectors in all, ids
        ascending and unique across pages (a rebuild reading the database a page at a time).

        The same index as one ``add`` of every vector: ``"auto"`` picks the factory for ``n``, an
        index that needs training is trained on the same rows (``sample(rows)`` returns the vectors
        at those positions of the ``n``), and the pages are appended in order. Only a page of
        vectors is held beside the index, not all of them, except for a graph (``"HNSW32,SQ8"``),
        which is built by one ``add`` of every page as before."""
        if len(self):
            raise ValueError("bulk_load needs an empty index")
        if n and self.factory == "auto":
            factory = choose.resolve_factory("auto", n, self.threshold)
            if factory != "Flat":
                self._index = self._make(factory)
        if self.kind == "graph":
            # A graph built in parts is another graph (FAISS orders each add by level): one add.
            batches = list(pages)
            if batches:
                self.add(np.concatenate([b[0] for b in batches]), np.vstack([b[1] for b in batches]))
            return
        if n and not self._index.is_trained:
            self._index.train(np.ascontiguousarray(as_matrix(sample(self._sample_positions(n)), self.dim)))
        for ids, vectors in pages:
            ids, vectors = as_ids(ids), as_matrix(vectors, self.dim)
            if ids.shape[0] != vectors.shape[0]:
                raise ValueError(f"{ids.shape[0]} ids for {vectors.shape[0]} vectors")
            if ids.shape[0]:
                self._insert(ids, vectors)

    def _all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        ids = self.ids()
        if ids.shape[0] == 0:
            return ids, np.zeros((0, self.dim), np.float32)
        return ids, self._index.reconstruct_batch(ids)

    def _rebuild(self, factory: str, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._index = self._make(factory)
        self._ids = None
        if ids.shape[0]:
            self._insert(ids, vectors)

    def _insert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not self._index.is_trained:
            self._train(vectors)
        self._ids = None
        self._index.add_with_ids(vectors, ids)

    # -- contract ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._index.ntotal)

    def sorted_ids(self) -> np.ndarray:
        """The indexed ids, ascending; cached until the next write (read-only: do not modify)."""
        cached = self._ids
        if cached is None:
            cached = np.sort(self.ids())
            cached.setflags(write=False)
            self._ids = cached
        return cached

    def ids(self) -> np.ndarray:
        if self.kind != "ivf":
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)
        lists = self._index.invlists
        out = [
            faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
            for i in range(lists.nlist)
            if lists.list_size(i)
        ]
        return np.sort(np.concatenate(out)).astype(np.int64) if out else np.zeros(0, np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = as_ids(ids), as_matrix(vectors, self.dim)
        if ids.shape[0] != vectors.shape[0]:
            raise ValueError(f"{ids.shape[0]} ids for {vectors.shape[0]} vectors")
        if ids.shape[0] == 0:
            return
        # Within one call the last row for an id wins.
        _, last = np.unique(ids[::-1], return_index=True)
        keep = np.sort(ids.shape[0] - 1 - last)
        ids, vectors = ids[keep], vectors[keep]
        self.remove(ids)
        if self.factory == "auto" and self.kind == "flat" and len(self) + ids.shape[0] >= self.threshold:
            # Crossing the size threshold: retrain as the approximate index chosen for this size.
            old_ids, old_vecs = self._all_vectors()
            all_ids, all_vecs = np.concatenate([old_ids, ids]), np.vstack([old_vecs, vectors])
            self._rebuild(choose.resolve_factory("auto", all_ids.shape[0], self.threshold), all_ids, all_vecs)
            return
        self._insert(ids, vectors)

    def remove(self, ids: np.ndarray) -> None:
        ids = as_ids(ids)
        if not ids.shape[0] or not len(self):
            return
        self._ids = None
        if self.kind == "flat":
            self._index.remove_ids(faiss.IDSelectorBatch(ids))
            return
        if self.kind == "ivf":
            # The IVF hashtable direct map only accepts an explicit id array.
            self._index.remove_ids(faiss.IDSelectorArray(ids.shape[0], faiss.swig_ptr(ids)))
            return
        current, vectors = self._all_vectors()
        keep = ~np.isin(current, ids)
        if not keep.all():
            self._rebuild(self.factory, current[keep], vectors[keep])

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = as_matrix(queries, self.dim)
        m, n = queries.shape[0], len(self)
        if k <= 0 or n == 0:
            return _empty(m, max(k, 0))
        if allowed is None:
            return self._search(queries, k, None, self.nprobe)
        allowed = sorted_unique(allowed)
        if allowed.shape[0] == 0:
            return _empty(m, k)
        if self.kind == "flat":
            return self._search(queries, k, allowed, 0)
        want = min(k, allowed.shape[0])
        if self.kind == "graph":
            # Graph traversal under a selective filter can stop short of k: rank the allowed exactly.
            if allowed.shape[0] > choose.EXACT_FILTER_LIMIT:
                scores, ids = self._search(queries, k, allowed, 0)
                if (ids >= 0).sum(axis=1).min() >= want:
                    return scores, ids
            return self._exact_over(queries, k, allowed)
        nlist = int(self._index.nlist)
        # nprobe is widened by the inverse of the allow-list's share, so the lists probed hold about
        # as many allowed ids as an unfiltered query scores (a small list scans every list, which
        # costs little: only allowed ids are decoded). Scanning every list for any list of up to
        # 20,000 ids cost 430x an unfiltered query for a 15 % list (docs/benchmarks.md); the retry
        # below still guarantees k hits.
        nprobe = min(nlist, max(self.nprobe, int(self.nprobe * n / allowed.shape[0])))
        while True:
            scores, ids = self._search(queries, k, allowed, nprobe)
            if nprobe >= nlist or (ids >= 0).sum(axis=1).min() >= want:
                return scores, ids
            nprobe = min(nlist, nprobe * 4)

    def _selector(self, allowed: np.ndarray) -> Any:
        """A bitmap over the id space when it is small (``id_mask``), else FAISS's hash set; the
        same members either way."""
        mask = id_mask(allowed) if self.bitmap_filters else None
        if mask is None:
            return faiss.IDSelectorBatch(allowed)
        # The Python wrapper takes the byte array and keeps it referenced (the stubs know only the C++ form).
        return faiss.IDSelectorBitmap(np.packbits(mask, bitorder="little"))  # type: ignore[call-arg, arg-type]

    def _search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None, nprobe: int
    ) -> tuple[np.ndarray, np.ndarray]:
        sel = self._selector(allowed) if allowed is not None else None
        params: Any = None
        if self.kind == "ivf":
            params = faiss.SearchParametersIVF(sel=sel, nprobe=max(1, nprobe))  # type: ignore[call-arg]
        elif sel is not None:
            params = faiss.SearchParameters(sel=sel)  # type: ignore[call-arg]
        if queries.shape[0] <= SINGLE_THREAD_QUERIES:
            scores, ids = _one_thread(lambda: self._index.search(queries, k, params=params))
        else:
            scores, ids = self._index.search(queries, k, params=params)
        scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
        return scores, ids.astype(np.int64)

    def _exact_over(self, queries: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact ranking over the allowed ids' stored vectors: complete for any filter."""
        known = self.sorted_ids()
        pos = np.searchsorted(known, allowed)
        inside = pos < known.shape[0]
        present = allowed[inside][known[pos[inside]] == allowed[inside]]
        scores, out = _empty(queries.shape[0], k)
        if present.shape[0] == 0:
            return scores, out
        sims = queries @ self._index.reconstruct_batch(present).T
        take = min(k, present.shape[0])
        for row in range(queries.shape[0]):
            cand = np.arange(present.shape[0])
            if present.shape[0] > take:  # the top ``take`` and everything tied with the last of them
                kth = np.partition(sims[row], present.shape[0] - take)[present.shape[0] - take]
                cand = np.flatnonzero(sims[row] >= kth)
            order = cand[np.lexsort((present[cand], -sims[row, cand]))][:take]
            scores[row, :take], out[row, :take] = sims[row, order], present[order]
        return scores, out

    def to_bytes(self) -> bytes:
        return bytes(self.to_buffer())

    def to_buffer(self) -> np.ndarray:
        """FAISS's serialisation (uint8), without the copy ``to_bytes`` makes."""
        return np.asarray(faiss.serialize_index(self._index), dtype=np.uint8)

    def write_to(self, sink: Callable[[bytes], object]) -> None:
        """FAISS's serialisation through ``sink`` in pieces of at most 1 MB: never all in memory."""
        writer = faiss.PyCallbackIOWriter(sink)  # type: ignore[attr-defined]
        try:
            faiss.write_index(self._index, writer)
        finally:
            del writer

    @classmethod
    def from_bytes(cls, payload: bytes, dim: int, factory: str = "auto") -> FaissIndex:
        return cls._checked(faiss.deserialize_index(np.frombuffer(payload, dtype=np.uint8)), dim, factory)

    @classmethod
    def from_reader(cls, read: Callable[[int], bytes], dim: int, factory: str = "auto") -> FaissIndex:
        """Deserialise from a stream (``read(n)`` returns at most n bytes): no copy of the whole payload."""
        reader = faiss.PyCallbackIOReader(read)  # type: ignore[attr-defined]
        return cls._checked(faiss.read_index(reader), dim, factory)

    @classmethod
    def _checked(cls, index: Any, dim: int, factory: str) -> FaissIndex:
        if index.d != dim:
            raise ValueError(f"FAISS index has dimension {index.d}, expected {dim}")
        return cls(dim, factory=factory, index=index)
