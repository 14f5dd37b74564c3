"""SQL of background jobs (migration 27): the only writer of ``jobs``."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from kb.storage.db import Database

ACTIVE = ("queued", "running")
FINAL = ("succeeded", "failed", "cancelled", "interrupted")


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, kind: str, params: dict[str, Any], by: str, at: str) -> int:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO jobs(kind, params, created_by, created_at, message) VALUES (?, ?, ?, ?, '排队等待')",
                (kind, json.dumps(params, ensure_ascii=False, sort_keys=True), by, at),
            )
            return int(cur.lastrowid or 0)

    def get(self, job_id: int) -> sqlite3.Row | None:
        return self.db.query_one("SELECT * FROM jobs WHERE id = ?", (job_id,))

    def list(self, *, created_by: str | None = None, status: str | None = None, limit: int = 50) -> list[sqlite3.Row]:
        clauses, params = [], []
        if created_by is not None:
            clauses.append("created_by = ?")
            params.append(created_by)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return self.db.query(f"SELECT * FROM jobs{where} ORDER BY id DESC LIMIT ?", [*params, limit])

    def claim_next(self, runner: str, at: str) -> sqlite3.Row | None:
        """Atomically take the oldest queued job (a second runner never gets the same one)."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM jobs WHERE status = 'queued' AND cancel_requested = 0 ORDER BY id LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET status = 'running', runner = ?, started_at = ?, heartbeat_at = ?, "
                "message = '开始执行' "
                "WHERE id = ? AND status = 'queued'",
                (runner, at, at, row["id"]),
            )
            return conn.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()

    def progress(self, job_id: int, done: int, total: int | None, message: str, at: str) -> bool:
        """Record progress and a heartbeat; returns whether a cancellation was asked for."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET progress_done = ?, progress_total = COALESCE(?, progress_total), message = ?, "
                "heartbeat_at = ? WHERE id = ? AND status = 'running'",
                (done, total, message, at, job_id),
            )
            row = conn.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row["cancel_requested"])

    def heartbeat(self, job_id: int, at: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND status = 'running'", (at, job_id))

    def finish(
        self, job_id: int, status: str, at: str, *, result: Any = None, error: str | None = None, message: str = ""
    ) -> None:
        if status not in FINAL:
            raise ValueError(status)
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, result = ?, error = ?, message = ?, heartbeat_at = ? "
                "WHERE id = ? AND status IN ('queued', 'running')",
                (
                    status,
                    at,
                    None if result is None else json.dumps(result, ensure_ascii=False, default=str),
                    error,
                    message,
                    at,
                    job_id,
                ),
            )

    def request_cancel(self, job_id: int, at: str) -> str:
        """Ask a job to stop: a queued job is cancelled at once, a running one at its next progress step.

        Returns the job's status afterwards."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ?, "
                "message = '已取消（未开始执行）' "
                "WHERE id = ? AND status = 'queued'",
                (at, job_id),
            )
            conn.execute(
                "UPDATE jobs SET cancel_requested = 1, message = '正在取消……' WHERE id = ? AND status = 'running'",
                (job_id,),
            )
            row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return str(row["status"]) if row else ""

    def interrupt(self, job_id: int, at: str) -> None:
        """A running job whose runner is gone: its transaction was rolled back with the process."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = 'interrupted', finished_at = ?, "
                "message = '执行中断（服务重启或执行进程退出），未完成的写入已回滚；可重新提交' "
                "WHERE id = ? AND status = 'running'",
                (at, job_id),
            )
