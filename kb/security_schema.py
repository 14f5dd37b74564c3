"""Migrations of the security feature: 6 (the append-only audit log and web sessions), 9 (accounts
bound to a unit and a scope, and the acting unit on audit events), 13 (login throttling)."""

from __future__ import annotations

from kb.storage.migrate import Migration

# Triggers make the table append-only for anything going through SQLite, the service included.
AUDIT_SQL = """
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER,
    username    TEXT NOT NULL,
    role        TEXT,
    city        TEXT,
    action      TEXT NOT NULL,
    record_type TEXT,
    record_id   TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_audit_at ON audit_events(at);
CREATE INDEX ix_audit_action ON audit_events(action);
CREATE INDEX ix_audit_user ON audit_events(username);
CREATE INDEX ix_audit_record ON audit_events(record_type, record_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
"""

SESSIONS_SQL = """
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_sessions_user ON sessions(user_id);
"""

SECURITY_V6 = AUDIT_SQL + SESSIONS_SQL

AUDIT_AND_SESSIONS = Migration(6, "audit log and web sessions", SECURITY_V6)

# Old accounts keep what they saw: a city-bound user (``city`` set) gets that city's scope, every
# other account the province's. ``users.city`` stays (written for city scopes) for old readers.
ACCOUNT_SCOPES_SQL = """
ALTER TABLE users ADD COLUMN unit TEXT;
ALTER TABLE users ADD COLUMN scope_kind TEXT NOT NULL DEFAULT 'province';
ALTER TABLE users ADD COLUMN scope_cities TEXT NOT NULL DEFAULT '[]';
UPDATE users SET unit = city, scope_kind = 'city', scope_cities = json_array(city) WHERE city IS NOT NULL;
ALTER TABLE audit_events ADD COLUMN unit TEXT;
"""

ACCOUNT_SCOPES = Migration(9, "accounts bound to a unit and a scope", ACCOUNT_SCOPES_SQL)

# Failed-login counters (kb/login_throttle.py), one row per user name and per client address. The
# key is a hash ("user:NAME" / "client:ADDRESS"), so neither typed names nor addresses are stored.
# Times are Unix seconds from the kernel clock.
LOGIN_ATTEMPTS_SQL = """
CREATE TABLE login_attempts (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    window_start INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
);
"""

LOGIN_ATTEMPTS = Migration(13, "login attempts per user and per client", LOGIN_ATTEMPTS_SQL)

# This feature's steps, ascending; kb/schema.py places them in the global order.
MIGRATIONS: list[Migration] = [AUDIT_AND_SESSIONS, ACCOUNT_SCOPES, LOGIN_ATTEMPTS]
