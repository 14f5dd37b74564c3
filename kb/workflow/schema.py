"""Migrations of the workflow: 5 (assignments, repeat links, litigation tracks, leader packages),
10 (the lifecycle: case stage and due date, the transitions table), 11 (signing, answers and
handlers of assignments, the handling history, inbox reads) and 12 (reminders and supervision
orders, satisfaction and follow-ups, manual repeat links, case origin)."""

from __future__ import annotations

from kb.storage.cases import STAGE_BACKFILL
from kb.storage.migrate import Migration

WORKFLOW_V5 = """
-- Dual assignment: a case's locality and department assignees; history kept (ended rows stay).
CREATE TABLE case_assignments (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('locality', 'department')),
    unit        TEXT NOT NULL,
    lead        INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1,
    note        TEXT,
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    ended_by    TEXT,
    ended_at    TEXT
);
CREATE INDEX ix_assign_case ON case_assignments(case_id, active);

-- Repeat petitions: one row per (case, kind); kind = repeat | exact | joint.
CREATE TABLE case_links (
    case_id      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('repeat', 'exact', 'joint')),
    other_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    similarity   REAL NOT NULL,
    repeat_count INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX ix_links_other ON case_links(other_id);
CREATE INDEX ix_cases_petitioner_date ON cases(petitioner_key, received_date);
-- Hash of the normalised text (punctuation and spaces removed) to find exact resubmissions.
CREATE TABLE case_fingerprints (
    case_id   INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    norm_hash TEXT NOT NULL
);
CREATE INDEX ix_fingerprints_hash ON case_fingerprints(norm_hash);

-- 诉访分离: detection evidence and the legal-channel hand-over track.
CREATE TABLE litigation_tracks (
    case_id    INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    score      REAL NOT NULL,
    evidence   TEXT NOT NULL,
    channel    TEXT NOT NULL DEFAULT '政法部门',
    status     TEXT NOT NULL DEFAULT 'flagged',
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE litigation_events (
    id      INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    status  TEXT NOT NULL,
    note    TEXT,
    actor   TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX ix_lit_events_case ON litigation_events(case_id);

-- 领导包案
CREATE TABLE leader_packages (
    id         INTEGER PRIMARY KEY,
    leader     TEXT NOT NULL,
    department TEXT NOT NULL,
    domain     TEXT,
    city       TEXT,
    note       TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE package_cases (
    package_id INTEGER NOT NULL REFERENCES leader_packages(id) ON DELETE CASCADE,
    case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    reasons    TEXT NOT NULL DEFAULT '',
    added_at   TEXT NOT NULL,
    PRIMARY KEY (package_id, case_id)
);
CREATE INDEX ix_package_cases_case ON package_cases(case_id);
"""

# The lifecycle (kb/workflow/lifecycle.py). ``cases.stage`` / ``cases.due_date`` are written only by
# CaseRepository.set_stage; every move is one row of case_transitions (append-only; ``at`` is the
# server's clock in +08:00, ``due_date_after`` the case's due date after the move, ``request_until``
# the last day of the petitioner's 复查/复核 request window the move opened).
# Cases stored before this step start where their status puts them (as an import would, with the
# statutory 15 / 60 / 30 days; the UPDATE of ``cases`` is the case repository's own SQL) and get one
# ``upgrade`` transition dated when the step runs.
LIFECYCLE_V10 = f"""
ALTER TABLE cases ADD COLUMN stage TEXT NOT NULL DEFAULT 'registered';
ALTER TABLE cases ADD COLUMN due_date TEXT;
CREATE INDEX ix_cases_due ON cases(due_date);
CREATE INDEX ix_cases_stage ON cases(stage);

CREATE TABLE case_transitions (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    action         TEXT NOT NULL,
    from_stage     TEXT,
    to_stage       TEXT NOT NULL,
    actor          TEXT NOT NULL,
    actor_unit     TEXT,
    at             TEXT NOT NULL,
    reason         TEXT,
    text           TEXT,
    approver       TEXT,
    due_date_after TEXT,
    request_until  TEXT
);
CREATE INDEX ix_transitions_case ON case_transitions(case_id, id);
CREATE INDEX ix_transitions_action ON case_transitions(action, case_id);

{STAGE_BACKFILL}
INSERT INTO case_transitions(case_id, action, from_stage, to_stage, actor, at, reason, due_date_after, request_until)
SELECT id, 'upgrade', NULL, stage, 'system', strftime('%Y-%m-%dT%H:%M:%S+08:00', 'now', '+8 hours'),
       '系统升级前已登记的案件', due_date,
       CASE WHEN stage = 'replied'
            THEN date(COALESCE(resolved_date, date('now', '+8 hours')), '+30 days') END
FROM cases ORDER BY id;
"""

NOTICES_V12 = """
-- 催办: a reminder to a unit about a case, answered in the system by that unit.
CREATE TABLE reminders (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    unit           TEXT NOT NULL,
    text           TEXT NOT NULL,
    issued_by      TEXT NOT NULL,
    issued_by_unit TEXT,
    issued_at      TEXT NOT NULL,
    reply_text     TEXT,
    replied_by     TEXT,
    replied_at     TEXT
);
CREATE INDEX ix_reminders_case ON reminders(case_id);
CREATE INDEX ix_reminders_unit ON reminders(unit, replied_at);

-- 督办单: a supervision order to a unit with a requirement, a deadline and a required reply.
CREATE TABLE supervision_orders (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    unit           TEXT NOT NULL,
    requirement    TEXT NOT NULL,
    deadline       TEXT NOT NULL,
    issued_by      TEXT NOT NULL,
    issued_by_unit TEXT,
    issued_at      TEXT NOT NULL,
    reply_text     TEXT,
    replied_by     TEXT,
    replied_at     TEXT
);
CREATE INDEX ix_orders_case ON supervision_orders(case_id);
CREATE INDEX ix_orders_unit ON supervision_orders(unit, replied_at);

-- 满意度评价: the petitioner's rating of one reply (reply_ref names it), recorded once per reply.
CREATE TABLE case_evaluations (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    reply_ref   TEXT NOT NULL,
    reply_at    TEXT NOT NULL,
    rating      TEXT NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    note        TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (case_id, reply_ref)
);
CREATE INDEX ix_evaluations_reply_at ON case_evaluations(reply_at);

-- 回访: follow-up contacts with the petitioner.
CREATE TABLE case_followups (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    method      TEXT NOT NULL CHECK (method IN ('phone', 'visit', 'sms')),
    note        TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX ix_followups_case ON case_followups(case_id);

-- Manual repeat links: a person's link is kept by detection (manual = 1); a person's unlink of a
-- pair is remembered so detection never links that pair again; every change is in the history.
ALTER TABLE case_links ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_links ADD COLUMN note TEXT;
CREATE TABLE case_link_blocks (
    case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    other_id   INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    blocked_by TEXT NOT NULL,
    blocked_at TEXT NOT NULL,
    PRIMARY KEY (case_id, other_id)
);
CREATE TABLE case_link_events (
    id       INTEGER PRIMARY KEY,
    case_id  INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    other_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    action   TEXT NOT NULL CHECK (action IN ('link', 'unlink')),
    kinds    TEXT NOT NULL DEFAULT '',
    note     TEXT,
    actor    TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX ix_link_events_case ON case_link_events(case_id);
CREATE INDEX ix_link_events_other ON case_link_events(other_id);

-- Case origin and the 积案 list flag: the columns of the case-field table's rows ``origin`` and
-- ``backlog_list`` (kb/fields.py); cases stored before this step were received at this level.
ALTER TABLE cases ADD COLUMN origin TEXT NOT NULL DEFAULT '本级受理';
ALTER TABLE cases ADD COLUMN backlog_list INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_cases_origin ON cases(origin);
"""

WORKFLOW = Migration(5, "workflow: assignments, repeats, litigation, packages", WORKFLOW_V5)
LIFECYCLE = Migration(10, "lifecycle: case stage, due date and transitions", LIFECYCLE_V10)
NOTICES = Migration(
    12, "workflow: reminders, supervision orders, evaluations, follow-ups, manual links, case origin", NOTICES_V12
)

HANDLING_V11 = """
-- Assignments v2: each assigned unit signs for it (签收) or returns it with a reason (退回), then answers:
-- a locality with its 化解 outcome, a department with its 指导意见. Rows assigned before this step
-- were never signed for: they start as pending_sign, without a sign deadline (nothing is back-dated).
ALTER TABLE case_assignments ADD COLUMN status TEXT NOT NULL DEFAULT 'pending_sign'
    CHECK (status IN ('pending_sign', 'signed', 'returned'));
ALTER TABLE case_assignments ADD COLUMN sign_due TEXT;
ALTER TABLE case_assignments ADD COLUMN signed_by TEXT;
ALTER TABLE case_assignments ADD COLUMN signed_at TEXT;
ALTER TABLE case_assignments ADD COLUMN returned_by TEXT;
ALTER TABLE case_assignments ADD COLUMN returned_at TEXT;
ALTER TABLE case_assignments ADD COLUMN return_reason TEXT;
ALTER TABLE case_assignments ADD COLUMN outcome_text TEXT;
ALTER TABLE case_assignments ADD COLUMN resolved INTEGER;
ALTER TABLE case_assignments ADD COLUMN guidance TEXT;
ALTER TABLE case_assignments ADD COLUMN answered_by TEXT;
ALTER TABLE case_assignments ADD COLUMN answered_at TEXT;
-- The unit that made the assignment (NULL: the provincial level); only it re-assigns.
ALTER TABLE case_assignments ADD COLUMN assigned_by_unit TEXT;
CREATE INDEX ix_assign_unit ON case_assignments(unit, active, status);

-- The handling user of a case within each unit (one current row per case and unit).
CREATE TABLE case_handlers (
    case_id  INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    unit     TEXT NOT NULL,
    username TEXT NOT NULL,
    since    TEXT NOT NULL,
    by       TEXT NOT NULL,
    PRIMARY KEY (case_id, unit)
);
CREATE INDEX ix_handlers_user ON case_handlers(username);

-- Append-only history of a case's handling: assigned, ended, lead, signed, returned, answered, handler.
CREATE TABLE case_handling_events (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    assignment_id INTEGER REFERENCES case_assignments(id) ON DELETE SET NULL,
    unit          TEXT,
    action        TEXT NOT NULL,
    detail        TEXT,
    actor         TEXT NOT NULL,
    actor_unit    TEXT,
    at            TEXT NOT NULL
);
CREATE INDEX ix_handling_events_case ON case_handling_events(case_id, id);

-- Which inbox items each user has read (keys are stable per item).
CREATE TABLE inbox_reads (
    username TEXT NOT NULL,
    key      TEXT NOT NULL,
    read_at  TEXT NOT NULL,
    PRIMARY KEY (username, key)
);
"""

HANDLING = Migration(11, "workflow: signing, answers, handlers, handling history, inbox reads", HANDLING_V11)

# Migration 16: 领导包案 v2. A register of leaders (name, post, unit, domains = the case categories
# they take); a package names a registered leader and carries a plan, a deadline, a status
# (open | concluded | withdrawn, with when and by whom it ended) and dated milestones. Packages made
# before this step keep their free-text leader (leader_id NULL) and stay open.
PACKAGES_V16 = """
CREATE TABLE leaders (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    post       TEXT NOT NULL,
    unit       TEXT NOT NULL,
    domains    TEXT NOT NULL DEFAULT '[]',
    city       TEXT,
    active     INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (name, unit)
);
ALTER TABLE leader_packages ADD COLUMN leader_id INTEGER REFERENCES leaders(id);
ALTER TABLE leader_packages ADD COLUMN plan TEXT;
ALTER TABLE leader_packages ADD COLUMN deadline TEXT;
ALTER TABLE leader_packages ADD COLUMN status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'concluded', 'withdrawn'));
ALTER TABLE leader_packages ADD COLUMN ended_at TEXT;
ALTER TABLE leader_packages ADD COLUMN ended_by TEXT;
ALTER TABLE leader_packages ADD COLUMN end_note TEXT;
CREATE INDEX ix_packages_leader ON leader_packages(leader_id, status);
CREATE TABLE package_milestones (
    id         INTEGER PRIMARY KEY,
    package_id INTEGER NOT NULL REFERENCES leader_packages(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    due_date   TEXT NOT NULL,
    done_date  TEXT,
    done_at    TEXT,
    done_by    TEXT,
    note       TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_milestones_package ON package_milestones(package_id);
"""
PACKAGES = Migration(16, "workflow: leader register, package plan, milestones, deadline and status", PACKAGES_V16)

# Why an assignment ended: re-assigned, or closed because its case was concluded while it still
# awaited 签收 (kb/workflow/assignment_service.close_on_conclusion). Ended rows are kept, never deleted.
ASSIGNMENT_END_V23 = """
ALTER TABLE case_assignments ADD COLUMN end_reason TEXT;
"""
ASSIGNMENT_END = Migration(23, "workflow: the reason an assignment ended (closed on conclusion)", ASSIGNMENT_END_V23)

# This feature's steps, ascending; kb/schema.py places them in the global order.
MIGRATIONS: list[Migration] = [WORKFLOW, LIFECYCLE, HANDLING, NOTICES, PACKAGES, ASSIGNMENT_END]
