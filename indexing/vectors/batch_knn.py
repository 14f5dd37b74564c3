"""Nearest neighbours of every vector of a set among the set itself (an import's own cases).

Comparing every imported case with every other case of the file is quadratic: 20,000 rows took
4.9 s, 40,000 rows 25 s for that step alone (issue 20). Up to ``EXACT_LIMIT`` vectors the exact
products are cheap and kept; above, the vectors go into a FAISS inverted-file index over the set
(about 2·sqrt(n) lists, 1/32 of them probed, as the search index at scale; 8-bit scalar codes above
``SQ8_LIMIT`` rows so a million-row file stays within memory bounds) and each vector asks it for
its neighbours: about n·sqrt(n) distance computations instead of n². An HNSW graph (n log n) was
measured too and lost on the shared 2-core host at these sizes (docs/benchmarks.md, "Repeat
detection at scale"). The candidates only feed the 联名 check, which compares the stored vectors
and tokens exactly, so an approximate list changes a link only when the index misses a
near-identical text (tests/kb/test_repeat_scale.py: the links on the samples are identical).
"""

from __future__ import annotations

import numpy as np

from indexing.vectors import choose
from indexing.vectors.spill import SpilledRows

EXACT_LIMIT = 8192
SQ8_LIMIT = 200_000
_BLOCK = 512
_STEP = 8192


def exact_neighbours(vectors: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest inner products per row (itself included), blockwise."""
    n = vectors.shape[0]
    kk = min(k, n)
    out = np.empty((n, kk), dtype=np.int64)
    for start in range(0, n, _BLOCK):
        sims = vectors[start : start + _BLOCK] @ vectors.T
        out[start : start + sims.shape[0]] = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
    return out


def ivf_neighbours(vectors: np.ndarray | SpilledRows, k: int) -> np.ndarray:
    """The same through an inverted-file index over the set (``choose.nlist_for`` lists, the
    search index's ``nprobe_for`` probed). ``vectors`` may be spilled to a file (an import's): it
    is read in blocks and only the index (8-bit codes above ``SQ8_LIMIT`` rows) is held in memory."""
    import faiss

    n, dim = vectors.shape
    nlist = choose.nlist_for(n)
    codes = f"IVF{nlist},SQ8" if n > SQ8_LIMIT else f"IVF{nlist},Flat"
    index = faiss.index_factory(dim, codes, faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.extract_index_ivf(index)
    ivf.cp.niter = choose.TRAIN_ITERATIONS
    sample = min(n, nlist * choose.TRAIN_PER_LIST)
    rows = np.sort(np.random.default_rng(0).choice(n, size=sample, replace=False))
    index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
    for start in range(0, n, _STEP):
        index.add(np.ascontiguousarray(vectors[start : start + _STEP], dtype=np.float32))
    ivf.nprobe = choose.nprobe_for(nlist)
    kk = min(k, n)
    out = np.empty((n, kk), dtype=np.int64)
    for start in range(0, n, _STEP):
        _, found = index.search(np.ascontiguousarray(vectors[start : start + _STEP], dtype=np.float32), kk)
        out[start : start + found.shape[0]] = found
    return out


def batch_neighbours(vectors: np.ndarray | SpilledRows, k: int, exact_limit: int | None = None) -> np.ndarray:
    """Positions (within ``vectors``) of each row's ``k`` nearest rows, itself usually among them;
    -1 pads. Exact up to ``exact_limit`` rows, an HNSW graph above."""
    n = vectors.shape[0]
    if n == 0 or k <= 0:
        return np.zeros((n, 0), dtype=np.int64)
    if n <= (EXACT_LIMIT if exact_limit is None else exact_limit):
        return exact_neighbours(np.asarray(vectors[:n]), k)
    return ivf_neighbours(vectors, k)
