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
  ``workers`` processes are spawned. Chunks are small (about eight per encoder) so the last one,
  wherever it runs, ends soon after the rest.
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


def _init_worker(spec: EncoderSpec, parent_pid: int) -> None:
    global _worker_encoder
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(spec.threads)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
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
        """About eight chunks per encoder (load balance, the caller's share, progress), within
        [min_chunk, max_chunk]."""
        return max(self.min_chunk, min(self.max_chunk, math.ceil(n / (self.workers * 8))))

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
            executor = self._start()
            futures = [executor.submit(_encode_chunk, chunk) for chunk in chunks]
        return lambda progress: self._collect(chunks, futures, progress)

    def _collect(
        self, chunks: list[list[str]], futures: list[Future[tuple[str, np.ndarray]]], progress: ProgressFn | None
    ) -> np.ndarray:
        """The chunks' vectors in order; with ``steal``, this process encodes the chunks no worker
        has started, last first, while it waits."""
        results: list[np.ndarray | None] = [None] * len(chunks)
        pending = dict(enumerate(futures))

        def harvest() -> None:
            for i in [i for i, future in pending.items() if future.done()]:
                name, vectors = pending.pop(i).result()  # raises the worker's error
                if name != self.name:
                    raise EncoderPoolError(f"编码进程使用的编码器 {name} 与本进程的 {self.name} 不一致")
                results[i] = vectors
                if progress is not None:
                    progress(len(vectors))

        with self._failures():
            while pending:
                # A future no worker has taken yet can be cancelled: this process encodes it instead.
                stolen = next((i for i in reversed(pending) if pending[i].cancel()), None) if self.steal else None
                if stolen is None:
                    wait(list(pending.values()), return_when=FIRST_COMPLETED)
                else:
                    del pending[stolen]
                    results[stolen] = np.asarray(self.local.encode(chunks[stolen]), dtype=np.float32)
                    if progress is not None:
                        progress(len(chunks[stolen]))
                harvest()
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
                initargs=(self.spec, os.getpid()),
            )
        return self._executor

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
