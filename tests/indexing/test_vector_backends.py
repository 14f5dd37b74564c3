"""One contract suite over every vector backend, with the exact NumPy index as the reference answer."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from indexing.vectors import IndexCorruptError, IndexMismatchError, VectorIndex, load_index, save_index
from indexing.vectors.choose import AUTO_THRESHOLD, choose_factory, nlist_for, resolve_factory
from indexing.vectors.exact import ExactIndex
from indexing.vectors.faiss_index import FaissIndex

DIM, N = 32, 1500
HAS_MILVUS = importlib.util.find_spec("pymilvus") is not None
Maker = Callable[[Path], VectorIndex]


def _milvus(tmp: Path) -> VectorIndex:
    from indexing.vectors.milvus_index import MilvusIndex

    return MilvusIndex(DIM, str(tmp / "milvus.db"), "contract")


# name -> (maker, exact answers expected)
BACKENDS: dict[str, tuple[Maker, bool]] = {
    "exact": (lambda tmp: ExactIndex(DIM), True),
    "faiss-flat": (lambda tmp: FaissIndex(DIM, "Flat"), True),
    "faiss-ivf-sq8": (lambda tmp: FaissIndex(DIM, "IVF32,SQ8"), False),
    "faiss-hnsw": (lambda tmp: FaissIndex(DIM, "HNSW16"), False),
    # A graph over trained codes: the index must train its scalar quantiser before the first add.
    "faiss-hnsw-sq8": (lambda tmp: FaissIndex(DIM, "HNSW16,SQ8"), False),
    "faiss-auto": (lambda tmp: FaissIndex(DIM, "auto", threshold=1000), False),
    "milvus": (_milvus, True),
}
PARAMS = [
    pytest.param(name, marks=[pytest.mark.milvus, pytest.mark.skipif(not HAS_MILVUS, reason="pymilvus missing")])
    if name == "milvus"
    else name
    for name in BACKENDS
]


def corpus(n: int = N, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered unit vectors (like real embeddings) with non-contiguous ids."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, DIM))
    vecs = centres[rng.integers(0, 20, n)] + 0.6 * rng.normal(size=(n, DIM))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.arange(n, dtype=np.int64) * 3 + 7, vecs.astype(np.float32)


@pytest.fixture(params=PARAMS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, VectorIndex, bool]:
    maker, exact = BACKENDS[request.param]
    return request.param, maker(tmp_path), exact


def reference(ids: np.ndarray, vecs: np.ndarray) -> ExactIndex:
    ref = ExactIndex(DIM)
    ref.add(ids, vecs)
    return ref


def recall(got: np.ndarray, want: np.ndarray) -> float:
    return float(
        np.mean([len(set(g[g >= 0]) & set(w[w >= 0])) / max(1, (w >= 0).sum()) for g, w in zip(got, want, strict=True)])
    )


def assert_matches(index: VectorIndex, ref: ExactIndex, queries: np.ndarray, exact: bool, k: int = 10) -> None:
    scores, got = index.search(queries, k)
    ref_scores, want = ref.search(queries, k)
    assert got.shape == want.shape == (queries.shape[0], k)
    if exact:
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(scores, ref_scores, atol=1e-4)
    else:
        assert recall(got, want) >= 0.8


def test_add_search_matches_exact(backend: tuple[str, VectorIndex, bool]) -> None:
    _, index, exact = backend
    ids, vecs = corpus()
    index.add(ids, vecs)
    assert len(index) == N
    np.testing.assert_array_equal(np.sort(index.ids()), ids)
    assert_matches(index, reference(ids, vecs), vecs[:40], exact)


def test_replace_and_remove(backend: tuple[str, VectorIndex, bool]) -> None:
    _, index, exact = backend
    ids, vecs = corpus()
    index.add(ids, vecs)
    # Replacing an id moves it; the count does not change.
    index.add(ids[:1], vecs[500:501])
    assert len(index) == N
    _, top = index.search(vecs[500:501], 2)
    assert set(top[0].tolist()) == {ids[0], ids[500]}
    gone = ids[10:60]
    index.remove(np.concatenate([gone, [-5, 10**9]]))  # unknown ids are ignored
    assert len(index) == N - gone.shape[0]
    assert not np.isin(index.ids(), gone).any()
    _, hits = index.search(vecs[10:60], 10)
    assert not np.isin(hits, gone).any()
    kept = ~np.isin(ids, gone)
    new_vecs = vecs.copy()
    new_vecs[0] = vecs[500]
    assert_matches(index, reference(ids[kept], new_vecs[kept]), vecs[100:130], exact)


@pytest.mark.parametrize("size", [3, 15, 400, 1200])
def test_filtered_search_is_complete(backend: tuple[str, VectorIndex, bool], size: int) -> None:
    _, index, exact = backend
    ids, vecs = corpus()
    index.add(ids, vecs)
    rng = np.random.default_rng(size)
    allowed = rng.choice(ids, size, replace=False)
    # Ids that are not indexed may be in the allow-list; they are simply never returned.
    with_unknown = np.concatenate([allowed, [1, 2, 10**9]])
    queries = vecs[rng.integers(0, N, 8)]
    scores, got = index.search(queries, 10, with_unknown)
    _, want = reference(ids, vecs).search(queries, 10, allowed)
    expected = min(10, size)
    assert ((got >= 0).sum(axis=1) == expected).all()
    assert np.isin(got[got >= 0], allowed).all()
    assert np.isneginf(scores[got < 0]).all()
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        assert recall(got, want) >= 0.8


def test_empty_and_degenerate_queries(backend: tuple[str, VectorIndex, bool]) -> None:
    _, index, _ = backend
    scores, got = index.search(np.ones((2, DIM), np.float32), 5)
    assert got.shape == (2, 5) and (got == -1).all() and np.isneginf(scores).all()
    ids, vecs = corpus(60)
    index.add(ids, vecs)
    _, got = index.search(vecs[:1], 5, np.zeros(0, np.int64))
    assert (got == -1).all()


def test_save_load_and_fingerprint(backend: tuple[str, VectorIndex, bool], tmp_path: Path) -> None:
    _, index, _ = backend
    ids, vecs = corpus()
    index.add(ids, vecs)
    before = index.search(vecs[:20], 10)
    path = tmp_path / "vectors.index"
    stamp = {"encoder": "test", "dim": DIM, "backend": index.backend, "generation": 3}
    save_index(index, path, stamp)
    loaded = load_index(path, stamp)
    assert len(loaded) == N
    after = loaded.search(vecs[:20], 10)
    np.testing.assert_array_equal(after[1], before[1])
    np.testing.assert_allclose(after[0], before[0], atol=1e-5)
    with pytest.raises(IndexMismatchError, match="generation"):
        load_index(path, {**stamp, "generation": 4})
    with pytest.raises(IndexMismatchError, match="encoder"):
        load_index(path, {**stamp, "encoder": "other"})


def test_corrupt_file_is_detected(backend: tuple[str, VectorIndex, bool], tmp_path: Path) -> None:
    _, index, _ = backend
    ids, vecs = corpus(200)
    index.add(ids, vecs)
    path = tmp_path / "vectors.index"
    stamp = {"encoder": "test", "dim": DIM, "backend": index.backend}
    save_index(index, path, stamp)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError):
        load_index(path, stamp)
    path.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(IndexCorruptError):
        load_index(path, stamp)


def test_auto_factory_promotes_to_ivf_above_threshold() -> None:
    index = FaissIndex(DIM, "auto", threshold=1000)
    ids, vecs = corpus()
    index.add(ids[:900], vecs[:900])
    assert index.kind == "flat"
    index.add(ids[900:], vecs[900:])
    assert index.kind == "ivf" and len(index) == N
    assert_matches(index, reference(ids, vecs), vecs[:40], exact=False)


def test_choose_factory_by_size() -> None:
    assert choose_factory(AUTO_THRESHOLD - 1) == "Flat"
    assert choose_factory(1_000_000) == f"IVF{nlist_for(1_000_000)},SQ8"
    assert nlist_for(100_000) < nlist_for(1_000_000)
    assert resolve_factory("HNSW32", 10) == "HNSW32"


@pytest.mark.milvus
@pytest.mark.skipif(not HAS_MILVUS, reason="pymilvus missing")
def test_milvus_record_detects_changes_behind_its_back(tmp_path: Path) -> None:
    from indexing.vectors.milvus_index import MilvusIndex

    index = _milvus(tmp_path)
    ids, vecs = corpus(100)
    index.add(ids, vecs)
    path = tmp_path / "vectors.index"
    stamp = {"encoder": "test", "dim": DIM, "backend": "milvus"}
    save_index(index, path, stamp)
    # A fresh index object does not wipe the saved collection until it is used.
    MilvusIndex(DIM, str(tmp_path / "milvus.db"), "contract")
    assert len(load_index(path, stamp)) == 100
    with pytest.raises(IndexMismatchError, match="collection"):
        load_index(path, stamp, collection="elsewhere")
    index.remove(ids[:3])
    with pytest.raises(IndexMismatchError, match="97"):
        load_index(path, stamp)


def test_milvus_import_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from indexing.vectors import milvus_index

    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(ImportError, match=r"pip install 'leian\[milvus\]'"):
        milvus_index.MilvusIndex(DIM, "unused.db")
