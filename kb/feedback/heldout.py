"""The deployment's own marks as held-out evaluation data: does re-ranking from marks help a query
nobody used to learn it? (issue 19, item 7; ``leian eval feedback``, docs/quality.md).

The typed queries with marks on similar-case hits are split into ``FOLDS`` folds by query text. Each
held-out query is ranked twice by the product's path (``kb.search.hybrid_search``, all cases, the
feedback pool): without marks, and with the boosts of the other folds' marks only (its own marks
never count). Its own marks are the truth: AP over its marked cases in ranking order (relevant =
marked 相关; a marked case outside the pool ranks last) and the share of (相关, 不相关) pairs it
orders correctly. Only queries with at least one mark of each kind are scored.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.domain import SearchFilters
from kb.feedback.store import FeedbackStore, feedback_boosts, term_weights
from kb.kernel import Kernel
from kb.search import FEEDBACK_POOL, hybrid_search

FOLDS = 5
K = 10


@dataclass(frozen=True)
class HeldOut:
    queries: int  # distinct typed queries with marks on cases
    scored: int  # of those, with a 相关 and a 不相关 mark
    ap_before: float | None
    ap_after: float | None
    pairs_before: float | None
    pairs_after: float | None


def _order_scores(order: list[int], marked: dict[int, bool]) -> tuple[float, float]:
    """AP of the 相关 marks and the share of (相关, 不相关) pairs ranked the right way round."""
    pos = {cid: i for i, cid in enumerate(order)}
    last = len(order)
    ranked = sorted(marked, key=lambda c: (pos.get(c, last), c))
    hits, ap = 0, 0.0
    for r, cid in enumerate(ranked, start=1):
        if marked[cid]:
            hits += 1
            ap += hits / r
    rel = [pos.get(c, last) for c, v in marked.items() if v]
    non = [pos.get(c, last) for c, v in marked.items() if not v]
    pairs = [1.0 if a < b else 0.5 if a == b else 0.0 for a in rel for b in non]
    return ap / max(1, len(rel)), sum(pairs) / max(1, len(pairs))


def evaluate_marks(kernel: Kernel, store: FeedbackStore, folds: int = FOLDS) -> HeldOut:
    marks = store.marks("case")  # in id order: a later mark on the same item and query replaces one
    signals = store.signals("case")
    by_query: dict[str, dict[int, bool]] = {}
    for m in marks:
        by_query.setdefault(m.query_text, {})[m.item_id] = m.relevant  # the latest mark counts
    texts = sorted(by_query)
    fold_of = {t: i % max(1, folds) for i, t in enumerate(texts)}
    scored = [t for t in texts if len(set(by_query[t].values())) == 2]
    before, after = [], []
    settings = kernel.settings
    for text in scored:
        query = kernel.query_for_text(text)
        train = [m for m in signals if fold_of[m.query_text] != fold_of[text]]
        weights = term_weights(query.tokens, kernel.index.lexical.idf)
        runs = []
        for boosts in (None, feedback_boosts(train, query.vector, weights) or None):
            hits = hybrid_search(
                kernel.index,
                query,
                SearchFilters(),
                K + FEEDBACK_POOL,
                method=settings.fusion,
                dense_weight=settings.dense_weight,
                depth=settings.candidate_depth,
                boosts=boosts,
            )
            runs.append(_order_scores([h.case.id for h in hits], by_query[text]))
        before.append(runs[0])
        after.append(runs[1])

    def mean(rows: list[tuple[float, float]], i: int) -> float | None:
        return sum(r[i] for r in rows) / len(rows) if rows else None

    return HeldOut(len(texts), len(scored), mean(before, 0), mean(after, 0), mean(before, 1), mean(after, 1))
