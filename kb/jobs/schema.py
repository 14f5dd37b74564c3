"""Migration 27: the background-job queue.

A job row is the whole record of one piece of long work: what was asked (``kind``, ``params``), by
whom and when, how far it got, and its result or error. It outlives the process that ran it, so a
result survives a restart and a job cut short by one is marked ``interrupted``, never left running.
"""

from __future__ import annotations

from kb.storage.migrate import Migration

JOBS_V27 = """
CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,
    params            TEXT NOT NULL DEFAULT '{}',
    status            TEXT NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    progress_done     INTEGER NOT NULL DEFAULT 0,
    progress_total    INTEGER,
    message           TEXT NOT NULL DEFAULT '',
    result            TEXT,
    error             TEXT,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    runner            TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    started_at        TEXT,
    heartbeat_at      TEXT,
    finished_at       TEXT
);
CREATE INDEX ix_jobs_status ON jobs(status, id);
"""

JOBS = Migration(27, "background jobs", JOBS_V27)
MIGRATIONS = [JOBS]
