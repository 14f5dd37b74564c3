"""Migration 18: the 诉访分离 hand-over tables (hand-overs, referrals, steps, checklist, 司法救助)."""

from __future__ import annotations

from kb.storage.migrate import Migration

HANDOVER_V18 = """
-- One hand-over (移交): one case, or several handled together (并案, e.g. a 涉众 group's cases).
CREATE TABLE litigation_handovers (
    id              INTEGER PRIMARY KEY,
    unit            TEXT NOT NULL,
    supervisor      TEXT NOT NULL,
    group_id        INTEGER,
    note            TEXT,
    feedback_due    TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_by_unit TEXT,
    created_at      TEXT NOT NULL
);

-- One case referred to one 政法 unit; the status is the last step's; at most one open per case.
CREATE TABLE litigation_referrals (
    id           INTEGER PRIMARY KEY,
    handover_id  INTEGER NOT NULL REFERENCES litigation_handovers(id) ON DELETE CASCADE,
    case_id      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    unit         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'referred'
        CHECK (status IN ('referred', 'checked', 'corrected', 'resolved', 'returned', 'concluded')),
    feedback_due TEXT NOT NULL,
    answered_at  TEXT,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_referrals_open ON litigation_referrals(case_id)
    WHERE status NOT IN ('returned', 'concluded');
CREATE INDEX ix_referrals_unit ON litigation_referrals(unit, status);
CREATE INDEX ix_referrals_handover ON litigation_referrals(handover_id);

-- Append-only: every step of a referral (refer, check, correct, resolve, return, conclude).
CREATE TABLE litigation_steps (
    id          INTEGER PRIMARY KEY,
    referral_id INTEGER NOT NULL REFERENCES litigation_referrals(id) ON DELETE CASCADE,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    text        TEXT,
    actor       TEXT NOT NULL,
    actor_unit  TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX ix_litigation_steps_referral ON litigation_steps(referral_id, id);

-- 三到位一处理, append-only: the latest row per (case, item) is the current state of that item.
CREATE TABLE litigation_checklist (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    item       TEXT NOT NULL CHECK (item IN ('reasonable', 'unreasonable', 'hardship', 'illegal')),
    applies    INTEGER NOT NULL,
    done       INTEGER NOT NULL,
    note       TEXT,
    actor      TEXT NOT NULL,
    actor_unit TEXT,
    at         TEXT NOT NULL
);
CREATE INDEX ix_litigation_checklist_case ON litigation_checklist(case_id, item, id);

-- 司法救助: a request (applicant, amount in yuan) and, once, its decision.
CREATE TABLE judicial_aid (
    id                INTEGER PRIMARY KEY,
    case_id           INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    referral_id       INTEGER NOT NULL REFERENCES litigation_referrals(id) ON DELETE CASCADE,
    applicant         TEXT NOT NULL,
    amount            REAL NOT NULL,
    reason            TEXT,
    requested_by      TEXT NOT NULL,
    requested_by_unit TEXT,
    requested_at      TEXT NOT NULL,
    decision          TEXT CHECK (decision IN ('granted', 'partly', 'refused')),
    decided_amount    REAL,
    decision_note     TEXT,
    decided_by        TEXT,
    decided_at        TEXT
);
CREATE INDEX ix_judicial_aid_case ON judicial_aid(case_id);
"""

HANDOVER = Migration(18, "zhengfa: 诉访分离 hand-overs, referrals, steps, checklist, judicial aid", HANDOVER_V18)

MIGRATIONS: list[Migration] = [HANDOVER]
