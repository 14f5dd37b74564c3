"""The derived search state of the knowledge base: vector index + BM25, kept in step with SQLite.

SQLite holds the texts, tokens and embeddings; this class only mirrors them in memory and on disk.
The saved vector index records the encoder, dimension, backend and the database's write
generation it reflects: when any of those differ at start-up the index is rebuilt from the stored
vectors.

Every write bumps the generation inside its transaction and then reports it with ``apply``,
``remove`` or ``mark_applied``. Writers may finish out of order, so the index keeps a *watermark*:
the highest generation up to which every write is in memory. Saves stamp the watermark, never the
database's current value, so a crash between a commit and its index update is always detected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from indexing.encoders import Encoder
from indexing.lexical import BM25Index
from indexing.vectors import (
    IndexCorruptError,
    IndexMismatchError,
    VectorIndex,
    create_index,
    load_index,
    save_index,
)
from kb.errors import IndexStateError
from kb.settings import Settings
from kb.storage.cases import CaseRepository, bump_generation, read_generation
from kb.storage.db import Database

log = logging.getLogger(__name__)


class CaseIndex:
    def __init__(self, settings: Settings, db: Database, encoder: Encoder) -> None:
        self.settings, self.db, self.encoder = settings, db, encoder
        self.cases = CaseRepository(db)
        self.lexical = BM25Index()
        self.vectors: VectorIndex = self._new_vector_index()
        self.lock = threading.RLock()
        self.rebuilt_from_db = False
        self._watermark = 0
        self._applied: set[int] = set()
        # While a rebuild reads the database, writes are also logged here and replayed onto it.
        self._replay: list[tuple[str, Any, Any, Any]] | None = None

    # -- bookkeeping -------------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        return {"encoder": self.encoder.name, "dim": self.encoder.dim, "backend": self.settings.index_backend}

    def _new_vector_index(self) -> VectorIndex:
        return create_index(self.settings.index_backend, self.encoder.dim, **self.settings.index_options())

    def generation(self) -> int:
        return read_generation(self.db)

    @staticmethod
    def bump_generation(conn: Any) -> int:
        """Count one more write, inside the writer's transaction; returns its generation."""
        return bump_generation(conn)

    @property
    def watermark(self) -> int:
        return self._watermark

    def mark_applied(self, generation: int | None) -> None:
        """Record that the write of ``generation`` is reflected in memory (or needs nothing)."""
        if generation is None:
            return
        with self.lock:
            if generation > self._watermark:
                self._applied.add(generation)
            while self._watermark + 1 in self._applied:
                self._watermark += 1
                self._applied.discard(self._watermark)

    # -- start-up --------------------------------------------------------------------------------
    def open(self, strict: bool = False) -> None:
        """Load the saved index if it is current; otherwise rebuild it from the database.

        ``strict`` turns a fingerprint mismatch into an error (for ``leian serve`` without
        auto-rebuild); by default a mismatch is logged and repaired.
        """
        path = self.settings.index_path
        # A save cut short by a crash leaves only its temporary file behind: drop those.
        for leftover in path.parent.glob(path.name + ".*.tmp"):
            leftover.unlink(missing_ok=True)
        loaded = None
        generation = self.generation()
        if path.exists():
            try:
                fingerprint = {**self.fingerprint(), "generation": generation}
                loaded = load_index(path, fingerprint, **self.settings.index_options())
            except IndexMismatchError as exc:
                if strict and "generation" not in str(exc):
                    raise IndexStateError(str(exc)) from exc
                log.warning("vector index is stale, rebuilding from the database: %s", exc)
            except IndexCorruptError as exc:
                log.warning("vector index is damaged, rebuilding from the database: %s", exc)
        if loaded is None:
            self.rebuild(save=True)
            self.rebuilt_from_db = True
            return
        lexical = BM25Index()
        lexical.add_many(self.cases.all_tokens())
        lexical.compact()
        with self.lock:
            self.vectors, self.lexical = loaded, lexical
            self._watermark, self._applied = generation, set()

    def rebuild(self, save: bool = True, progress: Any = None, encoder: Encoder | None = None) -> int:
        """Rebuild both indexes from the database, encoding only cases without a stored vector.

        ``encoder`` (same name and vectors as ``self.encoder``, e.g. a worker pool) encodes them.

        The database is read without holding the index lock (writers hold the database lock and
        then take the index lock, so the opposite order could deadlock); writes that land
        meanwhile are replayed onto the new indexes before they replace the old ones.
        """
        generation = self.generation()
        with self.lock:
            self._replay = []
        try:
            ids, matrix, stale = self.cases.load_vectors(self.encoder.name, self.encoder.dim)
            if stale:
                self._encode_and_store(stale, progress, encoder or self.encoder)
                ids, matrix, stale = self.cases.load_vectors(self.encoder.name, self.encoder.dim)
            index = self._new_vector_index()
            index.add(ids, matrix)
            lexical = BM25Index()
            lexical.add_many(self.cases.all_tokens())
            lexical.compact()
            with self.lock:
                for op, op_ids, vectors, tokens in self._replay or []:
                    _apply_to(index, lexical, op, op_ids, vectors, tokens)
                self.vectors, self.lexical = index, lexical
                self._watermark = max(self._watermark, generation)
                self.mark_applied(self._watermark)
        finally:
            with self.lock:
                self._replay = None
        if save:
            self.save()
        return len(index)

    def _encode_and_store(self, stale: Sequence[int], progress: Any, encoder: Encoder) -> None:
        # Each batch commits on its own; a worker pool gets a batch per worker so none waits long.
        batch = 256 * int(getattr(encoder, "workers", 1))
        for start in range(0, len(stale), batch):
            chunk = list(stale[start : start + batch])
            cases = self.cases.get_many(chunk)
            hashes = self.cases.hashes_for(chunk)
            vecs = encoder.encode([cases[c].text for c in chunk])
            with self.db.transaction() as conn:
                self.cases.save_vectors(conn, self.encoder.name, [(c, hashes[c], vecs[i]) for i, c in enumerate(chunk)])
            if progress is not None:
                progress(len(chunk))

    def save(self) -> None:
        """Save atomically, stamped with the watermark (never reads the database: no lock-order risk)."""
        with self.lock:
            stamp = {**self.fingerprint(), "generation": self._watermark}
            save_index(self.vectors, self.settings.index_path, stamp)

    def nearest(self, vectors: np.ndarray, k: int) -> np.ndarray:
        """Ids of the ``k`` nearest indexed vectors per row (-1 pads), read under the index lock."""
        with self.lock:
            _, found = self.vectors.search(vectors, k, None)
        return np.asarray(found)

    # -- updates ---------------------------------------------------------------------------------
    def _do(self, op: str, ids: Sequence[int], vectors: Any, tokens: Any, generation: int | None) -> None:
        with self.lock:
            _apply_to(self.vectors, self.lexical, op, ids, vectors, tokens)
            if self._replay is not None:
                self._replay.append((op, list(ids), vectors, tokens))
            self.mark_applied(generation)

    def apply(
        self, ids: Sequence[int], vectors: np.ndarray, tokens: Sequence[Sequence[str]], generation: int | None = None
    ) -> None:
        self._do("add", ids, vectors, tokens, generation)

    def remove(self, ids: Sequence[int], generation: int | None = None) -> None:
        self._do("remove", ids, None, None, generation)


def _apply_to(vectors: VectorIndex, lexical: BM25Index, op: str, ids: Sequence[int], matrix: Any, tokens: Any) -> None:
    if op == "add":
        vectors.add(np.asarray(ids, dtype=np.int64), matrix)
        for case_id, toks in zip(ids, tokens, strict=True):
            lexical.add(int(case_id), toks)
    else:
        vectors.remove(np.asarray(ids, dtype=np.int64))
        lexical.remove(ids)
