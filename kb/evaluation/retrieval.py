"""Graded retrieval: P@5, P@10, MAP (grade 3) and NDCG@10/20/30, optionally per-query pools (LeCaRD)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kb.errors import FieldProblem, InvalidInputError
from kb.evaluation.datasets import Row
from kb.evaluation.engine import SYSTEMS, Engine
from kb.evaluation.metrics import ranking_metrics
from kb.evaluation.report import Result, new_result


def _pools(corpus: Sequence[Row], queries: Sequence[Row], field: str) -> list[np.ndarray]:
    """Per query: corpus rows sharing its ``field`` value and carrying a grade for it."""
    by_value: dict[str, list[int]] = {}
    for i, row in enumerate(corpus):
        by_value.setdefault(str(row.get(field)), []).append(i)
    pools = []
    for q in queries:
        if q.get(field) in (None, ""):
            raise InvalidInputError([FieldProblem(field, f"查询 {q['id']} 缺少候选池字段 {field}")])
        rows = [i for i in by_value.get(str(q[field]), []) if corpus[i]["id"] in q["relevance"]]
        pools.append(np.asarray(rows, dtype=np.int64))
    return pools


def evaluate_retrieval(
    corpus: Sequence[Row],
    queries: Sequence[Row],
    engine: Engine,
    *,
    pool_field: str | None = None,
    dataset: str = "retrieval",
    k: int = 100,
) -> Result:
    """Rank the corpus (or each query's pool) for every query under bm25, dense and hybrid.

    Each query gets what the service's search returns for ``k`` hits (candidate depth
    ``max(settings.candidate_depth, k)``); the metrics read those ``k``.
    """
    result = new_result("retrieval", dataset, {**engine.describe(), "pool_field": pool_field}, "hybrid")
    known = {r["id"] for r in corpus}
    unknown = [(q["id"], d) for q in queries for d in q["relevance"] if d not in known]
    if unknown:
        qid, doc = unknown[0]
        raise InvalidInputError(
            [FieldProblem("relevance", f"查询 {qid} 引用的语料编号 {doc} 不在语料中（共 {len(unknown)} 处）")]
        )
    texts = [r["text"] for r in corpus]
    index = engine.index(engine.encode(texts, "编码 语料"), engine.segment(texts, "分词 语料"))
    # Queries are typed searches: the service's own query path (kb.search.make_queries: synonyms,
    # the short-query vector text, pseudo-relevance expansion of short queries).
    typed = engine.queries([q["text"] for q in queries])
    pools = _pools(corpus, queries, pool_field) if pool_field else [None] * len(queries)
    for system in SYSTEMS:
        runs = []
        with engine.tracker(f"检索 {system}", len(queries)) as bar:
            for q, query, pool in zip(queries, typed, pools, strict=True):
                ranked = engine.rank(
                    index,
                    query.vector,
                    query.tokens,
                    system,
                    k,
                    pool,
                    extra=query.extra,
                    expand_short=query.expand_short,
                )
                grades = q["relevance"]
                if pool is not None:
                    # Only the pool's graded candidates count: the LeCaRD protocol.
                    members = {corpus[i]["id"] for i in pool.tolist()}
                    grades = {d: g for d, g in grades.items() if d in members}
                runs.append(([corpus[doc]["id"] for doc, _ in ranked], grades))
                bar.update(1)
        result["systems"][system] = ranking_metrics(runs)
    scope = f"each query ranked within its `{pool_field}` pool of graded candidates" if pool_field else "whole corpus"
    result["notes"].append(f"{len(queries)} queries over {len(corpus)} corpus rows; {scope}; top {k} hits per query.")
    return result
