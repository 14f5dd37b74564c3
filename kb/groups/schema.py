"""Migrations of case groups: 3 (groups, members, runs, lineage, edits, decisions), 7 (pins), 17 (special
groups), 19 (families), 35 (stored per-group summaries for incremental refresh after reviewer edits)."""

from __future__ import annotations

from kb.storage.migrate import Migration

GROUPS_V3 = """
CREATE TABLE group_runs (
    id          INTEGER PRIMARY KEY,
    actor       TEXT NOT NULL,
    params      TEXT NOT NULL,
    n_cases     INTEGER NOT NULL,
    n_groups    INTEGER NOT NULL,
    n_unassigned INTEGER NOT NULL,
    model       BLOB,
    created_at  TEXT NOT NULL
);
CREATE TABLE case_groups (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    name_manual     INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'active',
    locked          INTEGER NOT NULL DEFAULT 0,
    keywords        TEXT NOT NULL DEFAULT '[]',
    representatives TEXT NOT NULL DEFAULT '[]',
    centroid        BLOB,
    lead_department TEXT,
    policy_note     TEXT,
    batch_status    TEXT,
    run_id          INTEGER REFERENCES group_runs(id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    updated_by      TEXT
);
CREATE INDEX ix_case_groups_state ON case_groups(state);
-- One row per grouped case; a case without a row is in the unassigned pool.
-- source: discovered | assigned (on ingest) | manual (reviewer: pinned, re-discovery keeps it).
CREATE TABLE group_members (
    case_id     INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    group_id    INTEGER NOT NULL REFERENCES case_groups(id),
    source      TEXT NOT NULL,
    score       REAL,
    assigned_at TEXT NOT NULL,
    assigned_by TEXT
);
CREATE INDEX ix_group_members_group ON group_members(group_id);
CREATE TABLE group_lineage (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER REFERENCES group_runs(id),
    kind        TEXT NOT NULL,
    group_id    INTEGER NOT NULL,
    other_id    INTEGER,
    actor       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE group_edits (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',
    actor       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX ix_group_edits_group ON group_edits(group_id);
CREATE TABLE group_decisions (
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES case_groups(id),
    decision        TEXT NOT NULL,
    status          TEXT NOT NULL,
    lead_department TEXT,
    policy_note     TEXT,
    n_cases         INTEGER NOT NULL,
    actor           TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE TABLE case_decisions (
    case_id         INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    decision_id     INTEGER NOT NULL REFERENCES group_decisions(id),
    previous_status TEXT NOT NULL,
    PRIMARY KEY (case_id, decision_id)
);
"""

# Migration 7: cases a reviewer moved back to the unassigned pool stay there; re-discovery and
# ingest assignment skip them until a reviewer moves them into a group again.
GROUPS_V7 = """
CREATE TABLE group_pool_pins (
    case_id     INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    from_group  INTEGER,
    actor       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
"""

# Migration 17: 专项小组 (special groups) own case groups and carry member units, a lead unit and a
# policy document. A batch decision records the preview it applied (token), which current statuses
# the reviewer left alone, and per member case its new status (NULL: left alone), the reply (答复)
# and when it changed (the server clock; nothing is back-dated).
GROUPS_V17 = """
CREATE TABLE special_groups (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    lead_unit      TEXT NOT NULL,
    member_units   TEXT NOT NULL DEFAULT '[]',
    policy_title   TEXT,
    policy_number  TEXT,
    policy_date    TEXT,
    policy_text    TEXT,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'concluded', 'dissolved')),
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE TABLE special_group_groups (
    group_id         INTEGER PRIMARY KEY REFERENCES case_groups(id),
    special_group_id INTEGER NOT NULL REFERENCES special_groups(id) ON DELETE CASCADE,
    added_by         TEXT NOT NULL,
    added_at         TEXT NOT NULL
);
CREATE INDEX ix_special_group_groups ON special_group_groups(special_group_id);
ALTER TABLE group_decisions ADD COLUMN special_group_id INTEGER REFERENCES special_groups(id);
ALTER TABLE group_decisions ADD COLUMN preview_token TEXT;
ALTER TABLE group_decisions ADD COLUMN left_alone TEXT NOT NULL DEFAULT '[]';
ALTER TABLE case_decisions ADD COLUMN new_status TEXT;
ALTER TABLE case_decisions ADD COLUMN reply TEXT;
ALTER TABLE case_decisions ADD COLUMN changed_at TEXT;
"""

# Migration 19 (issue 19): groups are at the grain of one matter; the level above is the group
# family (one issue type). Family ids are kept across runs by group overlap (kb/groups/families.py).
# Issue 19 was given this one step, so it also adds the evidence of detected repeat links
# (case_links.evidence, JSON list); that column is read and written only by kb/workflow/store.py.
GROUPS_V19 = """
CREATE TABLE group_families (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    keywords    TEXT NOT NULL DEFAULT '[]',
    state       TEXT NOT NULL DEFAULT 'active',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
ALTER TABLE case_groups ADD COLUMN family_id INTEGER REFERENCES group_families(id);
CREATE INDEX ix_case_groups_family ON case_groups(family_id);
ALTER TABLE case_links ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]';
"""

# Migration 35 (issue 20): what a refresh added up per group, stored so that a reviewer edit re-reads only
# the groups it changed (kb/groups/summary_store.py). One row per active group: its membership
# fingerprint when summed (members, sum and a mixed sum of case ids), its term counts and document
# counts over the stored vocabulary (int32 blobs: term ids, counts, docs), its family-view centroid
# (float32), the two names most of its members mention and its categories (JSON pairs in order of
# first member). group_summary_state holds the feature model's run and the cases write generation
# (meta.generation) the rows reflect; a missing or other one means a full refresh.
GROUPS_V35 = """
CREATE TABLE group_summary_state (
    run_id      INTEGER NOT NULL,
    generation  INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE group_summary_terms (
    id          INTEGER PRIMARY KEY,
    term        TEXT NOT NULL
);
CREATE TABLE group_summaries (
    group_id        INTEGER PRIMARY KEY REFERENCES case_groups(id),
    members         INTEGER NOT NULL,
    id_sum          INTEGER NOT NULL,
    id_mix          INTEGER NOT NULL,
    terms           BLOB NOT NULL,
    counts          BLOB NOT NULL,
    docs            BLOB NOT NULL,
    family_centroid BLOB,
    names           TEXT NOT NULL DEFAULT '[]',
    categories      TEXT NOT NULL DEFAULT '[]'
);
"""

CASE_GROUPS = Migration(3, "homogeneous case groups", GROUPS_V3)
POOL_PINS = Migration(7, "case groups: reviewer pins to the unassigned pool", GROUPS_V7)

SPECIAL_GROUPS = Migration(17, "special groups, policy documents, previewed batch decisions with replies", GROUPS_V17)

FAMILIES = Migration(19, "case groups: group families (matter-level groups); repeat-link evidence", GROUPS_V19)

SUMMARIES = Migration(35, "case groups: stored per-group summaries (incremental refresh after edits)", GROUPS_V35)

# This feature's steps, ascending; kb/schema.py places them in the global order.
MIGRATIONS: list[Migration] = [CASE_GROUPS, POOL_PINS, SPECIAL_GROUPS, FAMILIES, SUMMARIES]
