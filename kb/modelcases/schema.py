"""Migrations of the model-case library: 4 (model cases, immutable versions, events, text vectors)."""

from __future__ import annotations

from kb.storage.migrate import Migration

MODELCASES_V4 = """
CREATE TABLE model_cases (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    status            TEXT NOT NULL DEFAULT 'draft',
    current_version   INTEGER NOT NULL,
    published_version INTEGER,
    category          TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    published_at      TEXT,
    published_by      TEXT
);
CREATE INDEX ix_model_cases_status ON model_cases(status);
CREATE INDEX ix_model_cases_category ON model_cases(category);

-- Full snapshots: a version is never changed once written.
CREATE TABLE model_case_versions (
    model_case_id INTEGER NOT NULL REFERENCES model_cases(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    data          TEXT NOT NULL,
    editor        TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    PRIMARY KEY (model_case_id, version)
);

CREATE TABLE model_case_events (
    id            INTEGER PRIMARY KEY,
    model_case_id INTEGER NOT NULL REFERENCES model_cases(id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    version       INTEGER,
    note          TEXT NOT NULL DEFAULT ''
);

-- Derived: embeddings of model-case texts by content hash, so a restart never re-encodes.
CREATE TABLE model_case_vectors (
    content_hash TEXT NOT NULL,
    encoder      TEXT NOT NULL,
    vector       BLOB NOT NULL,
    PRIMARY KEY (content_hash, encoder)
);
"""

MODEL_CASES = Migration(4, "model cases with versions", MODELCASES_V4)

# This feature's steps, ascending; kb/schema.py places them in the global order.
MIGRATIONS: list[Migration] = [MODEL_CASES]
