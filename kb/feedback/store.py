"""Relevance marks: handlers and reviewers say whether a search hit or a model case was relevant.

Each mark is stored with the query it answered (its text and a key of its informative tokens),
audited (``feedback:mark``), and read back three ways: as evaluation data (``precision``: the share
of marked hits marked relevant, per target), and as a per-deployment ranking signal (``boosts``):
for a new query, every item marked under a similar earlier query (Jaccard of the query keys at least
``SIMILAR``) gets ``BOOST`` × (relevant − not relevant) / marks, added to its fused score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kb.audit import AuditLog
from kb.errors import FieldProblem, InvalidInputError
from kb.kernel import Kernel
from kb.users import Principal

TARGETS = ("case", "modelcase")
SIMILAR = 0.5
BOOST = 0.3
KEY_TOKENS = 12


def query_key(tokens: Sequence[str]) -> str:
    """The query's distinct tokens, sorted (at most ``KEY_TOKENS``, the longest first): its cluster key."""
    words = sorted(set(tokens), key=lambda t: (-len(t), t))[:KEY_TOKENS]
    return " ".join(sorted(words))


def jaccard(a: str, b: str) -> float:
    sa, sb = set(a.split()), set(b.split())
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


@dataclass(frozen=True)
class Mark:
    id: int
    created_at: str
    username: str
    target: str
    query_text: str
    item_id: int
    relevant: bool


class FeedbackStore:
    def __init__(self, kernel: Kernel, audit: AuditLog) -> None:
        self.kernel, self.audit = kernel, audit

    def mark(self, actor: Principal, *, target: str, query_text: str, item_id: int, relevant: bool) -> Mark:
        actor.require("search")
        problems = []
        if target not in TARGETS:
            problems.append(FieldProblem("target", "应为 case（类案检索结果）或 modelcase（典型案例）"))
        if not query_text.strip():
            problems.append(FieldProblem("query_text", "检索内容不能为空"))
        if problems:
            raise InvalidInputError(problems)
        if target == "case":
            self.kernel.get_case(item_id, actor)  # absent or outside the actor's scope: 不存在
        key = query_key(self.kernel.segmenter.tokens(query_text))
        when = self.kernel.clock.now().isoformat(timespec="seconds")
        with self.kernel.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO relevance_marks (created_at, user_id, username, target, query_text, query_key,"
                " item_id, relevant) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (when, actor.user_id or None, actor.username, target, query_text, key, item_id, int(relevant)),
            )
            mark_id = int(cur.lastrowid or 0)
            self.audit.record(
                actor, "feedback:mark", target, item_id, {"relevant": bool(relevant), "mark": mark_id}, conn=conn
            )
        return Mark(mark_id, when, actor.username, target, query_text, item_id, bool(relevant))

    def marks(self, target: str | None = None) -> list[Mark]:
        sql = "SELECT id, created_at, username, target, query_text, item_id, relevant FROM relevance_marks"
        rows = self.kernel.db.query(
            sql + (" WHERE target = ?" if target else "") + " ORDER BY id", (target,) if target else ()
        )
        return [Mark(r[0], r[1], r[2], r[3], r[4], int(r[5]), bool(r[6])) for r in rows]

    def precision(self) -> dict[str, Any]:
        """Evaluation data: per target, marks, relevant marks and their share (precision of marked hits)."""
        out: dict[str, Any] = {}
        for target in TARGETS:
            marks = self.marks(target)
            rel = sum(m.relevant for m in marks)
            out[target] = {"marks": len(marks), "relevant": rel, "precision": rel / len(marks) if marks else None}
        return out

    def boosts(self, target: str, tokens: Sequence[str]) -> dict[int, float]:
        """Item -> score adjustment learned from marks under queries similar to ``tokens``."""
        key = query_key(tokens)
        rows = self.kernel.db.query(
            "SELECT query_key, item_id, relevant FROM relevance_marks WHERE target = ?", (target,)
        )
        votes: dict[int, list[int]] = {}
        for qk, item, rel in rows:
            if jaccard(key, qk) >= SIMILAR:
                votes.setdefault(int(item), []).append(1 if rel else -1)
        return {item: BOOST * sum(v) / len(v) for item, v in votes.items()}
