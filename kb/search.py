"""The one ranking path: dense + BM25 candidates under an allow-list, fused, explained.

``rank`` is what both doors measure and serve: the service's search (``hybrid_search``, which adds
SQL filters, case fetch and explanations) and ``leian eval`` (``kb.evaluation.engine.Engine.rank``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from indexing.display import shown
from indexing.fusion import Fused, fuse
from indexing.lexical import BM25Index
from indexing.segment import Segmenter
from indexing.vectors import VectorIndex
from indexing.vectors.where import Where
from kb.domain import Case, SearchFilters, SearchHit
from kb.indexer import CaseIndex

log = logging.getLogger(__name__)
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
# Relevance floor for similar-case hits (issue 19, docs/quality.md "Relevance floor for similar-case
# hits"): a hit sharing no informative word with the query (display stop-words, single characters,
# names and place names do not count) whose dense similarity is below CASE_DENSE_FLOOR is marked
# 相关度较低; the order is the ranking's. Chosen on the even sample letters and short queries, reported
# on the odd ones (bench/floors.py --cases).
CASE_DENSE_FLOOR = 0.45
LOW_RELEVANCE = "相关度较低"
SHORT_DENSE_WEIGHT = 0.4
SHORT_QUERY_TOKENS = 8
PRF_DOCS = 5
PRF_TERMS = 8
PRF_WEIGHT = 0.3


def below_floor(
    terms: Sequence[str], dense: float | None, floor: float, is_place: Callable[[str], bool] | None = None
) -> bool:
    """Below a relevance floor: no informative shared word and a weak (or no) dense similarity."""
    informative = [t for t in terms if not (is_place and is_place(t))]
    return not informative and (dense is None or dense < floor)


def is_short(tokens: Sequence[str]) -> bool:
    return 0 < len(set(tokens)) < SHORT_QUERY_TOKENS


# Dense scores are kept to this many decimals and ordered by score, then id. FAISS and Milvus sum
# the products in different orders, so two equal similarities could differ in their last float32
# bits and came back in each engine's own order (tests/kb/test_congruence.py); 1e-6 is far above
# that noise. TIE_MARGIN more candidates are asked for, so a tie at the depth is cut by id too.
SCORE_DECIMALS = 6
TIE_MARGIN = 8


def _settled(ids: np.ndarray, scores: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """``ids`` and ``scores`` rounded to ``SCORE_DECIMALS``, best first (ties on id), the first ``depth``."""
    rounded = np.round(scores.astype(np.float64), SCORE_DECIMALS)
    order = np.lexsort((ids, -rounded))[:depth]
    return ids[order], rounded[order]


def dense_candidates(
    vectors: VectorIndex,
    vector: np.ndarray,
    depth: int,
    allowed: np.ndarray | None,
    where: Where | None,
    exclude_id: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``depth`` best (ids, scores) under the filter: pushed down as ``where`` when the index
    filters itself (Milvus), else as the ``allowed`` id list.

    Pushed-down hits are checked against ``allowed`` (the database's answer, computed anyway for
    BM25): a hit outside it, or fewer hits than allowed ids can fill, means the index's stored fields
    lag the database, and the query is answered again with the id list, so results stay complete.
    ``exclude_id`` (the query's own case, already left out of ``allowed``) is dropped from them.
    """
    if where is not None and getattr(vectors, "filters_by_expression", False):
        scores, ids = vectors.search(vector[None, :], depth + TIE_MARGIN, where=where)  # type: ignore[call-arg]
        keep = ids[0] >= 0
        found, found_scores = _settled(ids[0][keep], scores[0][keep], depth + TIE_MARGIN)
        dropped = 0
        if exclude_id is not None:
            other = found != exclude_id
            dropped = int((~other).sum())
            found, found_scores = found[other], found_scores[other]
        found, found_scores = found[: depth - dropped], found_scores[: depth - dropped]
        if allowed is None:
            return found, found_scores
        inside = np.isin(found, allowed)
        if inside.all() and found.shape[0] >= min(depth - dropped, allowed.shape[0]):
            return found, found_scores
        log.warning(
            "pushed-down filter disagrees with the database (%d hits outside the allow-list, %d of %d found); "
            "answering with the id list",
            int((~inside).sum()),
            found.shape[0],
            min(depth, allowed.shape[0]),
        )
    scores, ids = vectors.search(vector[None, :], depth + TIE_MARGIN, allowed)
    keep = ids[0] >= 0
    return _settled(ids[0][keep], scores[0][keep], depth)


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
    where: Where | None = None,
) -> list[Fused]:
    """The top-``k`` fused ranking of one query, best first (ids with dense, lexical and fused scores).

    Each side returns ``max(depth, k + 1 if excluding)`` candidates, restricted to ``allowed`` when
    given (so a filtered query returns k hits whenever k allowed ids exist). A pure mode fuses its
    one list with dense weight 1 or 0, so its order and scores follow the same ``fuse`` rule as
    hybrid (ties break on id).

    ``extra`` adds weighted lexical terms (synonyms); with ``expand_short`` a short query
    (``is_short``) is ranked twice, the second time with the first pass's pseudo-relevance terms.
    ``where`` is the same filter as ``allowed`` for an index that evaluates it itself
    (``dense_candidates``).
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
        dense = dense_candidates(vectors, vector, depth, allowed, where, exclude_id)
    if mode in ("hybrid", "lexical"):
        sparse = lexical.top_k(tokens, depth, allowed, extra)
    weight = dense_weight if mode == "hybrid" else (1.0 if mode == "dense" else 0.0)
    if expand_short and extra and mode == "hybrid" and is_short(tokens):
        weight = min(weight, SHORT_DENSE_WEIGHT)
    # Only the shown hits and the pseudo-relevance documents are used (one more: the excluded id).
    keep = max(k, PRF_DOCS) + (1 if exclude_id is not None else 0)
    fused = fuse(*dense, *sparse, method=method, dense_weight=weight, limit=keep)
    if expand_short and mode != "dense" and is_short(tokens):
        first = [f.id for f in fused if f.id != exclude_id][:PRF_DOCS]
        terms = lexical.feedback_terms(first, PRF_TERMS, skip=[*tokens, *(extra or {})])
        if terms:
            widened = {**{t: PRF_WEIGHT for t in terms}, **(extra or {})}
            sparse = lexical.top_k(tokens, depth, allowed, widened)
            fused = fuse(*dense, *sparse, method=method, dense_weight=weight, limit=keep)
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


def key_terms(
    query_tokens: Sequence[str],
    doc_tokens: Sequence[str],
    index: CaseIndex,
    limit: int = 8,
    idf: dict[str, float] | None = None,
) -> list[str]:
    """Shared terms ordered by how informative they are (BM25 idf), the most telling first.

    ``idf`` memoises the terms' idf across the hits of one query (pass the same dict for each hit).
    """
    shared = set(shown(set(query_tokens) & set(doc_tokens)))
    memo = {} if idf is None else idf
    for term in shared:
        if term not in memo:
            memo[term] = index.lexical.idf(term)
    return sorted(shared, key=lambda t: (-memo[t], t))[:limit]


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
    is_place: Callable[[str], bool] | None = None,
    floor: float = CASE_DENSE_FLOOR,
) -> list[SearchHit]:
    """Top-k cases for ``query``; ``mode`` is ``hybrid``, ``dense`` or ``lexical`` (for baselines).

    Filters become an explicit allow-list before ranking (``rank``), so a filtered query returns k
    hits whenever k matching cases exist; an index that filters itself (Milvus) gets them as a
    condition on its stored fields instead (kb/index_filters.py), checked against that list. A hit
    below the relevance floor (``below_floor``) is flagged ``low_relevance`` and its first reason
    says 相关度较低.
    """
    # Several serving processes: the writes of the others first (a no-op with one, kb/indexer.py).
    index.catch_up(wait=index.SEARCH_WAIT_SECONDS)
    allowed = None if filters.is_empty() else index.cases.filter_ids(filters)
    where = index.pushdown(filters) if allowed is not None else None
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
            where=where,
        )
    if boosts:  # relevance marks of this deployment (kb.feedback.store.boosts) reorder the pool
        fused = apply_boosts(fused, boosts, k)
    ids = [f.id for f in fused]
    found = index.cases.get_many_with_tokens(ids)  # one query for the hits and their tokens
    hits = []
    idf: dict[str, float] = {}
    for f in fused:
        if f.id not in found:  # deleted between ranking and fetch
            continue
        case, case_tokens = found[f.id]
        # A petitioner's name is personal data, never a reason to show.
        names = {n for n in (case.petitioner_name, query.source.petitioner_name if query.source else None) if n}
        terms = [t for t in key_terms(query.tokens, case_tokens, index, idf=idf) if not any(t in n for n in names)]
        reasons = explain(case, query, f.dense, terms)
        if boosts and f.id in boosts:
            reasons.append(feedback_reason(boosts[f.id]))
        low = below_floor(terms, f.dense, floor, is_place)
        if low:
            reasons.insert(0, LOW_RELEVANCE + "（无共同的实义关键词，语义相似度低）")
        hits.append(SearchHit(case, f.score, f.dense, f.lexical, terms, reasons, low))
    return hits


def feedback_reason(boost: float) -> str:
    """Why relevance marks moved a hit: the direction and that it came from similar searches."""
    return "相似检索中曾被标为" + ("相关" if boost > 0 else "不相关") + f"（排序调整 {boost:+.2f}）"


def apply_boosts(fused: Sequence[Fused], boosts: Mapping[int, float], k: int) -> list[Fused]:
    """The pool re-ordered with each id's feedback adjustment added to its fused score, top ``k``."""
    return sorted(
        (replace(f, score=f.score + boosts.get(f.id, 0.0)) for f in fused),
        key=lambda f: (-f.score, f.id),
    )[:k]


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
