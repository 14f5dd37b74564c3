"""Schema of the relevance marks (migrations 20 and 24), owned by ``kb.feedback.store``."""

from __future__ import annotations

from kb.storage.migrate import Migration

FEEDBACK_V20 = """
CREATE TABLE relevance_marks (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL,
    target TEXT NOT NULL CHECK (target IN ('case', 'modelcase')),
    query_text TEXT NOT NULL,
    query_key TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    relevant INTEGER NOT NULL CHECK (relevant IN (0, 1))
);
CREATE INDEX relevance_marks_item ON relevance_marks (target, item_id);
"""
FEEDBACK = Migration(20, "feedback: relevance marks on search hits and model cases", FEEDBACK_V20)
# The query's vector (float32, the encoder named beside it) and tokens, so marks under a similar
# query count (kb.feedback.store.query_similarity).
FEEDBACK_V24 = """
ALTER TABLE relevance_marks ADD COLUMN query_vector BLOB;
ALTER TABLE relevance_marks ADD COLUMN vector_encoder TEXT;
ALTER TABLE relevance_marks ADD COLUMN query_tokens TEXT;
"""
MARK_VECTORS = Migration(24, "feedback: the marked query's vector, for re-ranking similar queries", FEEDBACK_V24)
MIGRATIONS: list[Migration] = [FEEDBACK, MARK_VECTORS]
