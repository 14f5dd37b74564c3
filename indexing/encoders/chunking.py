"""Long-text handling on top of any encoder: mean of chunk embeddings (or plain truncation)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexing.encoders.base import Encoder, l2_normalize


def split_chunks(text: str, chunk_chars: int, max_chunks: int) -> list[str]:
    """Consecutive ``chunk_chars``-character pieces of ``text``, at most ``max_chunks`` of them."""
    pieces = [text[i : i + chunk_chars] for i in range(0, len(text), chunk_chars)][:max_chunks]
    return pieces or [text]


class ChunkedEncoder:
    """Wrap an encoder so that a long text becomes the normalised mean of its chunk embeddings.

    Keeps the encoder contract (name, dim, normalised ``encode``); the name records the chunking
    so that stored vectors from a truncating encoder are never mixed with chunked ones.
    """

    def __init__(self, base: Encoder, chunk_chars: int = 512, max_chunks: int = 8) -> None:
        self.base, self.chunk_chars, self.max_chunks = base, chunk_chars, max_chunks
        self.dim = base.dim
        self.name = f"{base.name}+chunk{chunk_chars}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        owners: list[int] = []
        pieces: list[str] = []
        for row, text in enumerate(texts):
            chunks = split_chunks(text, self.chunk_chars, self.max_chunks)
            pieces.extend(chunks)
            owners.extend([row] * len(chunks))
        vectors = self.base.encode(pieces)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        np.add.at(out, np.asarray(owners), vectors)
        return l2_normalize(out)
