"""The evaluation engine: encode and segment once, then rank with bm25, dense and hybrid.

Uses the product's own parts (Segmenter, encoder, BM25Index, vector backend, ``fuse``) with the
current settings, so the figures describe what the service would do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexing.encoders import Encoder, create_encoder
from indexing.fusion import fuse
from indexing.lexical import BM25Index
from indexing.segment import Segmenter
from indexing.vectors import VectorIndex, create_index
from kb.settings import Settings

SYSTEMS = ("bm25", "dense", "hybrid")
# A tracker opens a progress display for ``total`` steps and yields an object with ``update(n)``.
Tracker = Callable[[str, int], AbstractContextManager[Any]]


class _Silent:
    def update(self, n: int) -> None:
        pass


@contextmanager
def silent(label: str, total: int) -> Iterator[_Silent]:
    yield _Silent()


@dataclass
class Index:
    """One searchable collection: row positions are the ids used by both indexes."""

    vectors: np.ndarray
    tokens: list[list[str]]
    bm25: BM25Index
    dense: VectorIndex


class Engine:
    def __init__(
        self,
        settings: Settings,
        encoder: Encoder | None = None,
        segmenter: Segmenter | None = None,
        tracker: Tracker = silent,
    ) -> None:
        self.settings = settings
        self.encoder = encoder or create_encoder(settings.encoder, settings.encoder_model, settings.threads)
        self.segmenter = segmenter or Segmenter(settings.userdicts, settings.stopwords)
        self.tracker = tracker

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "encoder": self.encoder.name,
            "fusion": s.fusion,
            "dense_weight": s.dense_weight,
            "backend": s.index_backend,
        }

    def encode(self, texts: Sequence[str], label: str = "编码", batch: int = 64) -> np.ndarray:
        parts = []
        with self.tracker(label, len(texts)) as bar:
            for start in range(0, len(texts), batch):
                chunk = list(texts[start : start + batch])
                parts.append(self.encoder.encode(chunk))
                bar.update(len(chunk))
        return np.vstack(parts) if parts else np.zeros((0, self.encoder.dim), np.float32)

    def segment(self, texts: Sequence[str], label: str = "分词") -> list[list[str]]:
        out = []
        with self.tracker(label, len(texts)) as bar:
            for text in texts:
                out.append(self.segmenter.tokens(text))
                bar.update(1)
        return out

    def index(self, vectors: np.ndarray, tokens: Sequence[Sequence[str]]) -> Index:
        """Index rows 0..n-1 in a fresh vector backend and BM25 (no re-encoding)."""
        s = self.settings
        options = {"factory": s.index_factory} if s.index_backend == "faiss" else {}
        dense = create_index(s.index_backend, vectors.shape[1], **options)
        dense.add(np.arange(vectors.shape[0], dtype=np.int64), vectors)
        bm25 = BM25Index()
        bm25.add_many(enumerate(tokens))
        bm25.compact()
        return Index(vectors, [list(t) for t in tokens], bm25, dense)

    def rank(
        self,
        index: Index,
        vector: np.ndarray,
        tokens: Sequence[str],
        system: str,
        depth: int,
        allowed: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """(row, score) best first for one query under ``system`` (bm25, dense or hybrid)."""
        if allowed is not None:
            depth = min(depth, allowed.shape[0])
        depth = max(1, min(depth, index.vectors.shape[0]))
        empty = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        dense = lexical = empty
        if system in ("dense", "hybrid"):
            scores, ids = index.dense.search(vector[None, :], depth, allowed)
            keep = ids[0] >= 0
            dense = (ids[0][keep], scores[0][keep])
        if system in ("bm25", "hybrid"):
            lexical = index.bm25.top_k(tokens, depth, allowed)
        if system == "dense":
            return list(zip(dense[0].tolist(), dense[1].tolist(), strict=True))
        if system == "bm25":
            return list(zip(lexical[0].tolist(), lexical[1].tolist(), strict=True))
        fused = fuse(*dense, *lexical, method=self.settings.fusion, dense_weight=self.settings.dense_weight)
        return [(f.id, f.score) for f in fused]
