"""Exact brute-force inner-product search in NumPy: the reference every other backend is tested against."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import numpy as np

from indexing.vectors.base import Batch, as_ids, as_matrix


class ExactIndex:
    backend = "exact"

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids = np.zeros(0, dtype=np.int64)
        self._vecs = np.zeros((0, dim), dtype=np.float32)
        self._pos: dict[int, int] = {}

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def ids(self) -> np.ndarray:
        return self._ids.copy()

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = as_ids(ids), as_matrix(vectors, self.dim)
        self.remove(ids)
        start = len(self)
        self._ids = np.concatenate([self._ids, ids])
        self._vecs = np.vstack([self._vecs, vectors])
        for offset, case_id in enumerate(ids.tolist()):
            self._pos[case_id] = start + offset

    def bulk_load(self, n: int, sample: Callable[[np.ndarray], np.ndarray], pages: Iterable[Batch]) -> None:
        """``add`` of every page at once (``indexing.vectors.base.bulk_load``), written into one
        matrix of ``n`` rows instead of a copy of the whole index per page; rows beyond ``n``
        (cases written meanwhile) are added as usual."""
        if len(self):
            raise ValueError("bulk_load needs an empty index")
        ids, vecs, filled = np.zeros(n, dtype=np.int64), np.zeros((n, self.dim), dtype=np.float32), 0
        extra: list[Batch] = []
        for page_ids, page_vecs in pages:
            page_ids, page_vecs = as_ids(page_ids), as_matrix(page_vecs, self.dim)
            take = min(page_ids.shape[0], n - filled)
            ids[filled : filled + take], vecs[filled : filled + take] = page_ids[:take], page_vecs[:take]
            filled += take
            if take < page_ids.shape[0]:
                extra.append((page_ids[take:], page_vecs[take:]))
        self._ids, self._vecs = ids[:filled], vecs[:filled]
        self._pos = {case_id: row for row, case_id in enumerate(self._ids.tolist())}
        for page_ids, page_vecs in extra:
            self.add(page_ids, page_vecs)

    def remove(self, ids: np.ndarray) -> None:
        drop = [self._pos[i] for i in as_ids(ids).tolist() if i in self._pos]
        if not drop:
            return
        keep = np.ones(len(self), dtype=bool)
        keep[drop] = False
        self._ids, self._vecs = self._ids[keep], self._vecs[keep]
        self._pos = {case_id: row for row, case_id in enumerate(self._ids.tolist())}

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = as_matrix(queries, self.dim)
        ids, vecs = self._ids, self._vecs
        if allowed is not None:
            mask = np.isin(ids, as_ids(allowed))
            ids, vecs = ids[mask], vecs[mask]
        scores = np.full((queries.shape[0], k), -np.inf, dtype=np.float32)
        out = np.full((queries.shape[0], k), -1, dtype=np.int64)
        n = ids.shape[0]
        if n == 0 or k <= 0:
            return scores, out
        sims = queries @ vecs.T
        take = min(k, n)
        part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        for row in range(queries.shape[0]):
            order = part[row][np.lexsort((ids[part[row]], -sims[row, part[row]]))]
            scores[row, :take] = sims[row, order]
            out[row, :take] = ids[order]
        return scores, out

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, ids=self._ids, vecs=self._vecs)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes, dim: int) -> ExactIndex:
        index = cls(dim)
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            index.add(data["ids"], data["vecs"])
        return index
