"""The evaluation engine: encode and segment once, then rank with bm25, dense and hybrid.

Uses the product's own parts with the current settings: the Segmenter, the encoder, a vector index
built with the service's backend options, ``BM25Index``, and the service's ranking path
(``kb.search.rank``) with its candidate depth, so the figures describe what the service does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexing.encoders import Encoder, create_encoder
from indexing.lexical import BM25Index
from indexing.segment import Segmenter
from indexing.vectors import VectorIndex, create_index
from kb.search import EVAL_SYSTEMS, Query, make_queries
from kb.search import rank as product_rank
from kb.settings import NEW_DIRECTORY_ENCODER, Settings

# The product modes lexical / dense / hybrid under their evaluation names (kb.search.EVAL_SYSTEMS).
SYSTEMS = tuple(EVAL_SYSTEMS)
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
        # No data directory to keep an encoder of: "auto" is the new directories' encoder.
        name = NEW_DIRECTORY_ENCODER if settings.encoder == "auto" else settings.encoder
        self.encoder = encoder or create_encoder(name, settings.encoder_model, settings.threads)
        self.segmenter = segmenter or Segmenter(
            settings.userdicts,
            settings.stopwords,
            bundled_stopwords=settings.bundled_stopwords,
            backend=settings.segmenter,
            synonyms=settings.synonyms,
        )
        self.tracker = tracker

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "encoder": self.encoder.name,
            "fusion": s.fusion,
            "dense_weight": s.dense_weight,
            "backend": s.index_backend,
            "candidate_depth": s.candidate_depth,
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

    def queries(self, texts: Sequence[str], label: str = "编码 查询") -> list[Query]:
        """Typed queries exactly as the service builds them (``kb.search.make_queries``)."""
        return make_queries(self.segmenter, lambda t: self.encode(t, label), texts)

    def index_options(self) -> dict[str, object]:
        """The service's vector-index options; Milvus gets a collection of its own (``<name>_eval``).

        A fresh Milvus index drops its collection, so evaluating must never point at the product's.
        """
        options = self.settings.index_options()
        if self.settings.index_backend == "milvus":
            options["collection"] = f"{options.get('collection') or 'leian_cases'}_eval"
        return options

    def index(self, vectors: np.ndarray, tokens: Sequence[Sequence[str]]) -> Index:
        """Index rows 0..n-1 in a fresh vector backend and BM25 (no re-encoding)."""
        dense = create_index(self.settings.index_backend, vectors.shape[1], **self.index_options())
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
        k: int,
        allowed: np.ndarray | None = None,
        *,
        exclude: int | None = None,
        depth: int | None = None,
        extra: Mapping[str, float] | None = None,
        expand_short: bool = False,
    ) -> list[tuple[int, float]]:
        """The service's top-``k`` (row, score) for one query under ``system`` (bm25, dense or hybrid).

        Exactly ``kb.search.rank`` as the service's search calls it: candidate depth
        ``settings.candidate_depth`` unless ``depth`` is given, ``exclude`` a row as a by-case
        query excludes its own case, ``allowed`` as an allow-list; the score is the hit's score.
        """
        s = self.settings
        fused = product_rank(
            index.dense,
            index.bm25,
            vector,
            tokens,
            k=k,
            depth=s.candidate_depth if depth is None else depth,
            mode=system,
            method=s.fusion,
            dense_weight=s.dense_weight,
            allowed=allowed,
            exclude_id=exclude,
            extra=extra,
            expand_short=expand_short,
        )
        return [(f.id, f.score) for f in fused]
