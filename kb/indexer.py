"""The derived search state of the knowledge base: vector index + BM25, kept in step with SQLite.

SQLite holds the texts, tokens and embeddings; this class only mirrors them in memory and on disk.
The saved vector index records the encoder, dimension, backend and the database's write
generation it reflects: when any of those differ at start-up the index is rebuilt from the stored
vectors.

Every write bumps the generation inside its transaction and then reports it with ``apply``,
``remove`` or ``mark_applied``. Writers may finish out of order, so the index keeps a *watermark*:
the highest generation up to which every write is in memory. Saves stamp the watermark, never the
database's current value, so a crash between a commit and its index update is always detected.

On disk the index is a *snapshot* (``vectors.index``, written whole and atomically, stamped with the
watermark, the generations applied beyond it and a random token) plus an append-only *journal*
(``vectors.index.journal``, indexing/vectors/journal.py) of the changes since, each record carrying
its generation. A single-case write appends one record (its vector, a few KB) instead of rewriting
the snapshot; opening replays the journal onto the snapshot, advancing the watermark record by
record, and accepts the result only if the watermark then equals the database's generation, exactly
as for a bare snapshot. Anything else (a record lost to a crash, a torn append, a journal of another
snapshot, a foreign write) leaves a gap, and the index is rebuilt from the database, the truth.
The journal is folded into a new snapshot (compaction) when it outgrows a fraction of the index, on
``rebuild``, and when a change could not be journalled. Nothing is written by a process that never
opened the index or changed nothing, so read-only commands leave the files untouched. Milvus
persists its collection itself: there a save only rewrites the small side record, as before.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from indexing.encoders import Encoder
from indexing.lexical import BM25Index, LexicalFileError
from indexing.vectors import (
    IndexCorruptError,
    IndexMismatchError,
    VectorIndex,
    bulk_load,
    create_index,
    load_index_with_meta,
    save_index,
)
from indexing.vectors import journal as journal_file
from indexing.vectors.where import Where
from kb import index_filters
from kb.domain import SearchFilters
from kb.errors import IndexStateError
from kb.locks import try_lock
from kb.settings import Settings
from kb.storage.cases import CaseRepository, bump_generation, changes_between, read_generation
from kb.storage.db import Database

log = logging.getLogger(__name__)


class CaseIndex:
    # Compact once the journal holds more rows than this share of the index (at least MIN rows,
    # so a small index is not rewritten on every write) or more than MAX_BYTES.
    COMPACT_FRACTION = 0.10
    COMPACT_MIN_ROWS = 1000
    COMPACT_MAX_BYTES = 64 << 20
    # Several processes (``Settings.api_workers`` > 1, or ``shared_index``: a server, and a CLI
    # command beside it): each polls the database's change log
    # this often (and before every search), and the one holding the saver lock writes a snapshot of
    # its memory at most this often while it has changes the files lack (and at exit).
    POLL_SECONDS = 1.0
    SHARED_SAVE_SECONDS = 60.0
    SEARCH_WAIT_SECONDS = 2.0
    # A rebuild reads the stored vectors this many cases at a time (about 8 MB of 512-d vectors).
    PAGE = 4096

    def __init__(self, settings: Settings, db: Database, encoder: Encoder, cases: CaseRepository | None = None) -> None:
        """``cases`` is the kernel's repository (its clock decides the deadline filter)."""
        self.settings, self.db, self.encoder = settings, db, encoder
        self.cases = cases or CaseRepository(db, near_due_days=settings.near_due_days)
        self.lexical = BM25Index()
        self.vectors: VectorIndex = self._new_vector_index()
        self.lock = threading.RLock()
        # Serialises reading a case's filterable columns and writing them to the index, so the last
        # write to reach the index carries the newest committed values (taken before the database
        # lock and the index lock, never while holding either).
        self._fields_lock = threading.Lock()
        self.cases.on_filter_change(self.refresh_filters)
        self.rebuilt_from_db = False
        # Where the open lexical index came from: "file" (memory-mapped), "database" (rebuilt).
        self.lexical_source = "empty"
        self._watermark = 0
        self._applied: set[int] = set()
        # While a rebuild reads the database, writes are also logged here and replayed onto it.
        self._replay: list[tuple[str, Any, Any, Any, Any]] | None = None
        # Persistence state: nothing is saved before the index was opened or rebuilt; ``_dirty``
        # means memory holds changes that neither the snapshot nor the journal records.
        self._opened = False
        self._dirty = False
        self._token: str | None = None  # the token of the snapshot on disk
        self._journal_state = "absent"  # "absent" (start one on first append), "ok", "torn"
        self._journal_rows = 0
        self._journal_bytes = 0
        # Several serving processes share the data directory: nobody appends to the journal (two
        # appenders would interleave records), only the holder of the saver lock writes snapshots,
        # and every process applies the others' writes from the change log (``catch_up``).
        self.shared = settings.api_workers > 1 or settings.shared_index
        self._catch_lock = threading.Lock()
        self._local_seq = 0  # counts this process's own changes (a catch-up read before one is redone)
        self._saver: Any = None  # the open saver lock file while this process holds it
        self._saved_at = time.monotonic()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self.caught_up = 0  # generations applied from the change log (health, tests)

    # -- bookkeeping -------------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        return {"encoder": self.encoder.name, "dim": self.encoder.dim, "backend": self.settings.index_backend}

    def index_options(self) -> dict[str, Any]:
        """The backend's options; Milvus also gets the scalar fields filters are pushed down to."""
        options = dict(self.settings.index_options())
        if self.settings.index_backend == "milvus":
            options.update(index_filters.index_options())
        return options

    def _new_vector_index(self) -> VectorIndex:
        return create_index(self.settings.index_backend, self.encoder.dim, **self.index_options())

    @property
    def pushes_filters(self) -> bool:
        """Whether the vector index filters by expression over stored fields (Milvus)."""
        return bool(getattr(self.vectors, "filters_by_expression", False))

    def pushdown(self, filters: SearchFilters) -> Where | None:
        """``filters`` as a condition the vector index evaluates itself, or None (use the id list)."""
        if not self.pushes_filters or filters.is_empty():
            return None
        return index_filters.pushdown(filters, self._granted)

    def _granted(self, scope: Any) -> list[int]:
        return self.cases.ids_in_scope_beyond(scope, "department", str(scope.unit))

    def _attributes(self, ids: Sequence[int]) -> dict[str, list[Any]]:
        """The filterable fields of ``ids`` as an index that filters itself stores them."""
        wanted = [int(i) for i in ids]
        if len(wanted) > 5000:
            rows = self.cases.scalar_rows(index_filters.PUSHED)
        else:
            rows = self.cases.scalar_rows(index_filters.PUSHED, wanted)
        found, values = index_filters.attributes(rows)
        at = {case_id: pos for pos, case_id in enumerate(found)}
        # A case deleted meanwhile keeps default values; its removal follows.
        return {name: [column[at[i]] if i in at else None for i in wanted] for name, column in values.items()}

    def refresh_filters(self, ids: Sequence[int]) -> None:
        """Rewrite the stored fields of ``ids`` from the database (after a commit changed them)."""
        if not self.pushes_filters or not ids:
            return
        with self._fields_lock:
            values = self._attributes(ids)
            with self.lock:
                try:
                    self.vectors.update_attributes(list(ids), values)  # type: ignore[attr-defined]
                except Exception:
                    # The write is committed; searches check pushed-down hits against the database.
                    log.exception(
                        "the filter fields of %d case(s) could not be written to the vector index; "
                        "`leian reindex` rewrites them from the database",
                        len(ids),
                    )
                    return
                if self._replay is not None:
                    self._replay.append(("fields", list(ids), None, None, None))

    def generation(self) -> int:
        return read_generation(self.db)

    @staticmethod
    def bump_generation(conn: Any, changed: Sequence[int] | None = None) -> int:
        """Count one more write, inside the writer's transaction; returns its generation.

        ``changed`` names the cases the write changed (None = any), for the change log other
        serving processes catch up from (``catch_up``)."""
        return bump_generation(conn, changed)

    @property
    def watermark(self) -> int:
        return self._watermark

    @property
    def journal_path(self) -> Any:
        return self.settings.index_path.with_name(self.settings.index_path.name + ".journal")

    @property
    def saver_lock_path(self) -> Any:
        return self.settings.index_path.with_name(self.settings.index_path.name + ".saver.lock")

    # -- several serving processes ---------------------------------------------------------------
    def is_saver(self) -> bool:
        """Whether this process may write the index files: always with one process; with several,
        only while it holds the saver lock (an exclusive ``flock``, dropped by the kernel when the
        process dies, so another worker takes over at its next poll)."""
        if not self.shared:
            return True
        if self._saver is None:
            path = self.saver_lock_path
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = try_lock(path)
            if fh is None:
                return False
            self._saver = fh
            log.info("process %d now writes the index files", os.getpid())
        return True

    def catch_up(self, wait: float | None = None) -> int:
        """Apply the writes other processes committed since the watermark; returns how many
        generations it applied (0 at once when memory is current: one small query). ``wait`` bounds
        how long to wait for a catch-up already under way in another thread (a search waits a
        little, then answers from memory rather than stall behind a rebuild); None = as long as it takes.

        The change log (``index_changes``) names the cases each generation changed; those are read
        again from the database (stored vector and tokens, or their absence) and replace what memory
        holds. A gap in the log (pruned, older than the log) or an "any case" row rebuilds both
        indexes from the stored vectors instead. The database is read without the index lock
        (lock order: see ``rebuild``); if this process applied a change of its own meanwhile, what
        was read may be older than memory, so it is read again. A state read *newer* than the target
        generation is harmless: the next catch-up reads those cases once more.
        """
        if not self.shared or not self._opened:
            return 0
        if not self._catch_lock.acquire(timeout=-1 if wait is None else wait):
            return 0
        try:
            return self._catch_up()
        finally:
            self._catch_lock.release()

    def _catch_up(self) -> int:
        for _ in range(3):
            with self.lock:
                if self._replay is not None:
                    return 0  # a rebuild is reading the database; it ends current
                start, seq = self._watermark, self._local_seq
            target = self.generation()
            if target <= start:
                return 0
            rows = changes_between(self.db, start, target)
            ids: set[int] = set()
            complete = len(rows) == target - start
            for _, changed in rows:
                if changed is None:
                    complete = False
                    break
                ids.update(changed)
            if not complete or len(ids) > max(self.COMPACT_MIN_ROWS, len(self.vectors) // 2):
                self._catch_up_rebuild(target)
                self.caught_up += target - start
                return target - start
            if self._apply_changed(sorted(ids), seq, target):
                self.caught_up += target - start
                return target - start
        return 0  # busy with local writes: the next search or poll tries again

    def _apply_changed(self, ids: list[int], seq: int, target: int) -> bool:
        persistent = getattr(self.vectors, "persistent", False)  # Milvus: the writer updated it
        vectors = {} if persistent else self.cases.vectors_for(self.encoder.name, ids)
        vectors = {i: v for i, v in vectors.items() if v.shape[0] == self.encoder.dim}
        tokens = self.cases.tokens_for(ids)
        values = self._attributes([i for i in ids if i in vectors]) if self.pushes_filters and vectors else None
        with self.lock:
            if self._local_seq != seq or self._replay is not None:
                return False
            gone = [i for i in ids if i not in tokens]
            self.lexical.remove(gone)
            for case_id in ids:
                if case_id in tokens:
                    self.lexical.add(case_id, tokens[case_id])
            if not persistent:
                self.vectors.remove(np.asarray(ids, dtype=np.int64))
                kept = [i for i in ids if i in vectors and i in tokens]
                if kept:
                    matrix = np.vstack([vectors[i] for i in kept])
                    if values is not None:
                        self.vectors.add(np.asarray(kept, dtype=np.int64), matrix, attributes=values)  # type: ignore[call-arg]
                    else:
                        self.vectors.add(np.asarray(kept, dtype=np.int64), matrix)
            self._reach(target)
        return True

    def _reach(self, target: int) -> None:
        """Memory reflects every write up to ``target`` (under the lock)."""
        self._watermark = max(self._watermark, target)
        self._applied = {g for g in self._applied if g > self._watermark}
        self._advance(self._watermark)
        self._dirty = True

    def _catch_up_rebuild(self, target: int) -> None:
        if not getattr(self.vectors, "persistent", False):
            self.rebuild(save=False, encode=False)
            return
        # Milvus holds the shared vectors: only the lexical index is this process's own.
        with self.lock:
            self._replay = []
        try:
            lexical = BM25Index.build(self.cases.all_tokens())
            with self.lock:
                for op, op_ids, _, tokens, _ in self._replay or []:
                    if op == "add":
                        for case_id, toks in zip(op_ids, tokens, strict=True):
                            lexical.add(int(case_id), toks)
                    elif op == "remove":
                        lexical.remove(op_ids)
                self.lexical = lexical
                self.lexical_source = "database"
                self._reach(target)
        finally:
            with self.lock:
                self._replay = None

    def _poll(self) -> None:
        while not self._stop.wait(self.POLL_SECONDS):
            try:
                self.catch_up()
                if self.is_saver():
                    self.save()
            except Exception:  # the database briefly locked or gone at shutdown: try again next time
                log.exception("index catch-up failed; retrying")

    def start_polling(self) -> None:
        if self.shared and self._poller is None:
            self._poller = threading.Thread(target=self._poll, name="leian-index-catch-up", daemon=True)
            self._poller.start()

    def close(self) -> None:
        """Stop following the others (several processes), then persist what memory holds."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join(5.0)
            self._poller = None
        if self.shared:
            if self._opened and self.is_saver():
                try:
                    self.catch_up()  # the snapshot left behind reflects every write committed so far
                except Exception:
                    log.exception("index catch-up at exit failed; the next start catches up from the log")
                with self.lock:
                    if self._dirty:
                        self._compact_logged()
            if self._saver is not None:
                self._saver.close()
                self._saver = None
            return
        self.save()

    def mark_applied(self, generation: int | None) -> None:
        """Record that the write of ``generation`` is reflected in memory (or needs nothing)."""
        if generation is None:
            return
        with self.lock:
            self._journal(journal_file.MARK, generation, (), None)
            self._advance(generation)

    def _advance(self, generation: int | None) -> None:
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
        # A save cut short by a crash leaves only its temporary file behind: drop those (with
        # several processes only the saver does: another's temporary file may be a save under way).
        if self.is_saver():
            for leftover in path.parent.glob(path.name + ".*.tmp"):
                leftover.unlink(missing_ok=True)
        generation = self.generation()
        loaded = self._load(generation, strict) if path.exists() else None
        if loaded is None:
            self.rebuild(save=True)
            self.rebuilt_from_db = True
        else:
            vectors, token, touched = loaded
            lexical = self._open_lexical(token, touched)
            with self.lock:
                self.vectors, self.lexical = vectors, lexical
                self._opened = True
        if self.shared:
            self.catch_up()  # a snapshot behind the database is brought up to date from the change log
            self.start_polling()

    def _open_lexical(self, token: str | None, touched: set[int]) -> BM25Index:
        """The saved BM25 index (memory-mapped) if it was saved with the vector snapshot ``token``,
        brought up to date with the cases the journal touched since; otherwise built from the
        tokens in SQLite and saved for the next start.

        Refreshing a touched case sets it to the database's tokens (or drops it), which is its
        state at the generation just verified, so the refresh is idempotent: a lexical file newer
        than its snapshot (saved at a later start) is refreshed the same way.
        """
        path = self.settings.lexical_path
        lexical: BM25Index | None = None
        if token is not None and path.exists():
            try:
                lexical, meta = BM25Index.load(path)
                if meta.get("journal") != token:
                    raise LexicalFileError("saved with another vector snapshot")
            except LexicalFileError as exc:
                log.info("the lexical index file is stale or unreadable, rebuilding it: %s", exc)
                lexical = None
        if lexical is not None:
            if touched:
                current = self.cases.tokens_for(sorted(touched))
                lexical.remove([case_id for case_id in touched if case_id not in current])
                for case_id in sorted(current):
                    lexical.add(case_id, current[case_id])
            # Several processes: a snapshot behind the database differs from it by the writes since,
            # which the catch-up right after opening applies from the change log.
            behind = self.shared and self._watermark < self.generation()
            if behind or len(lexical) == self.cases.count():
                self.lexical_source = "file"
                return lexical
            log.warning("词频索引与数据库的案件数不一致，正在从数据库重建")
        lexical = BM25Index.build(self.cases.all_tokens())
        self.lexical_source = "database"
        if token is not None and self.is_saver():
            try:
                lexical.save(path, {"journal": token, "generation": self._watermark})
            except OSError as exc:
                log.warning("lexical index not saved (%s); it is rebuilt at the next start", exc.strerror)
        return lexical

    def _load(self, generation: int, strict: bool) -> tuple[VectorIndex, str | None, set[int]] | None:
        """The snapshot with its journal replayed, if together they reflect exactly ``generation``;
        with the snapshot's token and the ids of the cases the journal changed.

        The messages are Chinese: without a logging set-up the CLI prints these warnings as they are.
        """
        path = self.settings.index_path
        try:
            index, meta = load_index_with_meta(path, self.fingerprint(), **self.index_options())
        except IndexMismatchError as exc:
            if strict:
                raise IndexStateError(str(exc)) from exc
            log.warning("向量索引与当前配置不一致，正在从数据库重建：%s", exc)
            return None
        except IndexCorruptError as exc:
            log.warning("向量索引已损坏，正在从数据库重建：%s", exc)
            return None
        token = meta.get("journal")
        state, rows, size, records = "absent", 0, 0, []
        if token and not getattr(index, "persistent", False):
            read = journal_file.read(self.journal_path)
            # A journal of another snapshot (a crash between a compaction and its clean-up) is
            # ignored: the generations tell whether the snapshot alone is current.
            if read is not None and read.token == token:
                records = read.records
                state = "ok" if read.clean else "torn"
                rows, size = sum(int(r.ids.shape[0]) for r in records), read.good_bytes
        with self.lock:
            self._watermark = int(meta.get("generation", -1))
            self._applied = {int(g) for g in meta.get("pending", [])}
            for record in records:
                self._advance(record.generation)
            current = self._watermark == generation and not self._applied
            if not current and self.shared and 0 <= self._watermark <= generation:
                # Several processes: the snapshot is the saver's memory at some moment; what came
                # after is in the change log (``catch_up`` re-applies it, and anything beyond).
                self._applied, current = set(), True
            if not current:
                log.warning(
                    "向量索引与数据库不同步（索引记录到第 %d 次写入，数据库为第 %d 次），正在从数据库重建",
                    self._watermark,
                    generation,
                )
                self._watermark, self._applied = 0, set()
                return None
            if records:
                replay_journal(index, records)
            if state == "torn":
                log.info("the index journal ends in a torn record; the next write compacts it")
            self._token, self._journal_state, self._journal_rows, self._journal_bytes = token, state, rows, size
            self._dirty = False
        touched = {int(i) for r in records if r.op != journal_file.MARK for i in r.ids.tolist()}
        return index, (str(token) if token else None), touched

    def rebuild(
        self, save: bool = True, progress: Any = None, encoder: Encoder | None = None, encode: bool = True
    ) -> int:
        """Rebuild both indexes from the database, encoding only cases without a stored vector.

        ``encoder`` (same name and vectors as ``self.encoder``, e.g. a worker pool) encodes them;
        ``encode=False`` (a catch-up) leaves such cases out of the vector index instead: the
        process re-encoding them logs another generation when their vectors are stored.

        The database is read without holding the index lock (writers hold the database lock and
        then take the index lock, so the opposite order could deadlock); writes that land
        meanwhile are replayed onto the new indexes before they replace the old ones.
        """
        generation = self.generation()
        with self.lock:
            self._replay = []
        try:
            name, dim = self.encoder.name, self.encoder.dim
            ids, stale = self.cases.vector_states(name, dim)
            if stale and encode:
                self._encode_and_store(stale, progress, encoder or self.encoder)
                ids, stale = self.cases.vector_states(name, dim)
            index = self._new_vector_index()
            pages = self.cases.vector_pages(name, dim, ids, self.PAGE)
            if getattr(index, "filters_by_expression", False):
                # Milvus: one write per page, flushed once at the end (as one add of every row was).
                with self._fields_lock:
                    for page_ids, page in pages:
                        values = self._attributes(page_ids.tolist())
                        index.add(page_ids, page, attributes=values, seal=False)  # type: ignore[call-arg]
                    index.seal()  # type: ignore[attr-defined]
            else:
                bulk_load(index, int(ids.shape[0]), lambda rows: self._vectors_at(ids[rows]), pages)
            lexical = BM25Index.build(self.cases.all_tokens())
            self.lexical_source = "database"
            refresh: list[int] = []
            with self.lock:
                for op, op_ids, vectors, tokens, values in self._replay or []:
                    if op == "fields":
                        refresh.extend(op_ids)
                    else:
                        _apply_to(index, lexical, op, op_ids, vectors, tokens, values)
                self.vectors, self.lexical = index, lexical
                self._watermark = max(self._watermark, generation)
                self._advance(self._watermark)
                # The new index may differ from snapshot + journal (re-encoded, repaired): only a
                # new snapshot describes it.
                self._opened, self._dirty = True, True
        finally:
            with self.lock:
                self._replay = None
        if refresh:  # fields changed while the rebuild read the database: rewrite them from it
            self.refresh_filters(sorted(set(refresh)))
        if save:
            self.compact()
        return len(index)

    def _vectors_at(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, in that order, read a page at a time (a training sample:
        a case deleted meanwhile is left out)."""
        out = np.zeros((ids.shape[0], self.encoder.dim), dtype=np.float32)
        kept = np.zeros(ids.shape[0], dtype=bool)
        for start in range(0, ids.shape[0], self.PAGE):
            chunk = ids[start : start + self.PAGE].tolist()
            found = self.cases.vectors_for(self.encoder.name, chunk)
            for offset, case_id in enumerate(chunk):
                vec = found.get(case_id)
                if vec is not None and vec.shape[0] == self.encoder.dim:
                    out[start + offset], kept[start + offset] = vec, True
        return out if kept.all() else out[kept]

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
        """Persist what memory holds beyond the files; a no-op when nothing changed.

        Single writes are journalled as they happen, so this writes a snapshot only when the
        journal has outgrown its threshold or a change could not be journalled (a bulk import, a
        rebuild, a failed append). An index that was never opened or rebuilt holds nothing of what
        is on disk and is never saved (``leian users create`` once wrote an empty index here).
        """
        with self.lock:
            if self.shared:
                # Several processes: no journal; the saver snapshots now and then (``_poll``).
                due = time.monotonic() - self._saved_at >= self.SHARED_SAVE_SECONDS
                if self._opened and self._dirty and due and self.is_saver():
                    self._compact_logged()
                return
            if self._opened and (self._dirty or self._journal_due()):
                self._compact_logged()

    def _compact_logged(self) -> None:
        try:
            self.compact()
        except OSError as exc:
            # After a commit the write is stored: a full or read-only disk must not turn it into
            # an error (the client would retry and duplicate it). The index in memory is right;
            # it stays dirty (saved next time) and a stale file is rebuilt on the next start.
            self._dirty = True
            log.warning("vector index not saved (%s); the database holds every write", exc.strerror)

    def compact(self) -> None:
        """Write the whole index as a new snapshot (atomically) and retire the journal.

        Stamped with the watermark and the generations applied beyond it (never the database's
        current value: no lock-order risk) and a new token: a crash before the old journal is
        removed leaves a journal of another token, which ``open`` ignores.
        """
        with self.lock:
            if not self.is_saver():
                self._dirty = True  # another process writes the files; this memory is not saved
                return
            token = secrets.token_hex(8)
            stamp = {
                **self.fingerprint(),
                "generation": self._watermark,
                "pending": sorted(self._applied),
                "journal": token,
            }
            # The lexical index is saved with every snapshot, under its token (``_open_lexical``),
            # first: saving maps it from its file, releasing its arrays before the vector index is
            # serialised (a copy of its size). A crash between the two leaves a lexical file of a
            # token no snapshot has, which is rebuilt, as one of an older token was.
            self.lexical.save(self.settings.lexical_path, {"journal": token, "generation": self._watermark})
            save_index(self.vectors, self.settings.index_path, stamp)
            self.journal_path.unlink(missing_ok=True)
            self._token, self._journal_state, self._journal_rows, self._journal_bytes = token, "absent", 0, 0
            self._opened, self._dirty = True, False
            self._saved_at = time.monotonic()

    def _journal_due(self) -> bool:
        if not self._journal_rows and self._journal_bytes < self.COMPACT_MAX_BYTES:
            return False
        limit = max(self.COMPACT_MIN_ROWS, self.COMPACT_FRACTION * len(self.vectors))
        return self._journal_rows > limit or self._journal_bytes > self.COMPACT_MAX_BYTES

    def _journal(self, op: int, generation: int | None, ids: Sequence[int], vectors: Any) -> None:
        """Append one change to the journal (under the lock, so its order is memory's order)."""
        if not self._opened:
            return  # never loaded: nothing on disk to add to; the next open sees the generation gap
        if self.shared:
            self._dirty = True  # several processes: never appended (records would interleave)
            return
        if self._dirty or self._token is None or self._journal_state == "torn":
            self._dirty = True  # already behind the files: the next save writes a snapshot
            return
        if getattr(self.vectors, "persistent", False):
            self._dirty = True  # Milvus holds the vectors; only the side record's stamp is behind
            return
        if self._journal_rows + len(ids) > max(self.COMPACT_MIN_ROWS, self.COMPACT_FRACTION * len(self.vectors)):
            self._dirty = True  # a bulk write: one snapshot costs less than journal + compaction
            return
        try:
            record = journal_file.encode_record(op, generation, np.asarray(ids, dtype=np.int64), vectors)
            if self._journal_state == "absent":
                journal_file.create(self.journal_path, self._token)
                self._journal_state, self._journal_rows, self._journal_bytes = "ok", 0, 0
            self._journal_bytes += journal_file.append(self.journal_path, [record])
            self._journal_rows += len(ids)
        except OSError as exc:
            log.warning("could not append to the index journal, the next save writes a snapshot: %s", exc)
            self._dirty = True

    def nearest(self, vectors: np.ndarray, k: int) -> np.ndarray:
        """Ids of the ``k`` nearest indexed vectors per row (-1 pads), read under the index lock."""
        self.catch_up(wait=self.SEARCH_WAIT_SECONDS)
        with self.lock:
            _, found = self.vectors.search(vectors, k, None)
        return np.asarray(found)

    # -- updates ---------------------------------------------------------------------------------
    def _do(
        self, op: str, ids: Sequence[int], vectors: Any, tokens: Any, generation: int | None, values: Any = None
    ) -> None:
        with self.lock:
            self._local_seq += 1
            _apply_to(self.vectors, self.lexical, op, ids, vectors, tokens, values)
            if self._replay is not None:
                self._replay.append((op, list(ids), vectors, tokens, values))
            self._journal(journal_file.ADD if op == "add" else journal_file.REMOVE, generation, ids, vectors)
            self._advance(generation)

    def apply(
        self, ids: Sequence[int], vectors: np.ndarray, tokens: Sequence[Sequence[str]], generation: int | None = None
    ) -> None:
        """Index the stored cases ``ids`` (their vectors and tokens, and, for an index that filters
        itself, their filterable fields read from the database now)."""
        if not self.pushes_filters:
            self._do("add", ids, vectors, tokens, generation)
            return
        with self._fields_lock:
            self._do("add", ids, vectors, tokens, generation, self._attributes(ids))

    def remove(self, ids: Sequence[int], generation: int | None = None) -> None:
        self._do("remove", ids, None, None, generation)


def _apply_to(
    vectors: VectorIndex, lexical: BM25Index, op: str, ids: Sequence[int], matrix: Any, tokens: Any, values: Any = None
) -> None:
    if op == "add":
        if values is not None and getattr(vectors, "filters_by_expression", False):
            vectors.add(np.asarray(ids, dtype=np.int64), matrix, attributes=values)  # type: ignore[call-arg]
        else:
            vectors.add(np.asarray(ids, dtype=np.int64), matrix)
        for case_id, toks in zip(ids, tokens, strict=True):
            lexical.add(int(case_id), toks)
    else:
        vectors.remove(np.asarray(ids, dtype=np.int64))
        lexical.remove(ids)


def replay_journal(index: VectorIndex, records: Sequence[journal_file.Record]) -> None:
    """Apply journalled changes in generation order, coalesced: one remove and one add in all.

    Per case the change of the highest generation wins, which is the database's state for it
    (records of writers that finished out of order are thereby put back in commit order).
    """
    # A record without a generation keeps its place after the record before it.
    keyed, last = [], -1
    for pos, record in enumerate(records):
        last = record.generation if record.generation is not None else last
        keyed.append((last, pos, record))
    final: dict[int, np.ndarray | None] = {}  # case id -> its vector, or None when removed
    for _, _, record in sorted(keyed, key=lambda item: (item[0], item[1])):
        if record.op == journal_file.MARK:
            continue
        for row, case_id in enumerate(record.ids.tolist()):
            add = record.op == journal_file.ADD and record.vectors is not None
            final[case_id] = record.vectors[row] if add and record.vectors is not None else None
    if not final:
        return
    index.remove(np.fromiter(final, dtype=np.int64, count=len(final)))
    added = [(case_id, vec) for case_id, vec in final.items() if vec is not None]
    if added:
        index.add(np.asarray([a[0] for a in added], dtype=np.int64), np.vstack([a[1] for a in added]))
