"""Case rows: insert/update by external number, fetch, delete, filter to ids, stored vectors, the write generation."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from kb.clock import Clock, SystemClock
from kb.clock import stamp as stamp_of
from kb.domain import Case, SearchFilters
from kb.fields import KEY, OPEN_STAGES, Stage, decode, facet_fields, filter_fields, stored_fields
from kb.scope import PROVINCE, Scope
from kb.storage.db import Database, keyset_pages
from kb.storage.filter_cache import FilterCache
from kb.storage.sql import execute_in, marks, query_in

# Derived columns the case service computes; every other column comes from the field table.
DERIVED = ("petitioner_key", "content_hash", "tokens")
CASE_COLUMNS = ", ".join(["id", *(f.column for f in stored_fields()), "petitioner_key", "created_at", "updated_at"])
# Managed columns (stage, due date) are written only by their setters below, never by upserts.
WRITABLE = (*(f.column for f in stored_fields() if f.name != KEY and not f.managed), *DERIVED)
_DECODE = {f.column: f for f in stored_fields()}
# Told of every status change and every stage change, inside the writing transaction, as
# (case id, "status" | "stage", new value, source) rows; a feature that must follow a case's
# conclusion (the 待签收 assignments, kb/workflow/assignment_service.py) registers one.
ChangeListener = Callable[[sqlite3.Connection, Sequence[tuple[int, str, str, str]]], None]


def now(clock: Clock | None = None) -> str:
    """A write time as ``created_at``/``updated_at`` columns store it: UTC, ISO 8601 to the second.
    ``clock`` is the service's (``Kernel.clock``, the one workflow events are dated by; a
    ``FixedClock`` in tests); without one, the machine's."""
    moment = clock.now() if clock is not None else dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


# Migration 10 (kb/workflow/schema.py): cases stored before the lifecycle start where their status
# puts them, with the statutory days (15 to accept from receipt, 60 to reply; kb/workflow/lifecycle.START).
STAGE_BACKFILL = """
UPDATE cases SET
    stage = CASE status WHEN 'pending' THEN 'registered' WHEN 'in_progress' THEN 'accepted' ELSE 'replied' END,
    due_date = CASE status
        WHEN 'pending' THEN date(received_date, '+15 days')
        WHEN 'in_progress' THEN date(received_date, '+60 days')
    END;"""


_CASE_FIELDS = tuple(Case.__dataclass_fields__)


def row_to_case(row: sqlite3.Row, today: dt.date | None = None) -> Case:
    """The stored record; ``overdue`` is whether its open stage's due date is before ``today``."""
    data = dict(row)
    case = Case(**{k: decode(_DECODE[k], data[k]) if k in _DECODE else data[k] for k in _CASE_FIELDS if k in data})
    case.overdue = is_overdue(case.stage, case.due_date, today)
    return case


def is_overdue(stage: str, due_date: str | None, today: dt.date | None) -> bool:
    return bool(today and due_date and stage in OPEN_STAGES and due_date < today.isoformat())


class CaseRepository:
    def __init__(self, db: Database, clock: Clock | None = None, near_due_days: int = 5) -> None:
        """``clock`` and ``near_due_days`` decide what the ``deadline`` filter and ``overdue`` mean."""
        self.db = db
        self.clock: Clock = clock or SystemClock()
        # Told (after commit) which cases' filterable columns a write changed: the case index keeps
        # the scalar fields of a Milvus collection in step with them (kb/indexer.py).
        self._filter_listeners: list[Callable[[list[int]], None]] = []
        self.near_due_days = near_due_days
        # Filter -> allowed ids while the triggers' counter holds (kb/storage/filter_cache.py);
        # None reads the database on every call.
        self.filter_cache: FilterCache | None = FilterCache()
        self.conclusion_listeners: list[ChangeListener] = []

    def _tell(self, conn: sqlite3.Connection, changes: Sequence[tuple[int, str, str, str]]) -> None:
        if changes:
            for listener in self.conclusion_listeners:
                listener(conn, changes)

    def _case(self, row: sqlite3.Row) -> Case:
        return row_to_case(row, self.clock.today())

    def _filter_sql(self, filters: SearchFilters) -> tuple[str, list[Any]]:
        return filter_sql(filters, today=self.clock.today(), near_days=self.near_due_days)

    def get(self, case_id: int) -> Case | None:
        row = self.db.query_one(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,))
        return self._case(row) if row else None

    def get_by_external(self, external_no: str) -> Case | None:
        row = self.db.query_one(f"SELECT {CASE_COLUMNS} FROM cases WHERE external_no = ?", (external_no,))
        return self._case(row) if row else None

    def get_many_by_external(self, external_nos: Sequence[str]) -> dict[str, Case]:
        rows = query_in(self.db, f"SELECT {CASE_COLUMNS} FROM cases WHERE external_no IN ({{marks}})", external_nos)
        return {row["external_no"]: row_to_case(row) for row in rows}

    def active_units(self, ids: Sequence[int]) -> dict[int, set[str]]:
        """Units each case is actively assigned to, or was referred to (诉访分离); the tables are
        workflow's and the hand-over's; this read is what a department scope needs (kb/scope.py)."""
        rows = query_in(
            self.db, "SELECT case_id, unit FROM case_assignments WHERE active = 1 AND case_id IN ({marks})", ids
        ) + query_in(self.db, "SELECT case_id, unit FROM litigation_referrals WHERE case_id IN ({marks})", ids)
        out: dict[int, set[str]] = {}
        for r in rows:
            out.setdefault(int(r[0]), set()).add(str(r[1]))
        return out

    def ids_in_scope(self, scope: Scope, ids: Sequence[int]) -> set[int]:
        """Those of ``ids`` within ``scope``, by the scope's SQL."""
        where, params = scope.sql()
        rows = query_in(self.db, f"SELECT id FROM cases WHERE {where} AND id IN ({{marks}})", ids, params)
        return {int(r[0]) for r in rows}

    def get_many(self, ids: Sequence[int]) -> dict[int, Case]:
        rows = query_in(self.db, f"SELECT {CASE_COLUMNS} FROM cases WHERE id IN ({{marks}})", ids)
        return {row["id"]: self._case(row) for row in rows}

    def get_many_with_tokens(self, ids: Sequence[int]) -> dict[int, tuple[Case, list[str]]]:
        """``get_many`` and ``tokens_for`` in one query (a search's hits and their shared terms)."""
        rows = query_in(self.db, f"SELECT {CASE_COLUMNS}, tokens FROM cases WHERE id IN ({{marks}})", ids)
        today = self.clock.today()
        return {row["id"]: (row_to_case(row, today), (row["tokens"] or "").split()) for row in rows}

    def content_hash(self, case_id: int) -> str | None:
        row = self.db.query_one("SELECT content_hash FROM cases WHERE id = ?", (case_id,))
        return str(row[0]) if row else None

    def hashes_by_external(self, external_nos: Sequence[str]) -> dict[str, tuple[int, str]]:
        """external_no -> (id, content_hash) for those already stored."""
        rows = query_in(
            self.db, "SELECT external_no, id, content_hash FROM cases WHERE external_no IN ({marks})", external_nos
        )
        return {r["external_no"]: (r["id"], r["content_hash"]) for r in rows}

    def stored_values(self, external_nos: Sequence[str]) -> dict[str, dict[str, Any]]:
        """external_no -> the writable columns as stored, for those already stored (an import
        compares them with its rows to tell unchanged rows from updates)."""
        cols = ", ".join(["external_no", *WRITABLE])
        rows = query_in(self.db, f"SELECT {cols} FROM cases WHERE external_no IN ({{marks}})", external_nos)
        return {r["external_no"]: {c: r[c] for c in WRITABLE} for r in rows}

    def hashes_for(self, ids: Sequence[int]) -> dict[int, str]:
        """id -> content_hash."""
        rows = query_in(self.db, "SELECT id, content_hash FROM cases WHERE id IN ({marks})", ids)
        return {r["id"]: r["content_hash"] for r in rows}

    def upsert(self, conn: sqlite3.Connection, external_no: str, values: dict[str, Any]) -> tuple[int, bool]:
        """Insert or update by external number inside the caller's transaction; (id, created)."""
        stamp = now(self.clock)
        row = conn.execute("SELECT id FROM cases WHERE external_no = ?", (external_no,)).fetchone()
        cols = [c for c in WRITABLE if c in values]
        if row is None:
            names = ", ".join(["external_no", *cols, "created_at", "updated_at"])
            cur = conn.execute(
                f"INSERT INTO cases ({names}) VALUES ({marks(len(cols) + 3)})",
                [external_no, *[values[c] for c in cols], stamp, stamp],
            )
            case_id = int(cur.lastrowid or 0)
            self._log_registry(conn, case_id)
            return case_id, True
        before = self._statuses(conn, [int(row["id"])])
        sets = ", ".join(f"{c} = ?" for c in cols)
        conn.execute(
            f"UPDATE cases SET {sets}, updated_at = ? WHERE id = ?", [*[values[c] for c in cols], stamp, row["id"]]
        )
        self._log_changes(conn, before, "import")
        return int(row["id"]), False

    def upsert_many(
        self, conn: sqlite3.Connection, rows: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[tuple[int, bool]]:
        """``upsert`` of many rows (an import chunk) with a few statements instead of three per row:
        the new cases go in with one ``executemany`` per column set (psycopg sends it as one
        pipeline on PostgreSQL), their ids and registry log rows follow in one statement per
        ``IN`` chunk; cases already stored are updated one by one as ``upsert`` does. (id, created)
        per row, in order."""
        keys = [external_no for external_no, _ in rows]
        if len(set(keys)) != len(keys):  # a number twice: the second must see the first stored
            return [self.upsert(conn, external_no, values) for external_no, values in rows]
        found = query_in(conn, "SELECT external_no, id FROM cases WHERE external_no IN ({marks})", keys)
        stored = {str(r[0]): int(r[1]) for r in found}
        stamp = now(self.clock)
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        fresh = [(external_no, values) for external_no, values in rows if external_no not in stored]
        for external_no, values in fresh:
            cols = tuple(c for c in WRITABLE if c in values)
            groups.setdefault(cols, []).append([external_no, *[values[c] for c in cols], stamp, stamp])
        for cols, params in groups.items():
            names = ", ".join(["external_no", *cols, "created_at", "updated_at"])
            conn.executemany(f"INSERT INTO cases ({names}) VALUES ({marks(len(cols) + 3)})", params)
        new_ids: dict[str, int] = {}
        if fresh:
            found = query_in(
                conn, "SELECT external_no, id FROM cases WHERE external_no IN ({marks})", [e for e, _ in fresh]
            )
            new_ids = {str(r[0]): int(r[1]) for r in found}
            self._log_registry_many(conn, sorted(new_ids.values()))
        out: list[tuple[int, bool]] = []
        for external_no, values in rows:
            if external_no in new_ids:
                out.append((new_ids[external_no], True))
            else:
                out.append(self.upsert(conn, external_no, values))
        return out

    # -- the status log (migration 14): every 化解 status change, dated by the server clock -----------
    def _statuses(self, conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str]:
        rows = query_in(conn, "SELECT id, status FROM cases WHERE id IN ({marks})", ids)
        return {int(r[0]): str(r[1]) for r in rows}

    def _log_registry(self, conn: sqlite3.Connection, case_id: int) -> None:
        """A newly stored case: its status as the registry dates it (resolution date, else receipt)."""
        conn.execute(
            "INSERT INTO case_status_log(case_id, status, effective_on, at, source) "
            "SELECT id, status, CASE WHEN status IN ('resolved', 'closed', 'unresolved') "
            "THEN COALESCE(resolved_date, received_date) ELSE received_date END, ?, 'registry' "
            "FROM cases WHERE id = ?",
            (stamp_of(self.clock.now()), case_id),
        )

    def _log_registry_many(self, conn: sqlite3.Connection, case_ids: Sequence[int]) -> None:
        """``_log_registry`` of many new cases, in id order."""
        execute_in(
            conn,
            "INSERT INTO case_status_log(case_id, status, effective_on, at, source) "
            "SELECT id, status, CASE WHEN status IN ('resolved', 'closed', 'unresolved') "
            "THEN COALESCE(resolved_date, received_date) ELSE received_date END, ?, 'registry' "
            "FROM cases WHERE id IN ({marks}) ORDER BY id",
            case_ids,
            before=[stamp_of(self.clock.now())],
        )

    def _log_changes(self, conn: sqlite3.Connection, before: dict[int, str], source: str) -> None:
        """Log the cases of ``before`` whose status differs now, effective today (never back-dated)."""
        after = self._statuses(conn, list(before))
        moment = self.clock.now()
        changed = [(i, s) for i, s in after.items() if before.get(i) != s]
        conn.executemany(
            "INSERT INTO case_status_log(case_id, status, effective_on, at, source) VALUES (?, ?, ?, ?, ?)",
            [(i, s, moment.date().isoformat(), stamp_of(moment), source) for i, s in changed],
        )
        self._tell(conn, [(i, "status", s, source) for i, s in changed])

    def update_fields(self, conn: sqlite3.Connection, case_id: int, values: dict[str, Any]) -> None:
        cols = [c for c in WRITABLE if c in values]
        if not cols:
            return
        before = self._statuses(conn, [case_id])
        sets = ", ".join(f"{c} = ?" for c in cols)
        conn.execute(
            f"UPDATE cases SET {sets}, updated_at = ? WHERE id = ?",
            [*[values[c] for c in cols], now(self.clock), case_id],
        )
        self._log_changes(conn, before, "edit")
        self._filters_changed([case_id])

    def delete(self, conn: sqlite3.Connection, case_id: int) -> bool:
        return conn.execute("DELETE FROM cases WHERE id = ?", (case_id,)).rowcount > 0

    def delete_vectors(self, conn: sqlite3.Connection, encoder: str) -> None:
        conn.execute("DELETE FROM case_vectors WHERE encoder = ?", (encoder,))

    # -- the filterable columns a vector index stores beside the vectors (kb/index_filters.py) ------
    def on_filter_change(self, listener: Callable[[list[int]], None]) -> None:
        """Call ``listener(ids)`` after each commit of a write (other than ``upsert``, whose cases the
        index is given with their vectors) that may have changed filterable columns of ``ids``."""
        self._filter_listeners.append(listener)

    def _filters_changed(self, ids: list[int]) -> None:
        for listener in self._filter_listeners:
            self.db.after_commit(functools.partial(listener, list(ids)))

    def scalar_rows(self, columns: Sequence[str], ids: Sequence[int] | None = None) -> list[sqlite3.Row]:
        """``id`` and ``columns`` of the cases ``ids`` (every case when None), by id."""
        cols = ", ".join(["id", *columns])
        if ids is None:
            return self.db.query(f"SELECT {cols} FROM cases ORDER BY id")
        return sorted(query_in(self.db, f"SELECT {cols} FROM cases WHERE id IN ({{marks}})", ids), key=lambda r: r[0])

    def ids_in_scope_beyond(self, scope: Scope, column: str, value: str) -> list[int]:
        """Cases within ``scope`` whose ``column`` is not ``value``: what a scope grants beyond a plain
        field match (a department's assigned and referred cases)."""
        where, params = scope.sql()
        sql = f"SELECT id FROM cases WHERE ({where}) AND ({column} IS NULL OR {column} != ?) ORDER BY id"
        return [int(r[0]) for r in self.db.query(sql, [*params, value])]

    # -- field writes other features ask for (inside their transaction) ---------------------------
    def petitioner_keys(self, conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str | None]:
        rows = query_in(conn, "SELECT id, petitioner_key FROM cases WHERE id IN ({marks})", ids)
        return {int(r[0]): r[1] for r in rows}

    def set_department(self, conn: sqlite3.Connection, case_id: int, department: str) -> None:
        conn.execute(
            "UPDATE cases SET department = ?, updated_at = ? WHERE id = ?", (department, now(self.clock), case_id)
        )
        self._filters_changed([case_id])

    def set_locality(self, conn: sqlite3.Connection, case_id: int, city: str, district: str | None) -> None:
        """The case's locality (属地) after an assignment: its city and district."""
        conn.execute(
            "UPDATE cases SET city = ?, district = ?, updated_at = ? WHERE id = ?",
            (city, district, now(self.clock), case_id),
        )
        self._filters_changed([case_id])

    def set_litigation(self, conn: sqlite3.Connection, case_id: int, flagged: bool) -> None:
        """The litigation flag only (updated_at unchanged: detection is not an edit of the case)."""
        conn.execute("UPDATE cases SET litigation = ? WHERE id = ?", (int(flagged), case_id))
        self._filters_changed([case_id])

    def set_litigation_many(self, conn: sqlite3.Connection, case_ids: Sequence[int], flagged: bool) -> None:
        """``set_litigation`` of many cases (an import batch's detections), one statement per chunk."""
        if case_ids:
            execute_in(conn, "UPDATE cases SET litigation = ? WHERE id IN ({marks})", case_ids, before=[int(flagged)])
            self._filters_changed(list(case_ids))

    def set_decided_status(
        self, conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str | None]], note: str
    ) -> None:
        """A batch decision's status changes: (case id, status, concluded_on) rows. A case the decision
        concludes takes ``concluded_on`` (the decision's day) as its resolution date, replacing any
        older one (a case closed in 2025 and resolved now is resolved now); the note fills a missing one."""
        stamp = now(self.clock)
        before = self._statuses(conn, [case_id for case_id, _, _ in rows])
        conn.executemany(
            "UPDATE cases SET status = ?, resolution_note = COALESCE(resolution_note, ?), "
            "resolved_date = COALESCE(?, resolved_date), updated_at = ? WHERE id = ?",
            [(status, note, day, stamp, case_id) for case_id, status, day in rows],
        )
        self._log_changes(conn, before, "batch")
        self._filters_changed([case_id for case_id, _, _ in rows])

    def set_stage(self, conn: sqlite3.Connection, case_id: int, stage: str, due_date: str | None) -> None:
        """The lifecycle's stage and due date (kb/workflow/lifecycle.py is the only caller).

        The due date is kept only while the stage is open (the bureau owes the next step), so the
        ``deadline`` filter and ``overdue`` read one column. ``updated_at`` is unchanged: the
        transition itself records who moved the case and when.
        """
        self.set_stages(conn, [(case_id, stage, due_date)])

    def set_stages(self, conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str | None]]) -> None:
        """``set_stage`` for many cases at once (an import): (case id, stage, due date) rows."""
        for _, stage, due_date in rows:
            if Stage(stage) not in OPEN_STAGES and due_date is not None:
                raise ValueError(f"stage {stage} has no due date")
        conn.executemany("UPDATE cases SET stage = ?, due_date = ? WHERE id = ?", [(s, d, i) for i, s, d in rows])
        self._tell(conn, [(i, "stage", s, "lifecycle") for i, s, _ in rows])

    def set_status(self, conn: sqlite3.Connection, case_id: int, status: str, concluded_on: str | None = None) -> None:
        """The 化解 status as a lifecycle step sets it; ``concluded_on`` fills a missing resolution date
        (so reports of earlier periods do not count the case as concluded before it was)."""
        before = self._statuses(conn, [case_id])
        conn.execute(
            "UPDATE cases SET status = ?, resolved_date = COALESCE(resolved_date, ?), updated_at = ? WHERE id = ?",
            (status, concluded_on, now(self.clock), case_id),
        )
        self._log_changes(conn, before, "lifecycle")
        self._filters_changed([case_id])

    def save_vectors(self, conn: sqlite3.Connection, encoder: str, rows: Iterable[tuple[int, str, np.ndarray]]) -> None:
        """Store vectors of ``encoder``; the directory is then indexed with it (``meta.encoder``,
        what ``LEIAN_ENCODER=auto`` keeps: kb/encoder_choice.py)."""
        conn.executemany(
            "INSERT OR REPLACE INTO case_vectors(case_id, encoder, content_hash, vector) VALUES (?, ?, ?, ?)",
            [(cid, encoder, h, np.asarray(v, dtype=np.float32).tobytes()) for cid, h, v in rows],
        )
        write_meta(conn, "encoder", encoder)

    def load_vectors(self, encoder: str, dim: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(ids, vectors) of cases whose stored vector matches their current text, plus stale ids.

        Everything at once (small corpora, tests); a rebuild reads ``vector_states`` and
        ``vector_pages`` instead, which never hold more than a page of vectors."""
        ids, stale = self.vector_states(encoder, dim)
        pages = list(self.vector_pages(encoder, dim, ids))
        matrix = np.vstack([m for _, m in pages]) if pages else np.zeros((0, dim), np.float32)
        return np.concatenate([i for i, _ in pages]) if pages else ids[:0], matrix, stale

    def vector_states(self, encoder: str, dim: int, page: int = 20_000) -> tuple[np.ndarray, list[int]]:
        """(ids whose stored vector matches their current text, ascending; stale ids), read a
        page at a time without the vectors themselves (their length only)."""
        sql = (
            "SELECT c.id, length(v.vector) AS vbytes, v.content_hash = c.content_hash AS fresh FROM cases c "
            "LEFT JOIN case_vectors v ON v.case_id = c.id AND v.encoder = ? WHERE c.id > ? ORDER BY c.id LIMIT ?"
        )
        fresh, stale = array("q"), []
        for rows in keyset_pages(self.db, sql, (encoder,), "id", page):
            for r in rows:
                if r["vbytes"] is None or not r["fresh"] or int(r["vbytes"]) != dim * 4:
                    stale.append(int(r["id"]))
                else:
                    fresh.append(int(r["id"]))
        return np.frombuffer(fresh, dtype=np.int64).copy() if fresh else np.zeros(0, np.int64), stale

    def vector_pages(
        self, encoder: str, dim: int, fresh: np.ndarray, page: int = 4096
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) of the stored vectors of ``fresh`` (ascending ids, as ``vector_states``
        gives them), in id order, ``page`` rows at a time.

        Only ``case_vectors`` is read (the case rows were read for their hashes by
        ``vector_states``). A vector written since is read as it is now: a rebuild replays every
        write that landed after it began, so the index ends as the database is."""
        sql = "SELECT case_id, vector FROM case_vectors WHERE encoder = ? AND case_id > ? ORDER BY case_id LIMIT ?"
        if not fresh.shape[0]:
            return
        for rows in keyset_pages(self.db, sql, (encoder,), "case_id", page):
            found = np.fromiter((int(r["case_id"]) for r in rows), dtype=np.int64, count=len(rows))
            at = np.minimum(np.searchsorted(fresh, found), fresh.shape[0] - 1)
            wanted = (fresh[at] == found).tolist()
            good = [r for r, want in zip(rows, wanted, strict=True) if want and len(r["vector"]) == dim * 4]
            if good:
                ids = np.fromiter((int(r["case_id"]) for r in good), dtype=np.int64, count=len(good))
                matrix = np.frombuffer(b"".join(bytes(r["vector"]) for r in good), dtype=np.float32)
                yield ids, matrix.reshape(len(good), dim)

    def vectors_for(self, encoder: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
        return vectors_in(self.db, encoder, ids)

    def all_tokens(self, page: int = 5000) -> Iterator[tuple[int, list[str]]]:
        """Every case's tokens in id order, read a page at a time (a million cases' token lists
        never sit in memory at once)."""
        for rows in keyset_pages(
            self.db, "SELECT id, tokens FROM cases WHERE id > ? ORDER BY id LIMIT ?", (), "id", page
        ):
            for r in rows:
                yield r["id"], r["tokens"].split()

    def ids_with_vector(self, encoder: str, dim: int, ids: Sequence[int]) -> set[int]:
        """Those of ``ids`` with a stored ``encoder`` vector of ``dim`` float32 values (the vectors
        themselves are not read)."""
        rows = query_in(
            self.db,
            "SELECT case_id FROM case_vectors WHERE encoder = ? AND length(vector) = ? AND case_id IN ({marks})",
            ids,
            [encoder, 4 * dim],
        )
        return {int(r[0]) for r in rows}

    def tokens_for(self, ids: Sequence[int]) -> dict[int, list[str]]:
        rows = query_in(self.db, "SELECT id, tokens FROM cases WHERE id IN ({marks})", ids)
        return {r["id"]: r["tokens"].split() for r in rows}

    def all_ids(self) -> list[int]:
        return [int(r[0]) for r in self.db.query("SELECT id FROM cases ORDER BY id")]

    def ids_by_date(self) -> list[int]:
        """Every case id, oldest received first (the order repeat detection needs)."""
        return [int(r[0]) for r in self.db.query("SELECT id FROM cases ORDER BY received_date, id")]

    def ids_received_since(self, day: str) -> set[int]:
        return {int(r[0]) for r in self.db.query("SELECT id FROM cases WHERE received_date >= ?", (day,))}

    def latest_received(self, scope: Scope = PROVINCE, city: str | None = None) -> str | None:
        """The newest received date within ``scope`` (and ``city`` when given)."""
        where, params = scope.sql()
        if city:
            where, params = f"{where} AND city = ?", [*params, city]
        row = self.db.query_one(f"SELECT MAX(received_date) FROM cases WHERE {where}", params)
        return str(row[0]) if row and row[0] else None

    def filter_ids(self, filters: SearchFilters) -> np.ndarray:
        """The ids matching ``filters``, ascending (the indexes then need no de-duplication); a
        read-only array, from ``filter_cache`` while no write moved the filter generation. The key
        is the SQL and its parameters (a deadline filter's include today's date)."""
        where, params = self._filter_sql(filters)
        sql = f"SELECT id FROM cases WHERE {where}"

        def compute() -> np.ndarray:
            ids = np.asarray(self.db.query_column(sql, params), dtype=np.int64)
            ids.sort()
            return ids

        if self.filter_cache is None:
            return compute()
        return self.filter_cache.ids(self.db, (sql, tuple(params)), compute)

    def count(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) FROM cases")
        return int(row[0]) if row else 0

    def page(self, filters: SearchFilters, limit: int = 50, offset: int = 0) -> tuple[list[Case], int]:
        where, params = self._filter_sql(filters)
        total_row = self.db.query_one(f"SELECT COUNT(*) FROM cases WHERE {where}", params)
        rows = self.db.query(
            f"SELECT {CASE_COLUMNS} FROM cases WHERE {where} ORDER BY received_date DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [self._case(r) for r in rows], int(total_row[0]) if total_row else 0

    def facet(self, column: str, scope: Scope = PROVINCE) -> list[tuple[str, int]]:
        """Values and counts of ``column`` among the cases within ``scope``."""
        if column not in {f.column for f in facet_fields()}:
            raise ValueError(column)
        where, params = scope.sql()
        rows = self.db.query(
            f"SELECT {column} AS v, COUNT(*) AS n FROM cases WHERE {column} IS NOT NULL AND {where} "
            f"GROUP BY {column} ORDER BY n DESC",
            params,
        )
        return [(r["v"], r["n"]) for r in rows]


def filter_sql(filters: SearchFilters, *, today: dt.date | None = None, near_days: int = 5) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) selecting cases that match every given filter and lie
    within the filters' scope (``scope.sql()``); which fields filter, and how, comes from the field
    table. A deadline filter needs ``today`` (the repository passes its clock's date): ``overdue`` =
    due before today, ``near`` = due from today to ``near_days`` days ahead, both inclusive (the due
    date is set only in open stages)."""
    by_field = filters.by_field
    clauses: list[str] = ["1=1"]
    params: list[Any] = []
    if filters.scope is not None:
        clause, args = filters.scope.sql()
        clauses.append(clause)
        params.extend(args)
    for f in filter_fields():
        value = by_field.get(f.name)
        if value is None:
            continue
        if f.filter == "multi" and value:
            clauses.append(f"{f.column} IN ({marks(len(value))})")
            params.extend(value)
        elif f.filter == "date_range":
            low, high = value
            if low is not None:
                clauses.append(f"{f.column} >= ?")
                params.append(low.isoformat())
            if high is not None:
                clauses.append(f"{f.column} <= ?")
                params.append(high.isoformat())
        elif f.filter == "boolean":
            clauses.append(f"{f.column} = ?")
            params.append(int(value))
        elif f.filter == "deadline":
            if today is None:
                raise ValueError("the deadline filter needs today's date")
            if value == "overdue":
                clauses.append(f"{f.column} < ?")
                params.append(today.isoformat())
            else:
                clauses.append(f"{f.column} BETWEEN ? AND ?")
                params.extend([today.isoformat(), (today + dt.timedelta(days=near_days)).isoformat()])
    return " AND ".join(clauses), params


def vectors_in(source: Database | sqlite3.Connection, encoder: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
    """Stored vectors of ``ids`` for ``encoder`` (also inside a transaction: pass its connection)."""
    rows = query_in(
        source, "SELECT case_id, vector FROM case_vectors WHERE encoder = ? AND case_id IN ({marks})", ids, [encoder]
    )
    return {int(r[0]): np.frombuffer(r[1], dtype=np.float32) for r in rows}


def read_generation(db: Database) -> int:
    """The database's write generation (how many writes the derived indexes must reflect)."""
    row = db.query_one("SELECT value FROM meta WHERE key = 'generation'")
    return int(row[0]) if row else 0


# The index change log (migration 28) keeps this many newest generations; a serving process
# further behind than that rebuilds its in-memory indexes from the stored vectors instead.
CHANGE_LOG_KEEP = 10_000


def bump_generation(conn: sqlite3.Connection, changed: Iterable[int] | None = None) -> int:
    """Count one more write, inside the writer's transaction; returns its generation.

    ``changed`` (the ids of the cases whose text, vector or existence the write changed; None = any
    case, e.g. a reindex) is logged under the new generation in ``index_changes``, in the same
    transaction, for the other serving processes (kb/indexer.py ``catch_up``).
    """
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('generation', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )
    generation = int(conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
    ids = None if changed is None else " ".join(str(int(i)) for i in sorted(set(changed)))
    conn.execute("INSERT INTO index_changes(generation, ids) VALUES (?, ?)", (generation, ids))
    if generation % 100 == 0:  # pruning every hundredth write keeps the log between KEEP and KEEP + 100
        conn.execute("DELETE FROM index_changes WHERE generation <= ?", (generation - CHANGE_LOG_KEEP,))
    return generation


def changes_between(db: Database, after: int, upto: int) -> list[tuple[int, list[int] | None]]:
    """The change log's rows for generations ``after < g <= upto``, in order: (generation, case
    ids, or None for "any case"). A generation missing from the list was pruned or predates the log."""
    rows = db.query(
        "SELECT generation, ids FROM index_changes WHERE generation > ? AND generation <= ? ORDER BY generation",
        (after, upto),
    )
    return [(int(r[0]), None if r[1] is None else [int(i) for i in str(r[1]).split()]) for r in rows]


def read_meta(source: Database | sqlite3.Connection, key: str) -> str | None:
    """One value of the storage ``meta`` table (``generation``, the petitioner key fingerprint)."""
    sql, params = "SELECT value FROM meta WHERE key = ?", (key,)
    row = source.query_one(sql, params) if isinstance(source, Database) else source.execute(sql, params).fetchone()
    return str(row[0]) if row else None


def write_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Set one ``meta`` value inside the caller's transaction."""
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value)
    )
