"""Model-case tables and repository: every edit is a new version; lifecycle draft → published → retired."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from kb.clock import Clock
from kb.modelcases.domain import HistoryEvent, MCStatus, ModelCase, ModelCaseIn, VersionInfo
from kb.storage.cases import now
from kb.storage.db import Database
from kb.storage.sql import marks, query_in

# Counted up in ``meta`` by every change of what is published (``set_status``, in the writer's
# transaction), so each API worker's match index sees another worker's publish or retire.
PUBLISHED_KEY = "modelcases_published_generation"

_HEAD = (
    "m.id, m.code, m.status, m.current_version, m.published_version, m.created_at, m.updated_at, "
    "m.published_at, m.published_by"
)


def _row_to_mc(row: sqlite3.Row) -> ModelCase:
    return ModelCase(
        id=row["id"],
        code=row["code"],
        status=row["status"],
        version=row["version"],
        current_version=row["current_version"],
        published_version=row["published_version"],
        data=ModelCaseIn.model_validate_json(row["data"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        published_at=row["published_at"],
        published_by=row["published_by"],
    )


class ModelCaseRepository:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        """``clock`` dates the rows' ``created_at``/``updated_at`` (the service's; the machine's without one)."""
        self.db, self.clock = db, clock

    # -- writes (inside the caller's transaction) -----------------------------------------------
    def insert(self, conn: sqlite3.Connection, data: ModelCaseIn, editor: str, note: str = "") -> int:
        stamp = now(self.clock)
        cur = conn.execute(
            "INSERT INTO model_cases(code, status, current_version, category, created_at, updated_at) "
            "VALUES (?, 'draft', 1, ?, ?, ?)",
            (data.code, data.category, stamp, stamp),
        )
        mc_id = int(cur.lastrowid or 0)
        self._write_version(conn, mc_id, 1, data, editor, note, stamp)
        self.event(conn, mc_id, editor, "create", 1, note)
        return mc_id

    def add_version(self, conn: sqlite3.Connection, mc_id: int, data: ModelCaseIn, editor: str, note: str) -> int:
        row = conn.execute("SELECT current_version FROM model_cases WHERE id = ?", (mc_id,)).fetchone()
        version = int(row[0]) + 1
        stamp = now(self.clock)
        self._write_version(conn, mc_id, version, data, editor, note, stamp)
        conn.execute(
            "UPDATE model_cases SET current_version = ?, category = ?, updated_at = ? WHERE id = ?",
            (version, data.category, stamp, mc_id),
        )
        self.event(conn, mc_id, editor, "edit", version, note)
        return version

    def _write_version(
        self, conn: sqlite3.Connection, mc_id: int, version: int, data: ModelCaseIn, editor: str, note: str, at: str
    ) -> None:
        conn.execute(
            "INSERT INTO model_case_versions(model_case_id, version, data, editor, note, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (mc_id, version, data.model_dump_json(), editor, note, at),
        )

    def set_status(
        self, conn: sqlite3.Connection, mc_id: int, status: MCStatus, actor: str, version: int | None = None
    ) -> int:
        """Publish ``version``, or retire / set another status; returns the new published generation."""
        stamp = now(self.clock)
        if status is MCStatus.published:
            conn.execute(
                "UPDATE model_cases SET status = 'published', published_version = ?, published_at = ?, "
                "published_by = ?, updated_at = ? WHERE id = ?",
                (version, stamp, actor, stamp, mc_id),
            )
        else:
            conn.execute("UPDATE model_cases SET status = ?, updated_at = ? WHERE id = ?", (status.value, stamp, mc_id))
        self.event(conn, mc_id, actor, "publish" if status is MCStatus.published else status.value, version)
        conn.execute(
            f"INSERT INTO meta(key, value) VALUES ('{PUBLISHED_KEY}', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        row = conn.execute(f"SELECT value FROM meta WHERE key = '{PUBLISHED_KEY}'").fetchone()
        return int(row[0])

    def event(
        self, conn: sqlite3.Connection, mc_id: int, actor: str, action: str, version: int | None, note: str = ""
    ) -> None:
        conn.execute(
            "INSERT INTO model_case_events(model_case_id, at, actor, action, version, note) VALUES (?,?,?,?,?,?)",
            (mc_id, now(self.clock), actor, action, version, note),
        )

    # -- reads -----------------------------------------------------------------------------------
    def published_generation(self) -> int:
        """How many times what is published has changed (0 before the first publish)."""
        row = self.db.query_one(f"SELECT value FROM meta WHERE key = '{PUBLISHED_KEY}'")
        return int(row[0]) if row else 0

    def get(self, mc_id: int, version: int | None = None, published: bool = False) -> ModelCase | None:
        """One version: ``version``, else the published one if ``published``, else the latest."""
        which = "?" if version is not None else ("m.published_version" if published else "m.current_version")
        params: list[Any] = [version] if version is not None else []
        row = self.db.query_one(
            f"SELECT {_HEAD}, v.version, v.data FROM model_cases m JOIN model_case_versions v "
            f"ON v.model_case_id = m.id AND v.version = {which} WHERE m.id = ?",
            [*params, mc_id],
        )
        return _row_to_mc(row) if row else None

    def id_for_code(self, code: str) -> int | None:
        row = self.db.query_one("SELECT id FROM model_cases WHERE code = ?", (code,))
        return int(row[0]) if row else None

    def page(
        self,
        statuses: Sequence[str],
        category: str | None = None,
        published_view: bool = True,
        limit: int = 1000,
        offset: int = 0,
    ) -> tuple[list[ModelCase], int]:
        """Model cases in the given statuses; published ones show their published version if asked."""
        where = [f"m.status IN ({marks(len(statuses))})"]
        params: list[Any] = list(statuses)
        if category:
            where.append("m.category = ?")
            params.append(category)
        which = "COALESCE(m.published_version, m.current_version)" if published_view else "m.current_version"
        clause = " AND ".join(where)
        total = self.db.query_one(f"SELECT COUNT(*) FROM model_cases m WHERE {clause}", params)
        rows = self.db.query(
            f"SELECT {_HEAD}, v.version, v.data FROM model_cases m JOIN model_case_versions v "
            f"ON v.model_case_id = m.id AND v.version = {which} WHERE {clause} ORDER BY m.id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_row_to_mc(r) for r in rows], int(total[0]) if total else 0

    def published(self) -> list[ModelCase]:
        rows = self.db.query(
            f"SELECT {_HEAD}, v.version, v.data FROM model_cases m JOIN model_case_versions v "
            "ON v.model_case_id = m.id AND v.version = m.published_version WHERE m.status = 'published' ORDER BY m.id"
        )
        return [_row_to_mc(r) for r in rows]

    def versions(self, mc_id: int) -> list[VersionInfo]:
        rows = self.db.query(
            "SELECT version, editor, note, created_at FROM model_case_versions "
            "WHERE model_case_id = ? ORDER BY version",
            (mc_id,),
        )
        return [VersionInfo(r["version"], r["editor"], r["note"], r["created_at"]) for r in rows]

    def events(self, mc_id: int) -> list[HistoryEvent]:
        rows = self.db.query(
            "SELECT at, actor, action, version, note FROM model_case_events WHERE model_case_id = ? ORDER BY id",
            (mc_id,),
        )
        return [HistoryEvent(r["at"], r["actor"], r["action"], r["version"], r["note"]) for r in rows]

    def next_id(self) -> int:
        row = self.db.query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM model_cases")
        return int(row[0]) if row else 1

    def count(self, status: str | None = None) -> int:
        sql, params = "SELECT COUNT(*) FROM model_cases", []
        if status:
            sql, params = sql + " WHERE status = ?", [status]
        row = self.db.query_one(sql, params)
        return int(row[0]) if row else 0

    # -- derived vectors -------------------------------------------------------------------------
    def vectors_by_hash(self, encoder: str, hashes: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        """Stored vectors by content hash: model-case texts first, then identical case texts."""
        out: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(hashes))
        for table in ("model_case_vectors", "case_vectors"):
            missing = [h for h in wanted if h not in out]
            rows = query_in(
                self.db,
                f"SELECT content_hash, vector FROM {table} WHERE encoder = ? AND content_hash IN ({{marks}})",
                missing,
                [encoder],
            )
            for r in rows:
                if len(r["vector"]) == dim * 4:
                    out[r["content_hash"]] = np.frombuffer(r["vector"], dtype=np.float32)
        return out

    def save_vectors(self, encoder: str, items: Sequence[tuple[str, np.ndarray]]) -> None:
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO model_case_vectors(content_hash, encoder, vector) VALUES (?, ?, ?)",
                [(h, encoder, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items],
            )


def dump(data: ModelCaseIn) -> dict[str, Any]:
    return json.loads(data.model_dump_json())
