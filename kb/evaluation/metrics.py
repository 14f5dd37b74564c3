"""Ranking, classification, clustering and pair metrics, each a small pure function."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm


def precision_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the first k ranks that are relevant (missing ranks count as misses)."""
    return sum(1 for d in ranked[:k] if d in relevant) / k


def average_precision(ranked: Sequence[str], relevant: set[str]) -> float:
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranked, start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """NDCG@k with gains ``2^g - 1``; the ideal order uses every graded document."""

    def dcg(gains: Sequence[float]) -> float:
        return sum(g / math.log2(r + 2) for r, g in enumerate(gains[:k]))

    ideal = dcg(sorted((2.0**g - 1 for g in grades.values()), reverse=True))
    if ideal == 0:
        return 0.0
    return dcg([2.0 ** grades.get(d, 0) - 1 for d in ranked]) / ideal


def ranking_metrics(
    runs: Sequence[tuple[Sequence[str], Mapping[str, int]]], relevant_grade: int = 3
) -> dict[str, float]:
    """Mean P@5, P@10, MAP (grade >= ``relevant_grade`` relevant) and NDCG@10/20/30 over queries."""
    names = ("P@5", "P@10", "MAP", "NDCG@10", "NDCG@20", "NDCG@30")
    sums = dict.fromkeys(names, 0.0)
    for ranked, grades in runs:
        relevant = {d for d, g in grades.items() if g >= relevant_grade}
        sums["P@5"] += precision_at(ranked, relevant, 5)
        sums["P@10"] += precision_at(ranked, relevant, 10)
        sums["MAP"] += average_precision(ranked, relevant)
        for k in (10, 20, 30):
            sums[f"NDCG@{k}"] += ndcg_at(ranked, grades, k)
    n = max(len(runs), 1)
    return {name: value / n for name, value in sums.items()}


def classification_metrics(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1 and the confusion matrix (rows = truth)."""
    labels = sorted(set(truth) | set(predicted))
    f1 = skm.f1_score(truth, predicted, labels=labels, average=None, zero_division=0)
    return {
        "accuracy": float(skm.accuracy_score(truth, predicted)),
        "macro_f1": float(np.mean([f for lab, f in zip(labels, f1, strict=True) if lab in set(truth)])),
        "per_class_f1": {lab: float(f) for lab, f in zip(labels, f1, strict=True)},
        "labels": labels,
        "confusion": skm.confusion_matrix(truth, predicted, labels=labels).tolist(),
    }


def clustering_metrics(truth: Sequence[str], assigned: Sequence[int]) -> dict[str, float]:
    """NMI/ARI/V-measure over all rows (unassigned rows form singleton clusters), plus coverage."""
    assigned_arr = np.asarray(assigned)
    # Unassigned (-1) rows are singletons: leaving a row out is never rewarded as a perfect match.
    labels = np.where(assigned_arr >= 0, assigned_arr, -(np.arange(len(assigned_arr)) + 2))
    return {
        "NMI": float(skm.normalized_mutual_info_score(truth, labels)),
        "ARI": float(skm.adjusted_rand_score(truth, labels)),
        "V": float(skm.v_measure_score(truth, labels)),
        "unassigned": float(np.mean(assigned_arr < 0)) if len(assigned_arr) else 0.0,
        "groups": float(len(set(assigned_arr[assigned_arr >= 0].tolist()))),
    }


def pair_metrics(neighbours: Mapping[str, Sequence[str]], groups: Mapping[str, str | None]) -> dict[str, float]:
    """Same-group pairs among each grouped row's neighbours.

    ``recall``: share of ordered same-group pairs (a, b) with b among a's neighbours.
    ``precision``: share of a grouped row's first ``group size - 1`` neighbours in its group
    (R-precision, so that small groups are not penalised for a fixed k).
    """
    members: dict[str, list[str]] = {}
    for doc, group in groups.items():
        if group is not None:
            members.setdefault(group, []).append(doc)
    found = pairs = 0
    r_prec: list[float] = []
    for docs in members.values():
        if len(docs) < 2:
            continue
        for doc in docs:
            mates = set(docs) - {doc}
            near = list(neighbours.get(doc, []))
            found += len(mates & set(near))
            pairs += len(mates)
            r_prec.append(len(mates & set(near[: len(mates)])) / len(mates))
    return {
        "recall": found / pairs if pairs else 0.0,
        "precision": float(np.mean(r_prec)) if r_prec else 0.0,
        "pairs": float(pairs),
    }
