"""Relevance marks: handlers and reviewers say whether a search hit or a model case was relevant.

Each mark is stored with the query it answered (its text, tokens, a key of its informative tokens
and the query's vector as a typed search encodes it), audited (``feedback:mark``), and read back as
evaluation data (``precision``: the share of marked hits marked relevant, per target), as the
user's own marks on a result list (``marked``), and as a per-deployment ranking signal (``boosts``,
``feedback_boosts``): for a new query, each mark made under an earlier query of similarity
s ≥ ``SIMILAR`` (``query_similarity``: ``DENSE_SHARE`` × cosine of the vectors + the rest × cosine
of the tf-idf terms) weighs w = (s − SIMILAR) / (1 − SIMILAR), and an item gets
``BOOST`` × Σ w·vote / max(1, Σ w) (vote +1 relevant, −1 not) added to its fused score: one mark
under the same query moves it by ``BOOST``, marks under looser neighbours by less, and agreeing
marks never by more than ``BOOST``. The three parameters were chosen on development queries and the
gain measured on held-out ones (bench/feedback.py, docs/quality.md "Feedback"); ``kb.feedback.heldout``
measures it on a deployment's own marks (``leian eval feedback``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.audit import AuditLog
from kb.errors import FieldProblem, InvalidInputError
from kb.kernel import Kernel
from kb.users import Principal

TARGETS = ("case", "modelcase")
SIMILAR = 0.5
BOOST = 0.5
KEY_TOKENS = 12
# Query similarity = DENSE_SHARE × cosine of the query vectors + the rest × cosine of tf-idf terms.
DENSE_SHARE = 0.3


def query_key(tokens: Sequence[str]) -> str:
    """The query's distinct tokens, sorted (at most ``KEY_TOKENS``, the longest first): its cluster key."""
    words = sorted(set(tokens), key=lambda t: (-len(t), t))[:KEY_TOKENS]
    return " ".join(sorted(words))


def term_weights(tokens: Sequence[str], idf: Callable[[str], float]) -> dict[str, float]:
    """A query's tokens as unit-length tf-idf weights ((1 + ln tf) × BM25 idf)."""
    weights = {t: (1.0 + math.log(n)) * idf(t) for t, n in Counter(tokens).items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {t: w / norm for t, w in weights.items()}


def query_similarity(
    mats: np.ndarray, terms: Sequence[Mapping[str, float]], vector: np.ndarray, weights: Mapping[str, float]
) -> np.ndarray:
    """Each marked query's similarity to a new one: ``DENSE_SHARE`` × the cosine of their vectors (rows
    of ``mats``, unit length) + the rest × the cosine of their tf-idf term weights."""
    q = np.asarray(vector, dtype=np.float32)
    dense = mats @ (q / max(float(np.linalg.norm(q)), 1e-9))
    lexical = np.array([sum(w * weights.get(t, 0.0) for t, w in m.items()) for m in terms], dtype=np.float32)
    return DENSE_SHARE * dense + (1.0 - DENSE_SHARE) * lexical


def feedback_boosts(
    marks: Sequence[MarkSignal],
    vector: np.ndarray,
    weights: Mapping[str, float],
    *,
    similar: float = SIMILAR,
    boost: float = BOOST,
) -> dict[int, float]:
    """Item -> fused-score adjustment for a query (its vector and term weights) from marks under
    similar queries."""
    if not marks:
        return {}
    mats = np.stack([np.asarray(m.vector, dtype=np.float32) for m in marks])
    mats /= np.maximum(np.linalg.norm(mats, axis=1, keepdims=True), 1e-9)
    sims = query_similarity(mats, [m.terms for m in marks], vector, weights)
    return boosts_from(sims, [m.item_id for m in marks], [m.relevant for m in marks], similar=similar, boost=boost)


def boosts_from(
    sims: np.ndarray, items: Sequence[int], votes: Sequence[bool], *, similar: float = SIMILAR, boost: float = BOOST
) -> dict[int, float]:
    """The rule of ``feedback_boosts`` given each mark's query similarity, item and vote."""
    num: dict[int, float] = {}
    den: dict[int, float] = {}
    for i in map(int, np.flatnonzero(sims >= similar)):
        w = max((float(sims[i]) - similar) / (1.0 - similar), 1e-6) if similar < 1.0 else 1.0
        item = int(items[i])
        num[item] = num.get(item, 0.0) + (w if votes[i] else -w)
        den[item] = den.get(item, 0.0) + w
    return {item: boost * num[item] / max(1.0, den[item]) for item in num}


@dataclass(frozen=True)
class MarkSignal:
    """One mark as the ranking reads it: the marked query's vector and term weights, the item, the vote."""

    vector: np.ndarray
    terms: dict[str, float]
    item_id: int
    relevant: bool
    query_text: str


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

    def _vector(self, query_text: str) -> np.ndarray:
        """The vector a typed search of ``query_text`` ranks with (``kb.search.make_query``)."""
        return np.asarray(self.kernel.query_for_text(query_text).vector, dtype=np.float32)

    def query_text(self, actor: Principal, text: str | None, case_id: int | None) -> str:
        """The text a mark is filed under: the typed query, or the text of the case searched by."""
        if case_id is not None:
            return self.kernel.get_case(case_id, actor).text  # outside the actor's scope: 不存在
        return (text or "").strip()

    def mark(
        self,
        actor: Principal,
        *,
        target: str,
        item_id: int,
        relevant: bool,
        query_text: str | None = None,
        query_case_id: int | None = None,
    ) -> Mark:
        actor.require("search")
        problems = []
        if target not in TARGETS:
            problems.append(FieldProblem("target", "应为 case（类案检索结果）或 modelcase（典型案例）"))
        if (query_text is None) == (query_case_id is None):
            problems.append(FieldProblem("query_text", "请提供检索内容或检索所用的案件编号（query_case_id）之一"))
        elif query_case_id is None and not (query_text or "").strip():
            problems.append(FieldProblem("query_text", "检索内容不能为空"))
        if problems:
            raise InvalidInputError(problems)
        if target == "case":
            self.kernel.get_case(item_id, actor)  # absent or outside the actor's scope: 不存在
        query_text = self.query_text(actor, query_text, query_case_id)
        tokens = self.kernel.segmenter.tokens(query_text)
        key = query_key(tokens)
        vector = self._vector(query_text).tobytes()
        encoder = self.kernel.encoder.name
        when = self.kernel.clock.now().isoformat(timespec="seconds")
        with self.kernel.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO relevance_marks (created_at, user_id, username, target, query_text, query_key,"
                " item_id, relevant, query_vector, vector_encoder, query_tokens)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    when,
                    actor.user_id or None,
                    actor.username,
                    target,
                    query_text,
                    key,
                    item_id,
                    int(relevant),
                    vector,
                    encoder,
                    " ".join(tokens),
                ),
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

    def marked(self, actor: Principal, target: str, query_text: str, item_ids: Sequence[int]) -> dict[int, bool]:
        """The actor's latest mark on each item under this very query (shown on the result list)."""
        if not item_ids or not query_text.strip():
            return {}
        marks = ",".join("?" * len(item_ids))
        rows = self.kernel.db.query(
            "SELECT item_id, relevant FROM relevance_marks WHERE target = ? AND username = ? AND query_text = ?"
            f" AND item_id IN ({marks}) ORDER BY id",
            (target, actor.username, query_text, *item_ids),
        )
        return {int(r[0]): bool(r[1]) for r in rows}  # later rows overwrite earlier ones

    def signals(self, target: str) -> list[MarkSignal]:
        """Every mark of ``target`` with its query's vector under the current encoder and its tf-idf
        terms under the current case index (a vector of another encoder, or none, is made again and
        stored, e.g. after the encoder changed)."""
        encoder = self.kernel.encoder.name
        rows = self.kernel.db.query(
            "SELECT id, query_text, item_id, relevant, query_vector, vector_encoder, query_tokens"
            " FROM relevance_marks WHERE target = ? ORDER BY id",
            (target,),
        )
        idf = self.kernel.index.lexical.idf
        out: list[MarkSignal] = []
        stale: list[tuple[bytes, str, str, int]] = []
        for mark_id, text, item, rel, blob, enc, toks in rows:
            tokens = toks.split() if toks is not None else self.kernel.segmenter.tokens(text)
            if blob is None or enc != encoder or toks is None:
                vec = self._vector(text)
                stale.append((vec.tobytes(), encoder, " ".join(tokens), int(mark_id)))
            else:
                vec = np.frombuffer(blob, dtype=np.float32)
            out.append(MarkSignal(vec, term_weights(tokens, idf), int(item), bool(rel), text))
        if stale:
            with self.kernel.db.transaction() as conn:
                conn.executemany(
                    "UPDATE relevance_marks SET query_vector = ?, vector_encoder = ?, query_tokens = ? WHERE id = ?",
                    stale,
                )
        return out

    def boosts(self, target: str, vector: np.ndarray, tokens: Sequence[str]) -> dict[int, float]:
        """Item -> score adjustment learned from marks under queries similar to this one."""
        if not self.kernel.settings.feedback_ranking:
            return {}
        signals = self.signals(target)
        if not signals:  # no marks: no query term weights to compute (every text search asks)
            return {}
        return feedback_boosts(signals, vector, term_weights(tokens, self.kernel.index.lexical.idf))
