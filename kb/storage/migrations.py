"""Storage's own migrations: 1 (cases, case vectors, meta), 2 (users and API tokens) and 14 (the
cases' status log).

Features declare theirs in their own ``schema.py``; ``kb/schema.py`` states the global order.
"""

from __future__ import annotations

from kb.storage.migrate import Migration

CORE_V1 = """
CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    external_no     TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL DEFAULT '',
    content         TEXT NOT NULL,
    received_date   TEXT NOT NULL,
    channel         TEXT,
    city            TEXT,
    district        TEXT,
    department      TEXT,
    category        TEXT,
    status          TEXT NOT NULL DEFAULT 'pending',
    resolution_note TEXT,
    resolved_date   TEXT,
    litigation      INTEGER NOT NULL DEFAULT 0,
    petitioner_key  TEXT,
    petitioner_name TEXT,
    participants    INTEGER NOT NULL DEFAULT 1,
    content_hash    TEXT NOT NULL,
    tokens          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX ix_cases_city ON cases(city);
CREATE INDEX ix_cases_department ON cases(department);
CREATE INDEX ix_cases_category ON cases(category);
CREATE INDEX ix_cases_status ON cases(status);
CREATE INDEX ix_cases_received ON cases(received_date);
CREATE INDEX ix_cases_petitioner ON cases(petitioner_key);

-- Derived data: one embedding per case and encoder, reused while the text is unchanged.
CREATE TABLE case_vectors (
    case_id      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    encoder      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector       BLOB NOT NULL,
    PRIMARY KEY (case_id, encoder)
);

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

USERS_V2 = """
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    city          TEXT,
    password_hash TEXT,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
CREATE TABLE api_tokens (
    token_hash   TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0
);
"""

CASES = Migration(1, "core cases and vectors", CORE_V1)
USERS = Migration(2, "users and api tokens", USERS_V2)

# This module's steps, ascending; kb/schema.py places them in the global order.

# Migration 14: every change of a case's 化解 status with the day it takes effect for reports
# (kb/workflow/rates.py reads it "as of" a period's end, so a later change never alters a past period).
# ``source`` 'registry' = the first import of the case (effective on the registry's own dates: the
# resolution date for a concluded case, else the received date); any later change ('edit', 'import',
# 'lifecycle', 'batch') takes effect on the day it was recorded (``at``, the server clock), never earlier.
# Cases stored before this step get one 'registry' row each.
STATUS_LOG_V14 = """
CREATE TABLE case_status_log (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    effective_on  TEXT NOT NULL,
    at            TEXT,
    source        TEXT NOT NULL
);
CREATE INDEX ix_status_log_case ON case_status_log(case_id, id);
INSERT INTO case_status_log(case_id, status, effective_on, at, source)
SELECT id, status,
       CASE WHEN status IN ('resolved', 'closed', 'unresolved') THEN COALESCE(resolved_date, received_date)
            ELSE received_date END,
       NULL, 'registry'
FROM cases ORDER BY id;
"""
STATUS_LOG = Migration(14, "cases: status log with effective dates", STATUS_LOG_V14)

# The log in effective-day order per case (rowid = log order within a day), covering the status: the
# rates counted in SQL (kb/workflow/rate_store.py) find each row's neighbours with one probe each.
STATUS_LOG_RUNS_V21 = "CREATE INDEX ix_status_log_runs ON case_status_log(case_id, effective_on, status);"
STATUS_LOG_RUNS = Migration(21, "cases: status log index by effective day", STATUS_LOG_RUNS_V21)

# Migration 28: the index change log. Every write generation (``meta.generation``, bumped inside each
# write transaction) gets one row naming the cases it changed (space-separated ids; NULL = any case,
# e.g. a reindex), so a serving process that did not make the write (``leian serve --workers N``)
# re-applies exactly those cases from their stored vectors and tokens (kb/indexer.py ``catch_up``).
# Pruned to the newest CHANGE_LOG_KEEP rows; a process further behind rebuilds from the database.
INDEX_CHANGES_V28 = """
CREATE TABLE index_changes (
    generation INTEGER PRIMARY KEY,
    ids        TEXT
);
"""
INDEX_CHANGES = Migration(28, "index change log per write generation", INDEX_CHANGES_V28)

MIGRATIONS: list[Migration] = [CASES, USERS, STATUS_LOG, STATUS_LOG_RUNS, INDEX_CHANGES]
