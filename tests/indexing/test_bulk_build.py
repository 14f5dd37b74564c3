"""Bulk builds that hold a page at a time give the same indexes as building from everything at once."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from indexing.lexical import _invert
from indexing.vectors import bulk_load, create_index
from indexing.vectors.faiss_index import FaissIndex


def unit(n: int, dim: int, seed: int) -> np.ndarray:
    vecs = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def paged(ids: np.ndarray, vecs: np.ndarray, page: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, ids.shape[0], page):
        yield ids[start : start + page], vecs[start : start + page]


def bulk_and_whole(
    make: object, ids: np.ndarray, vecs: np.ndarray, page: int
) -> tuple[object, object, list[np.ndarray]]:
    whole = make()  # type: ignore[operator]
    whole.add(ids, vecs)
    bulk = make()  # type: ignore[operator]
    asked: list[np.ndarray] = []

    def sample(rows: np.ndarray) -> np.ndarray:
        asked.append(rows)
        return vecs[rows]

    bulk_load(bulk, ids.shape[0], sample, paged(ids, vecs, page))
    return whole, bulk, asked


@pytest.mark.parametrize(
    ("factory", "n", "kind"),
    [
        ("auto", 30_000, "ivf"),  # past the threshold: IVF trained on a 20,000-row sample of 30,000
        ("auto", 3_000, "flat"),  # below it: exact
        ("IVF16,SQ8", 3_000, "ivf"),  # an explicit factory trains on all rows, not the first page
        ("HNSW8,SQ8", 2_000, "graph"),  # a graph is built by one add of every page
    ],
)
def test_faiss_bulk_load_builds_the_index_one_add_builds(factory: str, n: int, kind: str) -> None:
    dim = 16
    ids = np.arange(5, 5 + 3 * n, 3, dtype=np.int64)
    vecs = unit(n, dim, seed=n)
    whole, bulk, asked = bulk_and_whole(lambda: FaissIndex(dim, factory=factory, threshold=10_000), ids, vecs, 997)
    assert isinstance(whole, FaissIndex) and isinstance(bulk, FaissIndex)
    assert bulk.kind == whole.kind == kind
    assert len(bulk) == n and np.array_equal(bulk.ids(), whole.ids())
    if kind == "ivf":
        assert len(asked) == 1  # trained once, on the rows one add would have sampled
    if factory == "auto" and kind == "ivf":
        assert asked[0].shape[0] == 20_000 and bool(np.all(np.diff(asked[0]) > 0))
    queries = unit(64, dim, seed=1)
    for allowed in (None, ids[::7]):
        got, want = bulk.search(queries, 10, allowed), whole.search(queries, 10, allowed)
        assert np.array_equal(got[1], want[1])
        assert np.array_equal(got[0], want[0])


def test_exact_bulk_load_equals_one_add_and_takes_rows_beyond_the_count() -> None:
    dim, n = 8, 500
    ids = np.arange(1, n + 1, dtype=np.int64)
    vecs = unit(n, dim, seed=3)
    # The count read before the pages is 450: 50 cases written meanwhile still get in.
    whole = create_index("exact", dim)
    whole.add(ids, vecs)
    bulk = create_index("exact", dim)
    bulk_load(bulk, 450, lambda rows: vecs[rows], paged(ids, vecs, 64))
    assert np.array_equal(bulk.ids(), whole.ids())
    queries = unit(20, dim, seed=4)
    for got, want in zip(bulk.search(queries, 7, ids[::3]), whole.search(queries, 7, ids[::3]), strict=True):
        assert np.array_equal(got, want)
    bulk.remove(ids[:10])
    assert len(bulk) == n - 10 and 11 in bulk.ids() and 10 not in bulk.ids()


def test_bulk_load_needs_an_empty_index() -> None:
    index = FaissIndex(4)
    index.add(np.array([1]), unit(1, 4, seed=0))
    with pytest.raises(ValueError):
        index.bulk_load(1, lambda rows: unit(1, 4, seed=0), [])


def reference_invert(
    indptr: np.ndarray, terms: np.ndarray, tfs: np.ndarray, n_terms: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The inversion as it was: one stable argsort of every posting."""
    n_docs = indptr.shape[0] - 1
    row_of = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(indptr))
    lengths = np.bincount(row_of, weights=tfs, minlength=n_docs).astype(np.float32)
    order = np.argsort(terms, kind="stable")
    inv_indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=n_terms), out=inv_indptr[1:])
    return lengths, inv_indptr, row_of[order], tfs[order]


@pytest.mark.parametrize("chunk", [1, 7, 100, 1 << 22])
def test_chunked_inversion_equals_one_stable_sort(chunk: int) -> None:
    rng = np.random.default_rng(chunk)
    n_docs, n_terms = 300, 50
    counts = rng.integers(0, 12, n_docs)  # some documents have no terms
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    # Distinct terms per document, as the forward arrays hold them.
    terms = np.concatenate([rng.choice(n_terms - 5, int(c), replace=False) for c in counts]).astype(np.int32)
    tfs = rng.integers(1, 9, terms.shape[0]).astype(np.float32)
    got = _invert(indptr, terms, tfs, n_terms, chunk=chunk)  # the last 5 terms have no postings
    for have, want in zip(got, reference_invert(indptr, terms, tfs, n_terms), strict=True):
        assert have.dtype == want.dtype
        assert np.array_equal(have, want)
