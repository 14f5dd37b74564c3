"""A deterministic character n-gram hashing encoder: no model, for tests and smoke runs."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from indexing.encoders.base import l2_normalize


class HashingEncoder:
    """Bag of character bigrams hashed into ``dim`` buckets (signed), then L2-normalised.

    Not a semantic model: similar wording gives similar vectors, which is all that tests of
    storage, indexing and fusion need.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = [text[i : i + 2] for i in range(max(1, len(text) - 1))]
            for gram in grams:
                h = zlib.crc32(gram.encode("utf-8"))
                out[row, h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        return l2_normalize(out)
