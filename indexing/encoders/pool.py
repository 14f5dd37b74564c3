"""Process-level parallel encoding for bulk paths (imports, re-encoding): one encoder per core.

On a busy 2-core host one encoder with two BLAS threads ran 3x *slower* than with one thread, while
two single-thread worker processes ran faster than one process (docs/benchmarks.md, "Ingest
throughput"). So ``ProcessPoolEncoder`` keeps the encoder contract and spreads contiguous chunks of
the input over ``workers`` single-thread encoders: the caller's own (already loaded) encoder when it
runs one thread, and spawned worker processes for the rest, each building its encoder once; the
vectors come back in input order and equal the in-process ones.

Design choices:

* Workers are started with the ``spawn`` context: forking a parent that already runs FAISS / OpenMP /
  BLAS threads is unsafe. The pool starts lazily, at the first input large enough to need it, and
  ``close()`` (or leaving the ``with`` block) stops it; each worker also exits by itself when its
  parent disappears (checked every second), so a killed import leaves no orphans behind.
* Starting a worker and loading USE-m3 in it costs seconds (about 1-3 CPU-s, 2-8 s of wall time on
  the shared 2-core bench host), so inputs of fewer than ``max(min_parallel, 2 * workers *
  min_chunk)`` texts (512 by default) are encoded in-process by the local encoder: below that the
  start-up eats the gain.
* ``submit()`` returns at once so the caller can work (e.g. segment) while the workers encode.
* While the caller waits for the vectors, its own encoder takes chunks no worker has started yet,
  from the end of the input (``steal``): the caller encodes while the workers are still spawning
  and loading the model (seconds that otherwise delay every chunk). Only a single-thread local
  encoder does so (one with ``threads == 1``): a multi-thread one next to busy workers would
  oversubscribe the cores. A caller that steals counts as one of the ``workers`` encoders, so
  ``workers - 1`` processes are spawned (``processes``): ``workers=2`` is one spawned worker beside
  the caller, one start-up paid on the other core while the caller encodes from the first moment,
  instead of two start-ups and three encoders on two cores. A caller that does not steal waits, and
  ``workers`` processes are spawned. Chunks are small (about sixteen per encoder) and a stealing
  caller hands them to the executor one per worker process as they finish (``_Dispatch``): a chunk
  in the executor's queue can no longer be taken back, and when all were submitted at once the one
  worker of a two-encoder pool held up to three at the end while the caller waited for them (about
  1 s of a 7 s import of 1,200 texts; docs/benchmarks.md, "2 workers / 1 worker").
* A worker gets the caller's parsed USE tokenizer (``worker_state``, pickled once per process)
  instead of parsing its 128,000 pieces in pure Python, most of its model load: start-up
  1.0-1.2 s -> 0.7-1.1 s for ``use-m3``, 2.1 s -> 1.4-1.8 s for ``use-m3-int8``.
* A worker that dies or fails to build its encoder raises ``EncoderPoolError`` in the caller (the
  executor notices the dead process; nothing waits forever), and the pool is torn down.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType

import numpy as np

from indexing.encoders.base import Encoder, usable_cores

ProgressFn = Callable[[int], None]


class EncoderPoolError(RuntimeError):
    """A worker process died, could not build its encoder, or failed while encoding."""


@dataclass(frozen=True)
class EncoderSpec:
    """How a worker builds its encoder: a registry name (``create_encoder``) or a picklable factory.

    ``factory`` must be importable by name in a fresh interpreter (a module-level function or a
    ``functools.partial`` of one); it wins over ``kind``/``model``.
    """

    kind: str
    model: str | None = None
    threads: int = 1
    factory: Callable[[], Encoder] | None = None

    def build(self) -> Encoder:
        if self.factory is not None:
            return self.factory()
        from indexing.encoders import create_encoder

        return create_encoder(self.kind, self.model, self.threads)


def fit_workers(requested: int, cores: int, load: float) -> int:
    """Worker processes worth starting on a host with ``cores`` cores and a 1-minute ``load``.

    Each worker runs one encoder thread (threads = cores / workers, never more), so a pool only
    pays when it gets cores of its own: with other work already keeping the cores busy the workers
    queue behind it, pay their start-up and model load, and the import ran slower than one
    process (issue 20: 0.71-0.79 of the one-core encoder at load 3-6 on 2 cores). The pool gets
    the cores the load leaves spare (rounded), at least one, at most ``requested`` and ``cores``.
    """
    spare = cores - max(0.0, load)
    return max(1, min(requested, cores, int(spare + 0.5)))


# -- worker side ----------------------------------------------------------------------------------
_worker_encoder: Encoder | None = None


def _exit_with_parent(parent_pid: int) -> None:
    """Leave when the parent is gone (it was killed before it could stop the pool)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(1)


def _init_worker(spec: EncoderSpec, parent_pid: int, state: bytes | None = None) -> None:
    global _worker_encoder
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(spec.threads)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    if state is not None:  # the parent's parsed tokenizer (USE encoders): no parse of our own
        from indexing.encoders.use import adopt_tokenizer

        adopt_tokenizer(state)
    encoder = spec.build()
    encoder.encode(["预热"])  # load the model now, not inside the first chunk
    _worker_encoder = encoder


def _encode_chunk(texts: list[str]) -> tuple[str, np.ndarray]:
    if _worker_encoder is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("encoder worker was not initialised")
    return _worker_encoder.name, _worker_encoder.encode(texts)


# -- caller side ----------------------------------------------------------------------------------
PendingVectors = Callable[[ProgressFn | None], np.ndarray]
MIN_PARALLEL = 512
# Chunks per encoder: enough that the last chunk's tail is short (see the module docstring).
CHUNKS_PER_ENCODER = 16


class ProcessPoolEncoder:
    """The encoder contract over ``workers`` encoders: worker processes, and the caller when it
    steals (see the module docstring).

    ``local`` is the in-process encoder used for small inputs, for ``name``/``dim`` and, when it
    runs one thread, as one of the ``workers`` encoders; by default it is built from ``spec``.
    Workers must produce the same encoder name, which is checked. ``processes`` is how many worker
    processes a parallel encode spawns: ``workers - 1`` when the caller steals, else ``workers``.
    """

    def __init__(
        self,
        spec: EncoderSpec,
        workers: int | None = None,
        *,
        local: Encoder | None = None,
        min_parallel: int = MIN_PARALLEL,
        min_chunk: int = 32,
        max_chunk: int = 256,
        steal: bool = True,
    ) -> None:
        self.spec = spec
        self.workers = max(1, workers if workers is not None else usable_cores())
        self.min_parallel = min_parallel
        self.min_chunk, self.max_chunk = max(1, min_chunk), max(min_chunk, max_chunk)
        self.local = local if local is not None else spec.build()
        self.name, self.dim = self.local.name, self.local.dim
        # The caller's encoder joins in only when it runs one thread (see the module docstring).
        self.steal = steal and getattr(self.local, "threads", None) == 1
        # A stealing caller is one of the ``workers`` encoders: spawn the others.
        self.processes = self.workers - 1 if self.steal else self.workers
        self._executor: ProcessPoolExecutor | None = None

    def parallel_threshold(self) -> int:
        """Inputs of at least this many texts go to the worker processes (``workers`` encoders,
        ``processes`` of them spawned: at least ``2 * min_chunk`` texts per encoder, and
        ``min_parallel``, which weighs one worker's start-up against the texts it takes)."""
        return max(self.min_parallel, 2 * self.workers * self.min_chunk)

    def chunk_size(self, n: int) -> int:
        """About sixteen chunks per encoder (load balance, the caller's share, the last chunk's
        tail, progress), within [min_chunk, max_chunk]."""
        return max(self.min_chunk, min(self.max_chunk, math.ceil(n / (self.workers * CHUNKS_PER_ENCODER))))

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        """(n, dim) float32, unit rows, in input order; ``progress(k)`` after each finished chunk."""
        return self.submit(texts)(progress)

    def submit(self, texts: Sequence[str]) -> PendingVectors:
        """Start encoding and return at once; calling the result waits for the vectors."""
        texts = list(texts)
        if self.processes == 0 or self.workers == 1 or len(texts) < self.parallel_threshold():
            return lambda progress: _encode_local(self.local, texts, progress)
        size = self.chunk_size(len(texts))
        chunks = [texts[s : s + size] for s in range(0, len(texts), size)]
        with self._failures():
            # A stealing caller keeps one chunk per worker process submitted (see ``_Dispatch``);
            # a waiting caller submits them all.
            dispatch = _Dispatch(self._start(), chunks, self.processes if self.steal else len(chunks))
        return lambda progress: self._collect(dispatch, progress)

    def _collect(self, dispatch: _Dispatch, progress: ProgressFn | None) -> np.ndarray:
        """The chunks' vectors in order; with ``steal``, this process encodes chunks from the end
        while the workers take them from the front."""
        chunks = dispatch.chunks
        results: list[np.ndarray | None] = [None] * len(chunks)
        harvested: set[int] = set()

        def harvest() -> None:
            for i, future in dispatch.submitted():
                if i in harvested or not future.done():
                    continue
                harvested.add(i)
                name, vectors = future.result()  # raises the worker's error
                if name != self.name:
                    raise EncoderPoolError(f"编码进程使用的编码器 {name} 与本进程的 {self.name} 不一致")
                results[i] = vectors
                if progress is not None:
                    progress(len(vectors))

        with self._failures():
            try:
                while True:
                    dispatch.raise_failure()  # the feeder could not submit: stop, do not encode it all here
                    stolen = dispatch.take_last() if self.steal else None
                    if stolen is not None:
                        results[stolen] = np.asarray(self.local.encode(chunks[stolen]), dtype=np.float32)
                        if progress is not None:
                            progress(len(chunks[stolen]))
                        harvest()
                        continue
                    # Nothing left to take: every chunk not encoded here has been submitted.
                    outstanding = [f for i, f in dispatch.submitted() if i not in harvested]
                    if not outstanding:
                        break
                    wait(outstanding, return_when=FIRST_COMPLETED)
                    harvest()
            finally:
                dispatch.stop()
            dispatch.raise_failure()
        return np.ascontiguousarray(np.vstack([r for r in results if r is not None]), dtype=np.float32)

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """Any failure tears the pool down (without waiting for running chunks) and is reported."""
        try:
            yield
        except EncoderPoolError:
            self._terminate()
            raise
        except BrokenProcessPool as exc:
            self._terminate()
            raise EncoderPoolError(f"编码进程异常退出或无法加载编码器（{self.spec.kind}）：{exc}") from exc
        except Exception as exc:
            self._terminate()
            raise EncoderPoolError(f"编码进程出错：{type(exc).__name__}: {exc}") from exc
        except BaseException:  # KeyboardInterrupt
            self._terminate()
            raise

    # -- lifecycle -------------------------------------------------------------------------------
    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=mp.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.spec, os.getpid(), self._worker_state()),
            )
        return self._executor

    def _worker_state(self) -> bytes | None:
        """What the local encoder lets workers reuse (``worker_state``: USE's parsed tokenizer),
        when the workers build an encoder of the same kind."""
        offer = getattr(self.local, "worker_state", None)
        if offer is None or self.spec.factory is not None or getattr(self.local, "name", None) != self.spec.kind:
            return None
        state = offer()
        return state if isinstance(state, bytes) else None

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (empty before the first parallel encode)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return sorted(processes)

    def _terminate(self) -> None:
        """Stop now: kill the workers instead of waiting for their running chunks."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            if process.is_alive():
                process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProcessPoolEncoder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._terminate()


class _Dispatch:
    """Hands ``chunks`` out from both ends: worker processes get them from the front, the caller
    takes them from the back (``take_last``).

    At most ``depth`` chunks are with the executor and not finished; a feeder thread submits the
    next front chunk as one finishes. A chunk handed to ``ProcessPoolExecutor`` sits in its call
    queue where it can no longer be cancelled, so submitting everything up front (as this pool did)
    left the one worker of a two-encoder pool holding up to three chunks at the end that the caller
    could not take, and the caller waited for them. With ``depth`` = one per worker process the
    caller waits at most for the chunk a worker is running. The feeder sleeps in ``wait`` between
    chunks (it needs the GIL only to submit), so it does not slow the caller's encoding."""

    def __init__(self, executor: ProcessPoolExecutor, chunks: list[list[str]], depth: int) -> None:
        self.executor, self.chunks = executor, chunks
        self._lock = threading.Lock()
        self._front, self._back = 0, len(chunks)
        self._futures: dict[int, Future[tuple[str, np.ndarray]]] = {}
        self._failure: BaseException | None = None
        self._stopped = threading.Event()
        with self._lock:
            for _ in range(max(1, depth)):
                self._submit_next()
        self._feeder: threading.Thread | None = None
        if self._front < self._back:
            self._feeder = threading.Thread(target=self._feed, name="leian-encoder-feeder", daemon=True)
            self._feeder.start()

    def _submit_next(self) -> bool:
        """Submit the front chunk (lock held); False when none is left."""
        if self._front >= self._back:
            return False
        i, self._front = self._front, self._front + 1
        self._futures[i] = self.executor.submit(_encode_chunk, self.chunks[i])
        return True

    def _feed(self) -> None:
        """Keep the depth: one new front chunk for each finished one, until none is left."""
        with self._lock:
            running = set(self._futures.values())
        try:
            while running and not self._stopped.is_set():
                done, running = wait(running, timeout=1.0, return_when=FIRST_COMPLETED)
                with self._lock:
                    for future in done:
                        if future.cancelled() or future.exception() is not None:
                            return  # the caller sees the failure on that future
                        if self._submit_next():
                            running.add(self._futures[self._front - 1])
        except BaseException as exc:  # e.g. submitting to a broken or shut-down pool
            with self._lock:
                self._failure = exc

    def take_last(self) -> int | None:
        """The last chunk nobody has yet (for the caller), or None."""
        with self._lock:
            if self._front >= self._back:
                return None
            self._back -= 1
            return self._back

    def submitted(self) -> list[tuple[int, Future[tuple[str, np.ndarray]]]]:
        with self._lock:
            return list(self._futures.items())

    def stop(self) -> None:
        """Stop feeding (after the last chunk, or when the caller fails) and join the feeder."""
        self._stopped.set()
        with self._lock:
            self._back = self._front  # nothing more is submitted
        if self._feeder is not None and self._feeder is not threading.current_thread():
            self._feeder.join()

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise EncoderPoolError(f"编码进程出错：{type(self._failure).__name__}: {self._failure}") from self._failure


def _encode_local(
    encoder: Encoder, texts: Sequence[str], progress: ProgressFn | None, batch_size: int = 256
) -> np.ndarray:
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        out[start : start + len(batch)] = encoder.encode(batch)
        if progress is not None:
            progress(len(batch))
    return out


def _encode_in_thread(encoder: Encoder, texts: list[str], batch_size: int) -> PendingVectors:
    """Encode batch by batch on a background thread; waiting reports progress on the caller's thread.

    The encoders' heavy steps are NumPy/BLAS (or torch) calls that release the GIL, so the caller's
    own work meanwhile (segmentation during an import) runs on another core.
    """
    result: list[np.ndarray] = []
    done: queue.Queue[int | BaseException | None] = queue.Queue()

    def run() -> None:
        try:
            result.append(_encode_local(encoder, texts, done.put, batch_size))
            done.put(None)
        except BaseException as exc:  # handed to the waiting caller
            done.put(exc)

    threading.Thread(target=run, name="leian-encode", daemon=True).start()

    def wait(progress: ProgressFn | None) -> np.ndarray:
        while (item := done.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            if progress is not None:
                progress(item)
        return result[0]

    return wait


def start_encoding(encoder: Encoder, texts: Sequence[str], batch_size: int = 256) -> PendingVectors:
    """Start encoding ``texts`` (in order) and return at once; calling the result waits for the
    vectors. A pool encodes in its worker processes, any other encoder on a background thread."""
    if isinstance(encoder, ProcessPoolEncoder):
        return encoder.submit(texts)
    texts = list(texts)
    if not texts:
        return lambda progress: np.zeros((0, encoder.dim), dtype=np.float32)
    return _encode_in_thread(encoder, texts, batch_size)


def encode_all(
    encoder: Encoder, texts: Sequence[str], batch_size: int = 256, progress: ProgressFn | None = None
) -> np.ndarray:
    """``start_encoding`` and wait."""
    return start_encoding(encoder, texts, batch_size)(progress)
