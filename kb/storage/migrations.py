"""Schema changes as small numbered steps, applied in order when the database opens.

Each feature owns its steps; a version is applied once and recorded in ``schema_migrations``.
To add one: append ``(version, name, sql)`` to ``MIGRATIONS`` with a version not used before.
"""

from __future__ import annotations

from kb.groups.schema import GROUPS_V3, GROUPS_V7
from kb.modelcases.schema import MODELCASES_V4
from kb.storage.security_sql import SECURITY_V6
from kb.workflow.schema import WORKFLOW_V5

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

# Versions are reserved per feature so parallel work never collides:
# 1 core, 2 users, 3 groups, 4 model cases, 5 workflow, 6 audit/security, 7+ free.
MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "core cases and vectors", CORE_V1),
    (2, "users and api tokens", USERS_V2),
    (5, "workflow: assignments, repeats, litigation, packages", WORKFLOW_V5),
    (6, "audit log and web sessions", SECURITY_V6),
    (4, "model cases with versions", MODELCASES_V4),
    (3, "homogeneous case groups", GROUPS_V3),
    (7, "case groups: reviewer pins to the unassigned pool", GROUPS_V7),
]
