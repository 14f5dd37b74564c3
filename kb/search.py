"""The one ranking path: dense + BM25 candidates under an allow-list, fused, explained.

``rank`` is what both doors measure and serve: the service's search (``hybrid_search``, which adds
SQL filters, case fetch and explanations) and ``leian eval`` (``kb.evaluation.engine.Engine.rank``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from indexing.display import shown
from indexing.fusion import Fused, fuse
from indexing.lexical import BM25Index
from indexing.segment import Segmenter
from indexing.vectors import VectorIndex
from kb.domain import Case, SearchFilters, SearchHit
from kb.indexer import CaseIndex

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")
# ``leian eval`` names the systems after what they are; the product after what the user picks.
EVAL_SYSTEMS: dict[str, Mode] = {"bm25": "lexical", "dense": "dense", "hybrid": "hybrid"}


def mode_of(system: str) -> Mode:
    """The product's mode for an evaluation system name (``bm25`` -> ``lexical``); modes pass through."""
    if system in EVAL_SYSTEMS:
        return EVAL_SYSTEMS[system]
    if system in MODES:
        return system
    raise ValueError(f"unknown ranking mode '{system}'; choose one of {MODES} or {tuple(EVAL_SYSTEMS)}")


# Handler wording (issue 19, docs/quality.md "Handler wording"): a synonym of a query word counts at
# SYNONYM_WEIGHT of an original occurrence; a query of fewer than SHORT_QUERY_TOKENS distinct tokens
# also gets the PRF_TERMS most telling terms of its PRF_DOCS best first-pass hits at PRF_WEIGHT and,
# when the lexicon recognised one of its words, is encoded with the groups' usual names appended and
# fused with a dense weight of at most SHORT_DENSE_WEIGHT (the encoder does not know the colloquial
# words; the lexicon does). Chosen on tests/fixtures/short_queries.jsonl (bench/wording.py).
SYNONYM_WEIGHT = 0.8
# Hits ranked beyond k that relevance marks may lift into the top k.
FEEDBACK_POOL = 20
SHORT_DENSE_WEIGHT = 0.4
SHORT_QUERY_TOKENS = 8
PRF_DOCS = 5
PRF_TERMS = 8
PRF_WEIGHT = 0.3


def is_short(tokens: Sequence[str]) -> bool:
    return 0 < len(set(tokens)) < SHORT_QUERY_TOKENS


def rank(
    vectors: VectorIndex,
    lexical: BM25Index,
    vector: np.ndarray,
    tokens: Sequence[str],
    *,
    k: int,
    depth: int,
    mode: str = "hybrid",
    method: str,
    dense_weight: float,
    allowed: np.ndarray | None = None,
    exclude_id: int | None = None,
    extra: Mapping[str, float] | None = None,
    expand_short: bool = False,
) -> list[Fused]:
    """The top-``k`` fused ranking of one query, best first (ids with dense, lexical and fused scores).

    Each side returns ``max(depth, k + 1 if excluding)`` candidates, restricted to ``allowed`` when
    given (so a filtered query returns k hits whenever k allowed ids exist). A pure mode fuses its
    one list with dense weight 1 or 0, so its order and scores follow the same ``fuse`` rule as
    hybrid (ties break on id).

    ``extra`` adds weighted lexical terms (synonyms); with ``expand_short`` a short query
    (``is_short``) is ranked twice, the second time with the first pass's pseudo-relevance terms.
    """
    mode = mode_of(mode)
    if allowed is not None and exclude_id is not None:
        allowed = allowed[allowed != exclude_id]
    if allowed is not None and allowed.shape[0] == 0:
        return []
    depth = max(depth, k + (1 if exclude_id is not None else 0))
    empty = (np.zeros(0, np.int64), np.zeros(0, np.float32))
    dense = sparse = empty
    if mode in ("hybrid", "dense"):
        d_scores, d_ids = vectors.search(vector[None, :], depth, allowed)
        keep = d_ids[0] >= 0
        dense = (d_ids[0][keep], d_scores[0][keep])
    if mode in ("hybrid", "lexical"):
        sparse = lexical.top_k(tokens, depth, allowed, extra)
    weight = dense_weight if mode == "hybrid" else (1.0 if mode == "dense" else 0.0)
    if expand_short and extra and mode == "hybrid" and is_short(tokens):
        weight = min(weight, SHORT_DENSE_WEIGHT)
    fused = fuse(*dense, *sparse, method=method, dense_weight=weight)
    if expand_short and mode != "dense" and is_short(tokens):
        first = [f.id for f in fused if f.id != exclude_id][:PRF_DOCS]
        terms = lexical.feedback_terms(first, PRF_TERMS, skip=[*tokens, *(extra or {})])
        if terms:
            widened = {**{t: PRF_WEIGHT for t in terms}, **(extra or {})}
            sparse = lexical.top_k(tokens, depth, allowed, widened)
            fused = fuse(*dense, *sparse, method=method, dense_weight=weight)
    return [f for f in fused if f.id != exclude_id][:k]


@dataclass
class Query:
    text: str
    tokens: list[str]
    vector: np.ndarray
    exclude_id: int | None = None
    source: Case | None = None
    # Weighted terms added to the lexical side (synonyms of the query's words); see ``rank``.
    extra: dict[str, float] = field(default_factory=dict)
    # A typed query (not a case's letter) of few tokens is widened by pseudo-relevance terms.
    expand_short: bool = False


def key_terms(query_tokens: Sequence[str], doc_tokens: Sequence[str], index: CaseIndex, limit: int = 8) -> list[str]:
    """Shared terms ordered by how informative they are (BM25 idf), the most telling first."""
    shared = set(shown(set(query_tokens) & set(doc_tokens)))
    return sorted(shared, key=lambda t: (-index.lexical.idf(t), t))[:limit]


def explain(hit_case: Case, query: Query, dense: float | None, terms: list[str]) -> list[str]:
    reasons = []
    if terms:
        reasons.append("共同关键词：" + "、".join(terms[:5]))
    if dense is not None:
        reasons.append(f"语义相似度 {dense:.2f}")
    src = query.source
    if src is not None:
        same = [
            label
            for label, a, b in (
                ("同类别", src.category, hit_case.category),
                ("同地市", src.city, hit_case.city),
                ("同责任部门", src.department, hit_case.department),
            )
            if a and a == b
        ]
        if same:
            reasons.append("、".join(same))
        if src.petitioner_key and src.petitioner_key == hit_case.petitioner_key:
            reasons.append("同一信访人")
    return reasons


def hybrid_search(
    index: CaseIndex,
    query: Query,
    filters: SearchFilters,
    k: int,
    *,
    method: str,
    dense_weight: float,
    depth: int,
    mode: str = "hybrid",
    boosts: Mapping[int, float] | None = None,
) -> list[SearchHit]:
    """Top-k cases for ``query``; ``mode`` is ``hybrid``, ``dense`` or ``lexical`` (for baselines).

    Filters become an explicit allow-list before ranking (``rank``), so a filtered query returns k
    hits whenever k matching cases exist.
    """
    allowed = None if filters.is_empty() else index.cases.filter_ids(filters)
    # Both indexes are read under the lock, so a rebuild swapping them is never seen half done.
    with index.lock:
        fused = rank(
            index.vectors,
            index.lexical,
            query.vector,
            query.tokens,
            k=k + (FEEDBACK_POOL if boosts else 0),
            depth=depth,
            mode=mode,
            method=method,
            dense_weight=dense_weight,
            allowed=allowed,
            exclude_id=query.exclude_id,
            extra=query.extra,
            expand_short=query.expand_short,
        )
    if boosts:  # relevance marks of this deployment (kb.feedback.store.boosts) reorder the pool
        fused = sorted(
            (replace(f, score=f.score + boosts.get(f.id, 0.0)) for f in fused),
            key=lambda f: (-f.score, f.id),
        )[:k]
    ids = [f.id for f in fused]
    cases = index.cases.get_many(ids)
    tokens = index.cases.tokens_for(ids)
    hits = []
    for f in fused:
        case = cases.get(f.id)
        if case is None:  # deleted between ranking and fetch
            continue
        # A petitioner's name is personal data, never a reason to show.
        names = {n for n in (case.petitioner_name, query.source.petitioner_name if query.source else None) if n}
        terms = [t for t in key_terms(query.tokens, tokens.get(f.id, []), index) if not any(t in n for n in names)]
        hits.append(SearchHit(case, f.score, f.dense, f.lexical, terms, explain(case, query, f.dense, terms)))
    return hits


def dense_text(segmenter: Segmenter, text: str, tokens: Sequence[str]) -> str:
    """What a typed query's vector encodes: a short query gets its lexicon groups' usual names."""
    if not is_short(tokens):
        return text
    heads = segmenter.lexicon.heads(segmenter.lexicon_words(text, tokens))
    return text + "。" + "、".join(heads) if heads else text


def make_query(segmenter: Segmenter, encode: Callable[[str], np.ndarray], text: str) -> Query:
    """A typed query: its tokens, their synonyms and, when it is short, pseudo-relevance expansion."""
    return make_queries(segmenter, lambda texts: np.vstack([encode(t) for t in texts]), [text])[0]


def make_queries(
    segmenter: Segmenter, encode_many: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str]
) -> list[Query]:
    """``make_query`` for many texts with one batched encoding (``leian eval retrieval`` uses it)."""
    tokens = [segmenter.tokens(t) for t in texts]
    vectors = encode_many([dense_text(segmenter, t, toks) for t, toks in zip(texts, tokens, strict=True)])
    return [
        Query(text=t, tokens=toks, vector=v, extra=segmenter.expansion(t, toks, SYNONYM_WEIGHT), expand_short=True)
        for t, toks, v in zip(texts, tokens, vectors, strict=True)
    ]
