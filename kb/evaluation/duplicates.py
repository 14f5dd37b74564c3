"""Repeat/near-duplicate detection: are same-``group`` rows among each other's nearest neighbours?"""

from __future__ import annotations

from collections.abc import Sequence

from kb.evaluation.datasets import Row
from kb.evaluation.engine import SYSTEMS, Engine
from kb.evaluation.metrics import pair_metrics
from kb.evaluation.report import Result, new_result


def evaluate_duplicates(rows: Sequence[Row], engine: Engine, k: int = 10, dataset: str = "duplicates") -> Result:
    """Recall@k and R-precision of same-group pairs; every row is indexed, grouped rows are queried."""
    result = new_result("duplicates", dataset, {**engine.describe(), "k": k}, "hybrid")
    texts = [r["text"] for r in rows]
    groups = {r["id"]: (str(r["group"]) if r.get("group") not in (None, "") else None) for r in rows}
    index = engine.index(engine.encode(texts), engine.segment(texts))
    queries = [i for i, r in enumerate(rows) if groups[r["id"]] is not None]
    for system in SYSTEMS:
        neighbours: dict[str, list[str]] = {}
        with engine.tracker(f"近邻 {system}", len(queries)) as bar:
            for i in queries:
                # As the service's search by case: the query's own row is excluded.
                ranked = engine.rank(index, index.vectors[i], index.tokens[i], system, k, exclude=i)
                neighbours[rows[i]["id"]] = [rows[doc]["id"] for doc, _ in ranked]
                bar.update(1)
        found = pair_metrics(neighbours, groups)
        result["systems"][system] = {f"recall@{k}": found["recall"], "precision": found["precision"]}
    n_groups = len({g for g in groups.values() if g is not None})
    result["notes"].append(
        f"{len(rows)} rows, {len(queries)} in {n_groups} groups, {int(found['pairs'])} ordered same-group pairs; "
        f"precision is R-precision (first group-size-1 neighbours)."
    )
    return result
