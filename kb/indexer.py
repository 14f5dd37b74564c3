"""The derived search state of the knowledge base: vector index + BM25, kept in step with SQLite.

SQLite holds the texts, tokens and embeddings; this class only mirrors them in memory and on disk.
The saved vector index records the encoder, dimension, backend and the database's write
generation: when any of those differ at start-up the index is rebuilt from the stored vectors.
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
from kb.storage.cases import CaseRepository
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

    # -- bookkeeping -------------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        return {"encoder": self.encoder.name, "dim": self.encoder.dim, "backend": self.settings.index_backend}

    def _new_vector_index(self) -> VectorIndex:
        options = {"factory": self.settings.index_factory} if self.settings.index_backend == "faiss" else {}
        return create_index(self.settings.index_backend, self.encoder.dim, **options)

    def generation(self) -> int:
        row = self.db.query_one("SELECT value FROM meta WHERE key = 'generation'")
        return int(row[0]) if row else 0

    @staticmethod
    def bump_generation(conn: Any) -> None:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # -- start-up --------------------------------------------------------------------------------
    def open(self, strict: bool = False) -> None:
        """Load the saved index if it is current; otherwise rebuild it from the database.

        ``strict`` turns a fingerprint mismatch into an error (for ``leian serve`` without
        auto-rebuild); by default a mismatch is logged and repaired.
        """
        path = self.settings.index_path
        loaded = None
        if path.exists():
            try:
                loaded = load_index(path, {**self.fingerprint(), "generation": self.generation()})
            except IndexMismatchError as exc:
                if strict and "generation" not in str(exc):
                    raise IndexStateError(str(exc)) from exc
                log.warning("vector index is stale, rebuilding from the database: %s", exc)
            except IndexCorruptError as exc:
                log.warning("vector index is damaged, rebuilding from the database: %s", exc)
        if loaded is not None:
            self.vectors = loaded
        else:
            self.rebuild(save=True)
            self.rebuilt_from_db = True
        self.lexical = BM25Index()
        self.lexical.add_many(self.cases.all_tokens())
        self.lexical.compact()

    def rebuild(self, save: bool = True, progress: Any = None) -> int:
        """Rebuild the vector index from stored embeddings, encoding only cases that lack one."""
        with self.lock:
            ids, matrix, stale = self.cases.load_vectors(self.encoder.name, self.encoder.dim)
            if stale:
                self._encode_and_store(stale, progress)
                ids, matrix, stale = self.cases.load_vectors(self.encoder.name, self.encoder.dim)
            index = self._new_vector_index()
            index.add(ids, matrix)
            self.vectors = index
            self.lexical = BM25Index()
            self.lexical.add_many(self.cases.all_tokens())
            self.lexical.compact()
            if save:
                self.save()
            return len(index)

    def _encode_and_store(self, stale: Sequence[int], progress: Any) -> None:
        batch = 256
        for start in range(0, len(stale), batch):
            chunk = list(stale[start : start + batch])
            cases = self.cases.get_many(chunk)
            rows = self.db.query(
                f"SELECT id, content_hash FROM cases WHERE id IN ({','.join('?' * len(chunk))})", chunk
            )
            hashes = {r["id"]: r["content_hash"] for r in rows}
            vecs = self.encoder.encode([cases[c].text for c in chunk])
            with self.db.transaction() as conn:
                self.cases.save_vectors(conn, self.encoder.name, [(c, hashes[c], vecs[i]) for i, c in enumerate(chunk)])
            if progress is not None:
                progress(len(chunk))

    def save(self) -> None:
        with self.lock:
            save_index(self.vectors, self.settings.index_path, {**self.fingerprint(), "generation": self.generation()})

    # -- updates ---------------------------------------------------------------------------------
    def apply(self, ids: Sequence[int], vectors: np.ndarray, tokens: Sequence[Sequence[str]]) -> None:
        with self.lock:
            self.vectors.add(np.asarray(ids, dtype=np.int64), vectors)
            for case_id, toks in zip(ids, tokens, strict=True):
                self.lexical.add(int(case_id), toks)

    def update_tokens(self, ids: Sequence[int], tokens: Sequence[Sequence[str]]) -> None:
        with self.lock:
            for case_id, toks in zip(ids, tokens, strict=True):
                self.lexical.add(int(case_id), toks)

    def remove(self, ids: Sequence[int]) -> None:
        with self.lock:
            self.vectors.remove(np.asarray(ids, dtype=np.int64))
            self.lexical.remove(ids)
