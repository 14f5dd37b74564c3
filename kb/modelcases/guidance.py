"""Guidance look-up: the best published model cases for free text, a case or a group, with reasons.

Ranking: dense and BM25 candidates over model-case entries (own text + source cases), fused, then
small additive boosts for evidence beyond the wording: same category, same lead department, same
group, and being the model case's own source case. For free text the category is estimated from
the most similar stored cases (their metadata votes), because a handler's two-line description
rarely names it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from indexing.fusion import fuse
from kb.domain import SearchFilters
from kb.errors import FieldProblem, InvalidInputError
from kb.kernel import scoped
from kb.modelcases.domain import GuidanceHit
from kb.modelcases.groups import group_basis, group_of_case, group_vector
from kb.modelcases.service import ModelCaseService
from kb.privacy import public_terms
from kb.search import Query, below_floor, feedback_reason, hybrid_search
from kb.units.gazetteer import Gazetteer
from kb.users import SYSTEM, Principal

BOOST_CATEGORY = 0.15
BOOST_CATEGORY_GUESS = 0.08
BOOST_DEPARTMENT = 0.05
BOOST_GROUP = 0.4
BOOST_SOURCE = 0.4
# Relevance floor (issue 19, docs/quality.md "Relevance floors"): a hit sharing no informative word
# with the query (place names and display stop-words do not count) and whose dense similarity is
# below DENSE_FLOOR is 相关度较低: marked, and listed after every hit above the floor. Chosen on the
# even sample letters, reported on the odd ones (bench/floors.py).
DENSE_FLOOR = 0.4
LOW_RELEVANCE = "相关度较低"
CHUNK = 400
MAX_CHUNKS = 6
MODES = ("hybrid", "dense", "lexical")


@dataclass
class GuidanceQuery:
    text: str
    tokens: list[str]
    vector: np.ndarray | None
    category: str | None = None
    category_guessed: bool = False
    department: str | None = None
    group_id: str | None = None
    case_id: int | None = None
    exclude: set[int] = field(default_factory=set)
    # Person names of the query's source (the case's petitioner): never shown as a term.
    names: list[str] = field(default_factory=list)

    @property
    def shown_terms(self) -> list[str]:
        """The query's terms fit to show: no name (the petitioner's or another's), ID or phone."""
        return public_terms(self.tokens, self.names, self.text)[:50]


def encode_long(svc: ModelCaseService, text: str) -> np.ndarray:
    """A full letter is embedded as the mean of its chunks (the encoder reads only the opening)."""
    chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)][:MAX_CHUNKS]
    if len(chunks) > 1 and len(chunks[-1]) < CHUNK // 4:
        chunks = chunks[:-1]
    vecs = svc.kernel.encoder.encode(chunks)
    mean = vecs.mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-9)).astype(np.float32)


def guess_category(svc: ModelCaseService, query: GuidanceQuery, actor: Principal, mode: str = "hybrid") -> str | None:
    """The category most of the ten most similar stored cases carry, if a clear majority does."""
    base = svc.kernel
    if query.vector is None or len(base.index.vectors) == 0:
        return None
    hits = hybrid_search(
        base.index,
        Query(query.text, query.tokens, query.vector, exclude_id=query.case_id),
        scoped(actor, SearchFilters()),
        10,
        method=base.settings.fusion,
        dense_weight=base.settings.dense_weight,
        depth=50,
        mode=mode,
    )
    votes = Counter(h.case.category for h in hits if h.case.category)
    if not votes:
        return None
    top, n = votes.most_common(1)[0]
    return top if n >= max(3, len(hits) // 2) else None


def build_query(
    svc: ModelCaseService,
    *,
    text: str | None,
    case_id: int | None,
    group_id: str | None,
    actor: Principal,
    guess: bool = True,
    mode: str = "hybrid",
) -> GuidanceQuery:
    given = [x for x in (text, case_id, group_id) if x is not None]
    if len(given) != 1:
        raise InvalidInputError([FieldProblem("text", "请提供检索文本、案件编号或类案组编号之一")])
    base = svc.kernel
    if case_id is not None:
        q = base.query_for_case(case_id, actor)
        assert q.source is not None
        group = group_of_case(svc.groups, case_id)
        names = [q.source.petitioner_name] if q.source.petitioner_name else []
        return GuidanceQuery(
            q.text, q.tokens, q.vector, q.source.category, False, q.source.department, group, case_id, names=names
        )
    if group_id is not None:
        g = group_basis(svc.groups, group_id, actor)
        joined = "。".join([g.name, *g.keywords, *g.texts])
        tokens = list(g.keywords) + base.segmenter.tokens(joined)
        return GuidanceQuery(joined, tokens, group_vector(base, g), g.category, False, g.department, str(g.id))
    q = base.query_for_text(text or "")
    vector = encode_long(svc, q.text) if len(q.text) > CHUNK * 1.5 else q.vector
    query = GuidanceQuery(q.text, q.tokens, vector)
    if guess:
        query.category = guess_category(svc, query, actor, mode)
        query.category_guessed = query.category is not None
    return query


def is_low(terms: list[str], dense: float | None, places: Gazetteer, floor: float = DENSE_FLOOR) -> bool:
    """Below the relevance floor: no informative shared word and a weak (or no) dense similarity."""
    return below_floor(terms, dense, floor, places.is_place)


def rank(
    svc: ModelCaseService, query: GuidanceQuery, k: int = 5, mode: str = "hybrid", depth: int = 100
) -> list[GuidanceHit]:
    """Top-k published model cases for ``query``, each with score and reasons."""
    if mode not in MODES:
        raise InvalidInputError([FieldProblem("mode", "检索模式应为 hybrid、dense 或 lexical")])
    if not 1 <= k <= 50:
        raise InvalidInputError([FieldProblem("k", "返回条数应在 1 到 50 之间")])
    settings = svc.kernel.settings
    ranked = svc.index.rank(query.vector if mode != "lexical" else None, query.tokens if mode != "dense" else [], depth)
    d_ids = np.fromiter(ranked.dense, dtype=np.int64, count=len(ranked.dense))
    d_sc = np.fromiter(ranked.dense.values(), dtype=np.float32, count=len(ranked.dense))
    l_ids = np.fromiter(ranked.lexical, dtype=np.int64, count=len(ranked.lexical))
    l_sc = np.fromiter(ranked.lexical.values(), dtype=np.float32, count=len(ranked.lexical))
    weight = {"hybrid": settings.dense_weight, "dense": 1.0, "lexical": 0.0}[mode]
    fused = fuse(d_ids, d_sc, l_ids, l_sc, method=settings.fusion, dense_weight=weight)
    # RRF scores are tiny (at most 1/61); rescale so the boosts below mean the same for both methods.
    scale = 61.0 if settings.fusion == "rrf" else 1.0
    places = svc.kernel.gazetteer
    typed = query.case_id is None and query.group_id is None and query.vector is not None
    boosts = (
        svc.feedback_boosts(query.vector, query.tokens)
        if typed and svc.feedback_boosts and query.vector is not None
        else {}
    )
    hits: list[GuidanceHit] = []
    for f in fused:
        if f.id in query.exclude or f.id not in svc.index.meta:
            continue
        mc = svc.index.meta[f.id]
        score, reasons = f.score * scale, []
        terms = public_terms(svc.index.key_terms(f.id, query.tokens), query.names)
        if terms:
            reasons.append("共同关键词：" + "、".join(terms[:5]))
        if f.dense is not None:
            reasons.append(f"语义相似度 {f.dense:.2f}")
        d = mc.data
        if query.case_id is not None and query.case_id in d.source_case_ids:
            score += BOOST_SOURCE
            reasons.append("本案即该典型案例的来源案件")
        if query.group_id is not None and query.group_id in d.group_ids:
            score += BOOST_GROUP
            reasons.append("同一类案组")
        if query.category and d.category == query.category:
            score += BOOST_CATEGORY_GUESS if query.category_guessed else BOOST_CATEGORY
            reasons.append(f"同类别（{d.category}）" + ("，据相似案件推断" if query.category_guessed else ""))
        if query.department and query.department == d.lead_department:
            score += BOOST_DEPARTMENT
            reasons.append(f"同牵头部门（{d.lead_department}）")
        if mc.id in boosts:  # relevance marks under similar typed queries (kb.feedback.store)
            score += boosts[mc.id]
            reasons.append(feedback_reason(boosts[mc.id]))
        low = is_low(terms, f.dense, places)
        if low:
            reasons.insert(0, LOW_RELEVANCE + "（仅共有地名或无共同关键词）")
        hits.append(GuidanceHit(mc, score, f.dense, f.lexical, terms, reasons, low))
    hits.sort(key=lambda h: (h.low_relevance, -h.score, h.model_case.id))
    return hits[:k]


def look_up(
    svc: ModelCaseService,
    *,
    text: str | None = None,
    case_id: int | None = None,
    group_id: str | None = None,
    k: int = 5,
    mode: str = "hybrid",
    actor: Principal = SYSTEM,
    exclude: set[int] | None = None,
) -> tuple[GuidanceQuery, list[GuidanceHit]]:
    if mode not in MODES:
        raise InvalidInputError([FieldProblem("mode", "检索模式应为 hybrid、dense 或 lexical")])
    query = build_query(svc, text=text, case_id=case_id, group_id=group_id, actor=actor, mode=mode)
    query.exclude = exclude or set()
    return query, rank(svc, query, k, mode)
