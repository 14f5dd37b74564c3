"""One contract suite over every vector backend, with the exact NumPy index as the reference answer."""

from __future__ import annotations

import importlib.util
import logging
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from indexing.vectors import IndexCorruptError, IndexMismatchError, VectorIndex, load_index, save_index
from indexing.vectors.choose import AUTO_THRESHOLD, choose_factory, nlist_for, resolve_factory
from indexing.vectors.exact import ExactIndex
from indexing.vectors.faiss_index import FaissIndex
from indexing.vectors.where import AnyOf, Between, Either, IdIn, ScalarField, Where, matches

DIM, N = 32, 1500
HAS_PYMILVUS = importlib.util.find_spec("pymilvus") is not None
# Milvus Lite (the ``milvus`` extra); the server's own virtualenv has pymilvus 2.3 and no Lite.
HAS_MILVUS = HAS_PYMILVUS and importlib.util.find_spec("milvus_lite") is not None
Maker = Callable[[Path, pytest.FixtureRequest], VectorIndex]
# The scalar fields of the filter tests, the city a partition key as in the product (kb/vector_fields.py).
SCALARS = (
    ScalarField("city", "str", 32),
    ScalarField("status", "str", 16),
    ScalarField("litigation", "bool"),
    ScalarField("received", "int"),
)
# A value with quotes and backslashes, and one shaped like an injection: both must stay text.
CITIES = ("广州市", "深圳市", 'a"b\\c', "佛山市", 'x" or id >= 0 or city == "')


def _milvus(tmp: Path, request: pytest.FixtureRequest) -> VectorIndex:
    from indexing.vectors.milvus_index import MilvusIndex

    return MilvusIndex(DIM, str(tmp / "milvus.db"), "contract", scalars=SCALARS, partition_key="city")


def _milvus_server(tmp: Path, request: pytest.FixtureRequest, index_type: str = "FLAT") -> VectorIndex:
    from indexing.vectors.milvus_index import MilvusIndex

    uri = request.getfixturevalue("milvus_server")
    name = f"contract_{uuid.uuid4().hex[:12]}"
    index = MilvusIndex(DIM, uri, name, index_type=index_type, scalars=SCALARS, partition_key="city")
    request.addfinalizer(lambda: index._client.drop_collection(name))
    return index


# name -> (maker, exact answers expected)
BACKENDS: dict[str, tuple[Maker, bool]] = {
    "exact": (lambda tmp, req: ExactIndex(DIM), True),
    "faiss-flat": (lambda tmp, req: FaissIndex(DIM, "Flat"), True),
    "faiss-ivf-sq8": (lambda tmp, req: FaissIndex(DIM, "IVF32,SQ8"), False),
    "faiss-hnsw": (lambda tmp, req: FaissIndex(DIM, "HNSW16"), False),
    # A graph over trained codes: the index must train its scalar quantiser before the first add.
    "faiss-hnsw-sq8": (lambda tmp, req: FaissIndex(DIM, "HNSW16,SQ8"), False),
    "faiss-auto": (lambda tmp, req: FaissIndex(DIM, "auto", threshold=1000), False),
    "milvus": (_milvus, True),
    # The standalone server (tests/indexing/conftest.py), in its own virtualenv: ./run milvus-server
    "milvus-server": (_milvus_server, True),
    # LEIAN_INDEX_FACTORY=IVF_SQ8 on the server (a 2.3 server refuses an IVF index without nlist).
    "milvus-server-ivf-sq8": (lambda tmp, req: _milvus_server(tmp, req, "IVF_SQ8"), False),
}
MILVUS_BACKENDS = ("milvus", "milvus-server")
LITE = [pytest.mark.milvus, pytest.mark.skipif(not HAS_MILVUS, reason="Milvus Lite (the milvus extra) missing")]
SERVER = [pytest.mark.milvus_server]


def _param(name: str) -> object:
    if name == "milvus":
        return pytest.param(name, marks=LITE)
    if name.startswith("milvus-server"):
        return pytest.param(name, marks=SERVER)
    return name


PARAMS = [_param(name) for name in BACKENDS]


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
    return request.param, maker(tmp_path, request), exact


@pytest.fixture(params=[_param(name) for name in MILVUS_BACKENDS])
def milvus_backend(request: pytest.FixtureRequest, tmp_path: Path) -> VectorIndex:
    return BACKENDS[request.param][0](tmp_path, request)


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


@pytest.mark.parametrize("size", [30, 400, 1200])
def test_a_bitmap_allow_list_answers_like_the_hash_set(backend: tuple[str, VectorIndex, bool], size: int) -> None:
    """FAISS takes a dense allow-list as a bitmap over the id space (cheap to build): same answers
    as its hash-set selector."""
    _, index, _ = backend
    if not isinstance(index, FaissIndex):
        pytest.skip("the bitmap selector is FAISS's")
    ids, vecs = corpus()
    index.add(ids, vecs)
    rng = np.random.default_rng(size)
    allowed = np.sort(rng.choice(ids, size, replace=False))
    queries = vecs[rng.integers(0, N, 8)]
    index.bitmap_filters = True
    got = index.search(queries, 10, allowed)
    index.bitmap_filters = False
    want = index.search(queries, 10, allowed)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[0], want[0], atol=1e-6)
    assert ((got[1] >= 0).sum(axis=1) == min(10, size)).all()


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


def test_faiss_loads_from_the_file_without_a_copy_of_the_payload(tmp_path: Path) -> None:
    """The FAISS payload streams from the file into the index (after a checksum pass): no Python-side
    copy of the whole payload (there were two, ~1.1 GB transient at 1,000,000 cases)."""
    import tracemalloc

    ids, vecs = corpus(100_000)  # a 13 MB payload
    index = FaissIndex(DIM, "Flat")
    index.add(ids, vecs)
    path = tmp_path / "vectors.index"
    stamp = {"encoder": "test", "dim": DIM, "backend": "faiss"}
    save_index(index, path, stamp)
    payload = path.stat().st_size
    tracemalloc.start()
    try:
        loaded = load_index(path, stamp)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < payload / 4, (peak, payload)  # chunks of 1 MB, never the payload
    np.testing.assert_array_equal(loaded.search(vecs[:5], 3)[1], index.search(vecs[:5], 3)[1])


def test_faiss_saves_into_the_file_without_a_copy_of_the_index(tmp_path: Path) -> None:
    """A snapshot streams FAISS's serialisation into the file in 1 MB pieces; the buffer path
    (``serialize_index``, what every save did before) holds the whole payload, which the same
    measurement sees. Both files hold the same payload and the streamed one loads."""
    import tracemalloc

    from indexing.vectors.base import load_index_file, save_index_file

    ids, vecs = corpus(100_000)  # a 13 MB payload
    index = FaissIndex(DIM, "Flat")
    index.add(ids, vecs)
    stamp = {"encoder": "test", "dim": DIM, "backend": "faiss"}
    streamed, buffered = tmp_path / "streamed.index", tmp_path / "buffered.index"
    peaks = []
    for save in (lambda: save_index(index, streamed, stamp), lambda: save_index_file(buffered, index.to_buffer(), {})):
        tracemalloc.start()
        try:
            save()
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    payload = streamed.stat().st_size
    assert peaks[0] < payload / 4 < peaks[1], (peaks, payload)
    assert load_index_file(streamed)[0] == load_index_file(buffered)[0] == index.to_bytes()
    loaded = load_index(streamed, stamp)
    assert len(loaded) == 100_000
    np.testing.assert_array_equal(loaded.search(vecs[:5], 3)[1], index.search(vecs[:5], 3)[1])


def test_a_fingerprint_mismatch_is_found_before_the_payload_is_read(tmp_path: Path) -> None:
    """The meta is checked first: a damaged payload under another configuration is a mismatch
    (rebuild with the new configuration), and ``read_index_meta`` reads the meta alone."""
    from indexing.vectors import read_index_meta

    ids, vecs = corpus(300)
    index = FaissIndex(DIM, "Flat")
    index.add(ids, vecs)
    path = tmp_path / "vectors.index"
    stamp = {"encoder": "test", "dim": DIM, "backend": "faiss"}
    save_index(index, path, stamp)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert read_index_meta(path)["count"] == 300
    with pytest.raises(IndexMismatchError, match="encoder"):
        load_index(path, {**stamp, "encoder": "other"})
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


@pytest.mark.parametrize("factory", ["Flat", "IVF16,SQ8"])
def test_faiss_answers_a_single_query_on_one_thread_and_restores_the_team(factory: str) -> None:
    """A query of one row runs without an OpenMP team (it fought the encoder's threads) and gives
    the batch's answer; the caller's thread count is back afterwards, filtered or not."""
    import faiss

    ids, vecs = corpus()
    index = FaissIndex(DIM, factory)
    index.add(ids, vecs)
    allowed = ids[::7]
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(2)
    try:
        seen: list[int] = []
        real = index._index.search

        def spy(*args: object, **kwargs: object) -> object:
            seen.append(faiss.omp_get_max_threads())
            return real(*args, **kwargs)

        index._index.search = spy
        batch = vecs[:20]
        for sel in (None, allowed):
            want = index.search(batch, 10, sel)
            for row in range(3):
                got = index.search(batch[row : row + 1], 10, sel)
                np.testing.assert_array_equal(got[1][0], want[1][row])
                np.testing.assert_allclose(got[0][0], want[0][row], rtol=1e-5)
        assert faiss.omp_get_max_threads() == 2
        assert seen[0] == 2 and set(seen[1:4]) == {1}  # the 20-row batch keeps its team
    finally:
        faiss.omp_set_num_threads(before)


def test_choose_factory_by_size() -> None:
    assert choose_factory(AUTO_THRESHOLD - 1) == "Flat"
    assert choose_factory(1_000_000) == f"IVF{nlist_for(1_000_000)},SQ8"
    assert nlist_for(100_000) < nlist_for(1_000_000)
    assert resolve_factory("HNSW32", 10) == "HNSW32"


def test_milvus_record_detects_changes_behind_its_back(milvus_backend: VectorIndex, tmp_path: Path) -> None:
    from indexing.vectors.milvus_index import MilvusIndex

    index = milvus_backend
    assert isinstance(index, MilvusIndex)
    ids, vecs = corpus(100)
    index.add(ids, vecs)
    path = tmp_path / "vectors.index"
    stamp = {"encoder": "test", "dim": DIM, "backend": "milvus"}
    save_index(index, path, stamp)
    # A fresh index object does not wipe the saved collection until it is used.
    MilvusIndex(DIM, index.uri, index.collection, scalars=SCALARS, partition_key="city")
    assert len(load_index(path, stamp)) == 100
    with pytest.raises(IndexMismatchError, match="collection"):
        load_index(path, stamp, collection="elsewhere")
    # A collection without the configured scalar fields (saved before filters were pushed down).
    with pytest.raises(IndexMismatchError, match="标量字段"):
        load_index(path, stamp, scalars=SCALARS[:2], partition_key="city")
    index.remove(ids[:3])
    with pytest.raises(IndexMismatchError, match="97"):
        load_index(path, stamp)


# -- filters pushed down: scalar fields and ``Where`` -----------------------------------------------


def attributes(n: int = N, seed: int = 1) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    return {
        "city": [CITIES[i] for i in rng.integers(0, len(CITIES), n)],
        "status": [("pending", "in_progress", "resolved", "closed")[i] for i in rng.integers(0, 4, n)],
        "litigation": [bool(b) for b in rng.random(n) < 0.2],
        "received": [int(d) for d in rng.integers(20230101, 20250101, n)],
    }


def add_with(index: VectorIndex, ids: np.ndarray, vecs: np.ndarray, attrs: dict[str, list]) -> None:
    if getattr(index, "filters_by_expression", False):
        index.add(ids, vecs, attributes=attrs)  # type: ignore[call-arg]
    else:
        index.add(ids, vecs)


def search_where(index: VectorIndex, queries: np.ndarray, k: int, where: Where, allowed: np.ndarray) -> np.ndarray:
    """Pushed down where the backend can, else the same filter as an id list (what kb/search.py does)."""
    if getattr(index, "filters_by_expression", False):
        return index.search(queries, k, where=where)[1]  # type: ignore[call-arg]
    return index.search(queries, k, allowed)[1]


WHERES = {
    # about 1 %, 10 % and 50 % of the corpus, and a disjunction with an explicit id list (an ACL set)
    "narrow": Where((AnyOf("city", ("广州市",)), AnyOf("status", ("closed",)), AnyOf("litigation", (True,)))),
    "tenth": Where((AnyOf("city", ('a"b\\c', "深圳市")), Between("received", 20240101, 20250101))),
    "half": Where((AnyOf("status", ("pending", "in_progress")),)),
    "either": Where(
        (Either((AnyOf("city", ("佛山市",)), IdIn(tuple(range(7, 3000, 9))))), Between("received", low=20240101))
    ),
    "quoted": Where((AnyOf("city", ('x" or id >= 0 or city == "',)),)),
}


@pytest.mark.parametrize("name", list(WHERES))
def test_where_filter_matches_exact(backend: tuple[str, VectorIndex, bool], name: str) -> None:
    _, index, exact = backend
    ids, vecs = corpus()
    attrs = attributes()
    add_with(index, ids, vecs, attrs)
    where = WHERES[name]
    allowed = matches(where, ids, attrs)
    assert 0 < allowed.shape[0] < N
    queries = vecs[np.random.default_rng(5).integers(0, N, 8)]
    got = search_where(index, queries, 10, where, allowed)
    _, want = reference(ids, vecs).search(queries, 10, allowed)
    assert ((got >= 0).sum(axis=1) == min(10, allowed.shape[0])).all()
    assert np.isin(got[got >= 0], allowed).all()
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        assert recall(got, want) >= 0.8


def test_where_with_chunked_id_list_is_complete(milvus_backend: VectorIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """An id list longer than one expression is split; the chunks' results merge to the exact answer."""
    from indexing.vectors import milvus_index

    monkeypatch.setattr(milvus_index, "FILTER_CHUNK", 64)
    ids, vecs = corpus()
    attrs = attributes()
    add_with(milvus_backend, ids, vecs, attrs)
    queries = vecs[:6]
    for where in (WHERES["either"], Where((AnyOf("status", ("closed", "resolved")), IdIn(tuple(ids[::4].tolist()))))):
        allowed = matches(where, ids, attrs)
        got = milvus_backend.search(queries, 10, where=where)[1]  # type: ignore[call-arg]
        np.testing.assert_array_equal(got, reference(ids, vecs).search(queries, 10, allowed)[1])
    # An allow-list and a ``Where`` together: both hold.
    allowed = ids[::3]
    got = milvus_backend.search(queries, 10, allowed, where=WHERES["half"])[1]  # type: ignore[call-arg]
    both = np.intersect1d(allowed, matches(WHERES["half"], ids, attrs))
    np.testing.assert_array_equal(got, reference(ids, vecs).search(queries, 10, both)[1])


def test_update_attributes_moves_cases_between_partitions(milvus_backend: VectorIndex) -> None:
    """A case whose city or status changes is found under the new values only (the partition key too)."""
    ids, vecs = corpus(300)
    attrs = attributes(300)
    add_with(milvus_backend, ids, vecs, attrs)
    moved = [int(i) for i, c in zip(ids, attrs["city"], strict=True) if c == "深圳市"][:5]
    assert milvus_backend.update_attributes(  # type: ignore[attr-defined]
        [*moved, 10**9],  # an id not in the collection is skipped
        {"city": ["广州市"] * 6, "status": ["closed"] * 6, "litigation": [True] * 6, "received": [20260101] * 6},
    ) == len(moved)
    assert len(milvus_backend) == 300
    rows = {i: n for n, i in enumerate(ids.tolist())}
    queries = vecs[[rows[i] for i in moved]]
    for case_id in moved:
        attrs["city"][rows[case_id]], attrs["status"][rows[case_id]] = "广州市", "closed"
        attrs["litigation"][rows[case_id]], attrs["received"][rows[case_id]] = True, 20260101
    for where in (Where((AnyOf("city", ("广州市",)),)), Where((AnyOf("city", ("深圳市",)),)), WHERES["narrow"]):
        allowed = matches(where, ids, attrs)
        got = milvus_backend.search(queries, 10, where=where)[1]  # type: ignore[call-arg]
        np.testing.assert_array_equal(got, reference(ids, vecs).search(queries, 10, allowed)[1])
    # The vectors did not change: each moved case is still its own nearest neighbour.
    got = milvus_backend.search(queries, 1, where=Where((AnyOf("city", ("广州市",)),)))[1]  # type: ignore[call-arg]
    assert got[:, 0].tolist() == moved


def test_old_server_is_refused_in_chinese_and_english(caplog: pytest.LogCaptureFixture) -> None:
    from indexing.vectors import milvus_compat

    assert milvus_compat.parse_version("v2.3.5-lite").numbers == (2, 3, 5)
    lite = milvus_compat.parse_version("milvus_lite-3.2.2")
    assert lite.lite and lite.partition_key and lite.upsert_keeps_partition_key
    server = milvus_compat.parse_version("v2.3.5")
    assert server.partition_key and not server.upsert_keeps_partition_key
    milvus_compat.check_engine(server, "http://milvus:19530")
    old = milvus_compat.parse_version("v2.2.14")
    with caplog.at_level(logging.ERROR), pytest.raises(milvus_compat.MilvusVersionError, match=r"v2\.2\.14，过低"):
        milvus_compat.check_engine(old, "http://milvus:19530")
    assert "needs 2.3.0 or newer" in caplog.text


def test_expressions_escape_strings() -> None:
    from indexing.vectors.milvus_expr import expression, expressions, quote

    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert quote("x\ny") == '"x\\ny"'
    text = expression(Where((AnyOf("city", ('x" or id >= 0 or "',)), AnyOf("litigation", (True,)))))
    assert text == '(city == "x\\" or id >= 0 or \\"") and (litigation == true)'
    assert expression(Where()) == ""
    assert expression(Where((AnyOf("city", ()),))) == "(id < -1)"
    assert len(expressions(Where((IdIn(tuple(range(100))),)), chunk_size=30)) == 4


def test_milvus_import_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from indexing.vectors import milvus_index

    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(ImportError, match=r"pip install 'leian\[milvus\]'"):
        milvus_index.MilvusIndex(DIM, "unused.db")


def test_or_on_the_partition_key_is_split_into_branches() -> None:
    from indexing.vectors.milvus_expr import expressions, split_on

    either = Where((Either((AnyOf("city", ("佛山市",)), IdIn((1, 2)))), AnyOf("status", ("closed",))))
    assert [w.clauses for w in split_on(either, "city")] == [
        (AnyOf("city", ("佛山市",)), AnyOf("status", ("closed",))),
        (IdIn((1, 2)), AnyOf("status", ("closed",))),
    ]
    assert expressions(either, partition_key="city") == [
        '(city == "佛山市") and (status == "closed")',
        '(id in [1,2]) and (status == "closed")',
    ]
    assert len(expressions(either)) == 1  # Milvus Lite prunes correctly: one expression


def test_update_attributes_keeps_fields_it_does_not_name(milvus_backend: VectorIndex) -> None:
    ids, vecs = corpus(50)
    attrs = attributes(50)
    add_with(milvus_backend, ids, vecs, attrs)
    assert milvus_backend.update_attributes([int(ids[0])], {"status": ["closed"]}) == 1  # type: ignore[attr-defined]
    attrs["status"][0] = "closed"
    for where in (Where((AnyOf("status", ("closed",)),)), Where((AnyOf("city", (attrs["city"][0],)),))):
        got = milvus_backend.search(vecs[:1], 10, where=where)[1]  # type: ignore[call-arg]
        np.testing.assert_array_equal(got, reference(ids, vecs).search(vecs[:1], 10, matches(where, ids, attrs))[1])
