"""Case rows: insert/update by external number, fetch, delete, filter to ids, stored vectors."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from kb.domain import Case, SearchFilters
from kb.fields import KEY, decode, facet_fields, stored_fields
from kb.fields import filter_sql as fields_filter_sql
from kb.storage.db import Database

# Derived columns the case service computes; every other column comes from the field table.
DERIVED = ("petitioner_key", "content_hash", "tokens")
CASE_COLUMNS = ", ".join(["id", *(f.column for f in stored_fields()), "petitioner_key", "created_at", "updated_at"])
WRITABLE = (*(f.column for f in stored_fields() if f.name != KEY), *DERIVED)
_DECODE = {f.column: f for f in stored_fields()}


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def row_to_case(row: sqlite3.Row) -> Case:
    data = {k: decode(_DECODE[k], v) if k in _DECODE else v for k, v in dict(row).items()}
    return Case(**{k: data[k] for k in Case.__dataclass_fields__})


class CaseRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, case_id: int) -> Case | None:
        row = self.db.query_one(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,))
        return row_to_case(row) if row else None

    def get_by_external(self, external_no: str) -> Case | None:
        row = self.db.query_one(f"SELECT {CASE_COLUMNS} FROM cases WHERE external_no = ?", (external_no,))
        return row_to_case(row) if row else None

    def get_many(self, ids: Sequence[int]) -> dict[int, Case]:
        out: dict[int, Case] = {}
        for start in range(0, len(ids), 900):
            chunk = list(ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(f"SELECT {CASE_COLUMNS} FROM cases WHERE id IN ({marks})", chunk):
                out[row["id"]] = row_to_case(row)
        return out

    def content_hash(self, case_id: int) -> str | None:
        row = self.db.query_one("SELECT content_hash FROM cases WHERE id = ?", (case_id,))
        return str(row[0]) if row else None

    def hashes_by_external(self, external_nos: Sequence[str]) -> dict[str, tuple[int, str]]:
        """external_no -> (id, content_hash) for those already stored."""
        out: dict[str, tuple[int, str]] = {}
        for start in range(0, len(external_nos), 900):
            chunk = list(external_nos[start : start + 900])
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                f"SELECT external_no, id, content_hash FROM cases WHERE external_no IN ({marks})", chunk
            )
            out.update({r["external_no"]: (r["id"], r["content_hash"]) for r in rows})
        return out

    def upsert(self, conn: sqlite3.Connection, external_no: str, values: dict[str, Any]) -> tuple[int, bool]:
        """Insert or update by external number inside the caller's transaction; (id, created)."""
        stamp = now()
        row = conn.execute("SELECT id FROM cases WHERE external_no = ?", (external_no,)).fetchone()
        cols = [c for c in WRITABLE if c in values]
        if row is None:
            names = ", ".join(["external_no", *cols, "created_at", "updated_at"])
            marks = ", ".join("?" * (len(cols) + 3))
            cur = conn.execute(
                f"INSERT INTO cases ({names}) VALUES ({marks})",
                [external_no, *[values[c] for c in cols], stamp, stamp],
            )
            return int(cur.lastrowid or 0), True
        sets = ", ".join(f"{c} = ?" for c in cols)
        conn.execute(
            f"UPDATE cases SET {sets}, updated_at = ? WHERE id = ?", [*[values[c] for c in cols], stamp, row["id"]]
        )
        return int(row["id"]), False

    def update_fields(self, conn: sqlite3.Connection, case_id: int, values: dict[str, Any]) -> None:
        cols = [c for c in WRITABLE if c in values]
        if not cols:
            return
        sets = ", ".join(f"{c} = ?" for c in cols)
        conn.execute(
            f"UPDATE cases SET {sets}, updated_at = ? WHERE id = ?", [*[values[c] for c in cols], now(), case_id]
        )

    def delete(self, conn: sqlite3.Connection, case_id: int) -> bool:
        return conn.execute("DELETE FROM cases WHERE id = ?", (case_id,)).rowcount > 0

    def save_vectors(self, conn: sqlite3.Connection, encoder: str, rows: Iterable[tuple[int, str, np.ndarray]]) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO case_vectors(case_id, encoder, content_hash, vector) VALUES (?, ?, ?, ?)",
            [(cid, encoder, h, np.asarray(v, dtype=np.float32).tobytes()) for cid, h, v in rows],
        )

    def load_vectors(self, encoder: str, dim: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(ids, vectors) of cases whose stored vector matches their current text, plus stale ids."""
        rows = self.db.query(
            "SELECT c.id, v.vector, v.content_hash = c.content_hash AS fresh FROM cases c "
            "LEFT JOIN case_vectors v ON v.case_id = c.id AND v.encoder = ? ORDER BY c.id",
            (encoder,),
        )
        ids, vecs, stale = [], [], []
        for r in rows:
            if r["vector"] is None or not r["fresh"] or len(r["vector"]) != dim * 4:
                stale.append(r["id"])
            else:
                ids.append(r["id"])
                vecs.append(np.frombuffer(r["vector"], dtype=np.float32))
        matrix = np.vstack(vecs) if vecs else np.zeros((0, dim), np.float32)
        return np.asarray(ids, dtype=np.int64), matrix, stale

    def vectors_for(self, encoder: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        for start in range(0, len(ids), 900):
            chunk = list(ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                f"SELECT case_id, vector FROM case_vectors WHERE encoder = ? AND case_id IN ({marks})",
                [encoder, *chunk],
            )
            out.update({r["case_id"]: np.frombuffer(r["vector"], dtype=np.float32) for r in rows})
        return out

    def all_tokens(self) -> list[tuple[int, list[str]]]:
        return [(r["id"], r["tokens"].split()) for r in self.db.query("SELECT id, tokens FROM cases ORDER BY id")]

    def tokens_for(self, ids: Sequence[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for start in range(0, len(ids), 900):
            chunk = list(ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            for r in self.db.query(f"SELECT id, tokens FROM cases WHERE id IN ({marks})", chunk):
                out[r["id"]] = r["tokens"].split()
        return out

    def filter_ids(self, filters: SearchFilters) -> np.ndarray:
        where, params = filter_sql(filters)
        rows = self.db.query(f"SELECT id FROM cases WHERE {where}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def count(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) FROM cases")
        return int(row[0]) if row else 0

    def page(self, filters: SearchFilters, limit: int = 50, offset: int = 0) -> tuple[list[Case], int]:
        where, params = filter_sql(filters)
        total_row = self.db.query_one(f"SELECT COUNT(*) FROM cases WHERE {where}", params)
        rows = self.db.query(
            f"SELECT {CASE_COLUMNS} FROM cases WHERE {where} ORDER BY received_date DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [row_to_case(r) for r in rows], int(total_row[0]) if total_row else 0

    def facet(self, column: str, city: str | None = None) -> list[tuple[str, int]]:
        """Values and counts of ``column``; ``city`` restricts them to one city (city-bound users)."""
        if column not in {f.column for f in facet_fields()}:
            raise ValueError(column)
        scope, params = ("AND city = ? ", [city]) if city is not None else ("", [])
        rows = self.db.query(
            f"SELECT {column} AS v, COUNT(*) AS n FROM cases WHERE {column} IS NOT NULL {scope}"
            f"GROUP BY {column} ORDER BY n DESC",
            params,
        )
        return [(r["v"], r["n"]) for r in rows]


def filter_sql(filters: SearchFilters) -> tuple[str, list[Any]]:
    """WHERE clause and parameters for the filters (built from the field table)."""
    return fields_filter_sql(filters.by_field)
