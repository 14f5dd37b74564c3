"""Encoding the first part of an import while the rest of the file is still being validated.

``CaseService.ingest`` validates the whole file before it writes anything, and used to start
encoding only once validation had ended. With an in-process encoder the encoding runs on a
background thread anyway (its BLAS / onnxruntime calls release the GIL), so the rows of the first
part are handed to that thread as soon as they are validated: validation, the changed-row checks
and the scratch-store writes then run on the other core instead of before the encoding (issue 20,
item 2: in-process ingest against the raw encoder).

The vectors are exactly those of the normal path: the thread encodes the same texts in the same
``batch_size`` slices (an encoder's output may depend on its batch, e.g. int8 activation scales),
and they are used only when the part's texts to encode turn out to be exactly the ones fed (else the
normal path encodes them). Only the first part (``limit`` rows) is encoded ahead, so what is held
here stays bounded whatever the file size; an invalid file stops it after the batch in hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from indexing.encoders import Encoder

ProgressFn = Callable[[int], None]


class EncodeAhead:
    def __init__(self, encoder: Encoder, limit: int, batch_size: int) -> None:
        self.encoder, self.limit, self.batch_size = encoder, limit, max(1, batch_size)
        self._fed: list[tuple[int, str]] = []  # (stage seq, text) in file order
        self._next = 0  # first fed item not yet started
        self._batches: list[np.ndarray] = []  # encoded slices, in order
        self._cond = threading.Condition()
        self._ended = False  # no more rows will be fed
        self._stopped = False
        self._failed = False
        self._thread: threading.Thread | None = None

    def feed(self, items: Sequence[tuple[int, str]]) -> None:
        """(stage seq, text) of rows to encode, in file order; rows at or beyond ``limit`` are not."""
        items = [item for item in items if item[0] < self.limit]
        if not items or self._stopped:
            return
        with self._cond:
            self._fed.extend(items)
            self._cond.notify_all()
        if self._thread is None and len(self._fed) >= self.batch_size:
            self._start()

    def end(self) -> None:
        """Validation is over: the last, shorter slice may be encoded."""
        with self._cond:
            self._ended = True
            self._cond.notify_all()
        if self._thread is None and self._fed and not self._stopped:
            self._start()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="leian-encode-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and len(self._fed) - self._next < self.batch_size and not self._ended:
                    self._cond.wait()
                if self._stopped or self._next >= len(self._fed):
                    return
                batch = self._fed[self._next : self._next + self.batch_size]
                self._next += len(batch)
            try:
                vectors = np.asarray(self.encoder.encode([text for _, text in batch]), dtype=np.float32)
            except BaseException:  # the normal path encodes these rows again and reports the error
                with self._cond:
                    self._failed = self._stopped = True
                    self._cond.notify_all()
                return
            with self._cond:
                self._batches.append(vectors)
                self._cond.notify_all()

    def take(self, items: Sequence[tuple[int, str]], progress: ProgressFn | None = None) -> np.ndarray | None:
        """The vectors of ``items`` (waiting for them, reporting progress per slice) when they are
        exactly the rows fed, else None (the caller encodes them). Ends the encoding ahead."""
        try:
            if not items or list(items) != self._fed:
                return None
            out: list[np.ndarray] = []
            for k in range(0, len(items), self.batch_size):
                with self._cond:
                    while len(self._batches) <= k // self.batch_size and not self._stopped:
                        self._cond.wait()
                    if self._failed or len(self._batches) <= k // self.batch_size:
                        return None
                    part = self._batches[k // self.batch_size]
                if progress is not None:
                    progress(len(part))
                out.append(part)
            return np.vstack(out)
        finally:
            self.close()

    def close(self) -> None:
        """Stop after the slice in hand (an invalid file) and drop what was encoded."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._fed, self._batches = [], []
