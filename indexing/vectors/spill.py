"""Float32 rows kept in a temporary file and read back a block at a time.

An import keeps one vector per row until its single transaction commits (``kb.cases.stage_store``).
It used to keep them in a ``numpy.memmap``: every page the import writes or reads stays mapped
into the process, and the kernel counts mapped file pages in its resident set, so the peak RSS of
``leian ingest`` grew by 2 KB per row of a 512-d encoder (2 GB at 1,000,000 rows) although no
Python object held them. ``SpilledRows`` writes and reads with ``pwrite``/``preadv`` instead: the
data passes through the page cache (which the kernel reclaims as it needs) and only the block a
caller asked for is in the process's memory.

Indexing as an array reads: ``rows[i]`` one row, ``rows[a:b]`` a contiguous block, ``rows[[i, j,
…]]`` any positions (grouped into contiguous runs, one read each); ``rows[a:b] = block`` writes.
Every read returns a new, writable array. ``head(n)`` is a view of the first ``n`` rows that shares
the file (for callers that take the array's ``shape`` and read it in blocks themselves).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np


class SpilledRows:
    def __init__(self, n: int, dim: int, *, _file: BinaryIO | None = None) -> None:
        self.shape = (int(n), int(dim))
        self._row_bytes = int(dim) * 4
        self._owner = _file is None
        self._file: BinaryIO | None = _file or tempfile.TemporaryFile(prefix="leian-rows-")  # noqa: SIM115
        if self._owner:
            self._file.truncate(self.shape[0] * self._row_bytes)  # sparse: nothing is written yet

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float32)

    def _fd(self) -> int:
        if self._file is None:
            raise ValueError("SpilledRows is closed")
        return self._file.fileno()

    def _check(self, start: int, stop: int) -> None:
        if not 0 <= start <= stop <= self.shape[0]:
            raise IndexError(f"rows {start}:{stop} outside 0:{self.shape[0]}")

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start`` to ``stop`` (exclusive) as a new array."""
        self._check(start, stop)
        out = np.empty((stop - start, self.shape[1]), dtype=np.float32)
        if not out.size:
            return out
        view, offset = out.data.cast("B"), start * self._row_bytes
        while view.nbytes:
            got = os.preadv(self._fd(), [view], offset)
            if got <= 0:
                raise OSError(f"short read of spilled rows at byte {offset}")
            view, offset = view[got:], offset + got
        return out

    def write(self, start: int, rows: np.ndarray) -> None:
        """Store ``rows`` from position ``start`` on."""
        block = np.ascontiguousarray(rows, dtype=np.float32).reshape(-1, self.shape[1])
        self._check(start, start + block.shape[0])
        if not block.size:
            return
        view, offset = block.data.cast("B"), start * self._row_bytes
        while view.nbytes:
            done = os.pwrite(self._fd(), view, offset)
            view, offset = view[done:], offset + done

    def take(self, positions: Sequence[int] | np.ndarray) -> np.ndarray:
        """The rows at ``positions``, in that order; one read per run of consecutive positions."""
        pos = np.asarray(positions, dtype=np.int64).reshape(-1)
        out = np.empty((pos.shape[0], self.shape[1]), dtype=np.float32)
        if not pos.shape[0]:
            return out
        if pos.min() < 0 or pos.max() >= self.shape[0]:
            raise IndexError(f"positions outside 0:{self.shape[0]}")
        order = np.argsort(pos, kind="stable")
        ordered = pos[order]
        breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
        for run in np.split(np.arange(ordered.shape[0]), breaks):  # consecutive positions, one read each
            first = int(ordered[run[0]])
            out[order[run]] = self.read(first, first + run.shape[0])
        return out

    def head(self, n: int) -> SpilledRows:
        """A view of the first ``n`` rows over the same file (closing it leaves the file open)."""
        self._check(0, n)
        return SpilledRows(n, self.shape[1], _file=self._file)

    def __getitem__(self, key: int | slice | Sequence[int] | np.ndarray) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            if step != 1:
                return self.take(np.arange(start, stop, step))
            return self.read(start, max(start, stop))
        if isinstance(key, (int, np.integer)):
            i = int(key) + (self.shape[0] if key < 0 else 0)
            return self.read(i, i + 1)[0]
        return self.take(key)

    def __setitem__(self, key: slice, rows: np.ndarray) -> None:
        start, stop, step = key.indices(self.shape[0])
        if step != 1:
            raise IndexError("spilled rows are written in contiguous blocks")
        block = np.asarray(rows, dtype=np.float32).reshape(-1, self.shape[1])
        if block.shape[0] != stop - start:
            raise ValueError(f"{block.shape[0]} rows for positions {start}:{stop}")
        self.write(start, block)

    def close(self) -> None:
        if self._file is not None and self._owner:
            self._file.close()
        self._file = None
