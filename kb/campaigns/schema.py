"""Migration 15: campaigns, their case lists, responsibility letters, notices, replies and visits.

Notices are stored when issued (``content`` is the whole notice as JSON, ``markdown`` its text), so
a past week's notice never changes; a closed campaign keeps its figures in ``frozen``.
"""

from __future__ import annotations

from kb.storage.migrate import Migration

CAMPAIGNS_V15 = """
CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL DEFAULT '',
    starts_on        TEXT NOT NULL,
    deadline         TEXT NOT NULL,
    resolution_line  REAL NOT NULL,
    repeat_line      REAL NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    closed_by        TEXT,
    closed_at        TEXT,
    frozen           TEXT
);
CREATE TABLE campaign_cases (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    case_id      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    locality     TEXT NOT NULL,
    department   TEXT,
    lead_unit    TEXT NOT NULL,
    target_date  TEXT NOT NULL,
    added_by     TEXT NOT NULL,
    added_at     TEXT NOT NULL,
    PRIMARY KEY (campaign_id, case_id)
);
CREATE INDEX ix_campaign_cases_unit ON campaign_cases(campaign_id, lead_unit);
CREATE TABLE campaign_letters (
    id                 INTEGER PRIMARY KEY,
    campaign_id        INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    unit               TEXT NOT NULL,
    resolution_target  REAL NOT NULL,
    repeat_target      REAL NOT NULL,
    deadline           TEXT NOT NULL,
    signed_on          TEXT NOT NULL,
    signatory          TEXT NOT NULL,
    recorded_by        TEXT NOT NULL,
    recorded_at        TEXT NOT NULL,
    UNIQUE (campaign_id, unit)
);
CREATE TABLE campaign_notices (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    week_end     TEXT NOT NULL,
    issued_by    TEXT NOT NULL,
    issued_at    TEXT NOT NULL,
    content      TEXT NOT NULL,
    markdown     TEXT NOT NULL,
    UNIQUE (campaign_id, week_end)
);
CREATE TABLE campaign_replies (
    id          INTEGER PRIMARY KEY,
    notice_id   INTEGER NOT NULL REFERENCES campaign_notices(id) ON DELETE CASCADE,
    unit        TEXT NOT NULL,
    text        TEXT NOT NULL,
    filed_by    TEXT NOT NULL,
    filed_at    TEXT NOT NULL,
    UNIQUE (notice_id, unit)
);
CREATE TABLE campaign_visits (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    team         TEXT NOT NULL,
    units        TEXT NOT NULL,
    findings     TEXT NOT NULL,
    starts_on    TEXT NOT NULL,
    ends_on      TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE TABLE campaign_orders (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    order_id     INTEGER NOT NULL REFERENCES supervision_orders(id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, order_id)
);
"""

CAMPAIGNS = Migration(15, "campaigns: case lists, responsibility letters, notices, replies, visits", CAMPAIGNS_V15)
MIGRATIONS: list[Migration] = [CAMPAIGNS]
