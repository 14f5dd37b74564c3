"""A hybrid index over published model cases, separate from the case index.

Each model case contributes several *entries*: its own text (title, summary, category, tags) and the
stored text of each of its source cases. A petition matches a model case through whichever entry is
closest, so a model case written in policy language is still found by the letters it came from.
Entry ids are ``model_case_id * ENTRY_SLOTS + slot``. The library is small (thousands), so the
vector side is the exact NumPy index; it lives in memory and is rebuilt from the database on first
use, and again when the published generation (``ModelCaseRepository.published_generation``) moved
without this process: another API worker (or a CLI command) published or retired a model case.
This process's own publish and retire update the index in place.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from indexing.display import shown
from indexing.encoders import Encoder
from indexing.lexical import BM25Index
from indexing.segment import Segmenter
from indexing.vectors import VectorIndex, create_index
from kb.modelcases.domain import ModelCase
from kb.modelcases.store import ModelCaseRepository
from kb.storage.cases import CaseRepository

ENTRY_SLOTS = 64


@dataclass
class Ranked:
    """Per model case: best dense and best BM25 score over its entries (None = not retrieved)."""

    dense: dict[int, float]
    lexical: dict[int, float]


class ModelCaseIndex:
    def __init__(
        self, repo: ModelCaseRepository, cases: CaseRepository, encoder: Encoder, segmenter: Segmenter
    ) -> None:
        self.repo, self.cases, self.encoder, self.segmenter = repo, cases, encoder, segmenter
        self.lock = threading.RLock()
        self.vectors: VectorIndex = create_index("exact", encoder.dim)
        self.lexical = BM25Index()
        self.terms: dict[int, set[str]] = {}
        self.meta: dict[int, ModelCase] = {}
        self.ready = False
        self.generation = -1  # the published generation the index holds

    def __len__(self) -> int:
        return len(self.meta)

    def ensure(self) -> None:
        """Build on first use; rebuild when another process changed what is published."""
        if self.ready and self.repo.published_generation() == self.generation:
            return
        with self.lock:  # the requests that found it stale wait for one rebuild
            if not self.ready or self.repo.published_generation() != self.generation:
                self.rebuild()

    def rebuild(self) -> int:
        with self.lock:
            # Read before the data: a publish in between makes the next ``ensure`` rebuild again,
            # never keeps a stale index.
            self.generation = self.repo.published_generation()
            self.vectors = create_index("exact", self.encoder.dim)
            self.lexical = BM25Index()
            self.terms, self.meta = {}, {}
            self._put_many(self.repo.published())
            self.lexical.compact()
            self.ready = True
            return len(self.meta)

    def put(self, items: Iterable[ModelCase], generation: int | None = None) -> None:
        """Index (or re-index) published versions; no-op until the index is first built.
        ``generation`` is the published generation this process's write produced."""
        with self.lock:
            if self.ready:
                self._put_many(list(items))
                self._caught_up(generation)

    def drop(self, mc_ids: Sequence[int], generation: int | None = None) -> None:
        with self.lock:
            if not self.ready:
                return
            self._drop(mc_ids)
            self._caught_up(generation)

    def _caught_up(self, generation: int | None) -> None:
        """After an in-place update: the index holds ``generation`` only if nobody else wrote between
        the generation it held and this write; otherwise the next ``ensure`` rebuilds."""
        if generation is not None and generation == self.generation + 1:
            self.generation = generation

    def _drop(self, mc_ids: Sequence[int]) -> None:
        with self.lock:
            entries = [m * ENTRY_SLOTS + s for m in mc_ids for s in range(ENTRY_SLOTS)]
            self.vectors.remove(np.asarray(entries, dtype=np.int64))
            self.lexical.remove(entries)
            for m in mc_ids:
                self.terms.pop(m, None)
                self.meta.pop(m, None)

    def _put_many(self, items: list[ModelCase]) -> None:
        if not items:
            return
        self._drop([m.id for m in items])
        own = self._own_vectors(items)
        entry_ids: list[int] = []
        entry_vecs: list[np.ndarray] = []
        sources = sorted({c for m in items for c in m.data.source_case_ids[: ENTRY_SLOTS - 1]})
        src_vecs = self.cases.vectors_for(self.encoder.name, sources) if sources else {}
        src_tokens = self.cases.tokens_for(sources) if sources else {}
        for mc, vec in zip(items, own, strict=True):
            base = mc.id * ENTRY_SLOTS
            tokens = self.segmenter.tokens(mc.index_text)
            entry_ids.append(base)
            entry_vecs.append(vec)
            self.lexical.add(base, tokens)
            terms = set(tokens)
            for slot, case_id in enumerate(mc.data.source_case_ids[: ENTRY_SLOTS - 1], start=1):
                if case_id in src_vecs and len(src_vecs[case_id]) == self.encoder.dim:
                    entry_ids.append(base + slot)
                    entry_vecs.append(src_vecs[case_id])
                if case_id in src_tokens:
                    self.lexical.add(base + slot, src_tokens[case_id])
                    terms.update(src_tokens[case_id])
            self.terms[mc.id] = terms
            self.meta[mc.id] = mc
        self.vectors.add(np.asarray(entry_ids, dtype=np.int64), np.vstack(entry_vecs))

    def _own_vectors(self, items: list[ModelCase]) -> list[np.ndarray]:
        """Embeddings of the model cases' own texts: stored ones reused, missing ones encoded and kept."""
        hashes = [content_hash(m.dense_text) for m in items]
        stored = self.repo.vectors_by_hash(self.encoder.name, hashes, self.encoder.dim)
        missing = sorted({h for h in hashes if h not in stored})
        if missing:
            text_of = {h: m.dense_text for h, m in zip(hashes, items, strict=True)}
            fresh = self.encoder.encode([text_of[h] for h in missing])
            new = list(zip(missing, fresh, strict=True))
            self.repo.save_vectors(self.encoder.name, new)
            stored.update(new)
        return [stored[h] for h in hashes]

    def rank(self, vector: np.ndarray | None, tokens: Sequence[str], depth: int) -> Ranked:
        """Best entry score per model case on each side, each side cut to its ``depth`` best cases."""
        self.ensure()
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        with self.lock:
            n_entries = len(self.vectors)
            if vector is not None and n_entries:
                scores, ids = self.vectors.search(vector[None, :], min(n_entries, depth * 4))
                for e, s in zip(ids[0].tolist(), scores[0].tolist(), strict=True):
                    if e >= 0:
                        m = e // ENTRY_SLOTS
                        dense[m] = max(dense.get(m, -1.0), float(s))
            if tokens:
                ids_l, scores_l = self.lexical.top_k(tokens, depth * 4)
                for e, s in zip(ids_l.tolist(), scores_l.tolist(), strict=True):
                    m = e // ENTRY_SLOTS
                    lexical[m] = max(lexical.get(m, 0.0), float(s))
        return Ranked(_top(dense, depth), _top(lexical, depth))

    def key_terms(self, mc_id: int, query_tokens: Sequence[str], limit: int = 8) -> list[str]:
        shared = set(shown(set(query_tokens) & self.terms.get(mc_id, set())))
        return sorted(shared, key=lambda t: (-self.lexical.idf(t), t))[:limit]


def content_hash(text: str) -> str:
    """The same hash as the case store's, so identical texts share one stored vector."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _top(scores: dict[int, float], depth: int) -> dict[int, float]:
    return dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:depth])
