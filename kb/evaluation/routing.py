"""Routing (which domain handles a message): kNN over bm25/dense/hybrid, a linear model, both.

The linear model and its features are ``kb.routing_features.LinearRouter``, shared with the
product's router (``kb.workflow.routing``); this module adds the harness's kNN over
``Engine.rank``, the competition taxonomy as class terms and opt-in self-training.
``fit_router`` is the reusable entry point (issue #6): texts + labels in, a ``Router`` out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from kb.evaluation.engine import Engine, Index
from kb.evaluation.metrics import classification_metrics
from kb.evaluation.report import Result, new_result
from kb.routing_features import FeatureConfig, LinearRouter

METHODS = ("knn-bm25", "knn-dense", "knn-hybrid", "linear", "combined")


class Router:
    """kNN vote over the product's hybrid ranking + ``LinearRouter`` (LinearSVC on TF-IDF ⊕ dense …).

    When the raw texts are given to ``fit``/``predict_encoded``, the linear model also sees the
    title's TF-IDF (``title_weight``), with a ``taxonomy`` its class terms (``term_weight``,
    ``title_prior_weight``) and title bigrams mined from the labelled titles (``mined_weight``; by
    default only without a taxonomy: with it they added nothing, docs/quality.md). ``method`` picks
    what ``predict`` uses; ``combined`` mixes the two probability vectors with ``knn_weight``.
    """

    def __init__(
        self,
        engine: Engine,
        k: int = 10,
        method: str = "combined",
        knn_weight: float = 0.5,
        C: float = 3.0,
        *,
        taxonomy: Mapping[str, Sequence[str]] | None = None,
        title_weight: float = 1.0,
        term_weight: float = 1.0,
        title_prior_weight: float = 0.5,
        mined_weight: float | None = None,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown routing method '{method}'; choose one of {METHODS}")
        self.engine, self.k, self.method, self.knn_weight, self.C = engine, k, method, knn_weight, C
        self.taxonomy, self.title_weight = taxonomy, title_weight
        self.term_weight, self.title_prior_weight = term_weight, title_prior_weight
        self.mined_weight = mined_weight

    def options(self) -> dict[str, Any]:
        """Keyword arguments that rebuild an unfitted router with the same configuration."""
        return {
            "k": self.k,
            "method": self.method,
            "knn_weight": self.knn_weight,
            "C": self.C,
            "taxonomy": self.taxonomy,
            "title_weight": self.title_weight,
            "term_weight": self.term_weight,
            "title_prior_weight": self.title_prior_weight,
            "mined_weight": self.mined_weight,
        }

    def fit(
        self,
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]],
        labels: Sequence[str],
        texts: Sequence[str] | None = None,
    ) -> Router:
        self.classes_ = sorted(set(labels))
        self.y_ = np.array([self.classes_.index(lab) for lab in labels])
        self.index_: Index = self.engine.index(vectors, tokens)
        mined = self.mined_weight
        config = FeatureConfig(
            C=self.C,
            title_weight=self.title_weight,
            term_weight=self.term_weight,
            title_prior_weight=self.title_prior_weight,
            mined_weight=(0.0 if self.taxonomy else FeatureConfig.mined_weight) if mined is None else mined,
        )
        self.linear_ = LinearRouter(config, self.engine.segmenter.tokens)
        self.linear_.fit(tokens, vectors, labels, texts, self.taxonomy)
        return self

    def knn_proba(self, vectors: np.ndarray, tokens: Sequence[Sequence[str]], system: str = "hybrid") -> np.ndarray:
        """Similarity-weighted votes of the k nearest labelled cases, normalised per row."""
        out = np.zeros((vectors.shape[0], len(self.classes_)))
        for row in range(vectors.shape[0]):
            ranked = self.engine.rank(self.index_, vectors[row], tokens[row], system, self.k)
            for doc, score in ranked:
                out[row, self.y_[doc]] += max(score, 0.0)
            total = out[row].sum()
            out[row] = out[row] / total if total > 0 else 1.0 / len(self.classes_)
        return out

    def linear_proba(
        self, vectors: np.ndarray, tokens: Sequence[Sequence[str]], texts: Sequence[str] | None = None
    ) -> np.ndarray:
        return self.linear_.proba(tokens, vectors, texts)

    def proba(
        self,
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]],
        method: str | None = None,
        texts: Sequence[str] | None = None,
    ) -> np.ndarray:
        method = method or self.method
        if method.startswith("knn-"):
            return self.knn_proba(vectors, tokens, "bm25" if method == "knn-bm25" else method[4:])
        if method == "linear":
            return self.linear_proba(vectors, tokens, texts)
        w = self.knn_weight
        return w * self.knn_proba(vectors, tokens) + (1 - w) * self.linear_proba(vectors, tokens, texts)

    def predict_encoded(
        self,
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]],
        method: str | None = None,
        texts: Sequence[str] | None = None,
    ) -> list[str]:
        return [self.classes_[i] for i in self.proba(vectors, tokens, method, texts).argmax(axis=1)]

    def predict(self, texts: Sequence[str]) -> list[str]:
        texts = list(texts)
        return self.predict_encoded(self.engine.encode(texts), self.engine.segment(texts), texts=texts)


def self_train(
    router: Router,
    vectors: np.ndarray,
    tokens: Sequence[Sequence[str]],
    labels: Sequence[str],
    extra_vectors: np.ndarray,
    extra_tokens: Sequence[Sequence[str]],
    threshold: float = 0.8,
    texts: Sequence[str] | None = None,
    extra_texts: Sequence[str] | None = None,
) -> Router:
    """Refit with the unlabelled rows the first model is confident about (one round).

    Pass ``texts`` and ``extra_texts`` together when the router was fitted with texts.
    """
    if extra_vectors.shape[0] == 0:
        return router
    probs = router.linear_proba(extra_vectors, extra_tokens, extra_texts)
    keep = np.flatnonzero(probs.max(axis=1) >= threshold)
    pseudo = [router.classes_[i] for i in probs[keep].argmax(axis=1)]
    new = Router(router.engine, **router.options())
    all_texts = None if texts is None or extra_texts is None else [*texts, *(extra_texts[i] for i in keep.tolist())]
    new.fit(
        np.vstack([vectors, extra_vectors[keep]]),
        [*tokens, *(extra_tokens[i] for i in keep.tolist())],
        [*labels, *pseudo],
        all_texts,
    )
    # kNN keeps voting with the gold labels only; pseudo labels feed the linear model.
    new.index_, new.y_ = router.index_, router.y_
    return new


def fit_router(
    texts: Sequence[str],
    labels: Sequence[str],
    engine: Engine,
    *,
    unlabeled: Sequence[str] = (),
    taxonomy: Mapping[str, Sequence[str]] | None = None,
    **options: Any,
) -> Router:
    """Train a router on labelled texts (titles and an optional taxonomy as priors; optional self-training)."""
    texts = list(texts)
    vectors, tokens = engine.encode(texts), engine.segment(texts)
    router = Router(engine, taxonomy=taxonomy, **options).fit(vectors, tokens, labels, texts)
    if unlabeled:
        extra = list(unlabeled)
        extra_v, extra_t = engine.encode(extra, "编码 无标注"), engine.segment(extra)
        router = self_train(router, vectors, tokens, labels, extra_v, extra_t, texts=texts, extra_texts=extra)
    return router


def evaluate_routing(
    train: Sequence[dict[str, Any]],
    test: Sequence[dict[str, Any]] | None,
    engine: Engine,
    *,
    folds: int = 5,
    unlabeled: Sequence[str] = (),
    taxonomy: Mapping[str, Sequence[str]] | None = None,
    dataset: str = "routing",
    seed: int = 0,
    **options: Any,
) -> Result:
    """Train/test split, or stratified k-fold on ``train`` when ``test`` is None; every method side by side.

    ``options`` go to ``Router`` (e.g. ``title_weight=0`` to drop the title features).
    """
    config = {**engine.describe(), "folds": None if test else folds, "taxonomy": bool(taxonomy), **options}
    result = new_result("routing", dataset, config, "combined")
    texts = [r["text"] for r in train] + [r["text"] for r in (test or [])]
    labels = [r["label"] for r in train] + [r["label"] for r in (test or [])]
    vectors, tokens = engine.encode(texts), engine.segment(texts)
    extra = list(unlabeled)
    extra_v = engine.encode(extra, "编码 无标注") if extra else np.zeros((0, vectors.shape[1]), np.float32)
    extra_t = engine.segment(extra, "分词 无标注") if extra else []
    if test:
        splits = [(np.arange(len(train)), np.arange(len(train), len(texts)))]
    else:
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, labels))
    predicted: dict[str, list[str]] = {m: [""] * len(texts) for m in METHODS}
    scored = np.zeros(len(texts), dtype=bool)
    with engine.tracker("训练与预测", len(splits)) as bar:
        for fit_idx, test_idx in splits:
            fit_t, fit_l = [texts[i] for i in fit_idx], [labels[i] for i in fit_idx]
            fit_tok = [tokens[i] for i in fit_idx]
            router = Router(engine, taxonomy=taxonomy, **options).fit(vectors[fit_idx], fit_tok, fit_l, fit_t)
            if extra:
                router = self_train(
                    router, vectors[fit_idx], fit_tok, fit_l, extra_v, extra_t, texts=fit_t, extra_texts=extra
                )
            test_tokens, test_texts = [tokens[i] for i in test_idx], [texts[i] for i in test_idx]
            for method in METHODS:
                found = router.predict_encoded(vectors[test_idx], test_tokens, method, test_texts)
                for i, lab in zip(test_idx, found, strict=True):
                    predicted[method][i] = lab
            scored[test_idx] = True
            bar.update(1)
    truth = [lab for lab, s in zip(labels, scored, strict=True) if s]
    for method in METHODS:
        result["systems"][method] = classification_metrics(
            truth, [p for p, s in zip(predicted[method], scored, strict=True) if s]
        )
    protocol = "train/test" if test else f"{folds}-fold stratified"
    result["notes"].append(
        f"{len(truth)} test rows, {protocol}; knn-bm25 / knn-dense / knn-hybrid are the bm25 / dense / "
        f"hybrid baselines (k=10); linear = LinearSVC on TF-IDF ⊕ dense ⊕ title TF-IDF"
        f"{' ⊕ taxonomy priors' if taxonomy else ' ⊕ mined title terms (no taxonomy)'}; "
        f"self-training on {len(extra)} unlabelled texts"
    )
    return result


# The configurations the nested evaluation chooses among: the dimensions of the ~25-config sweep
# (docs/quality.md, "Routing"): SVM C, the title block, the taxonomy term blocks, kNN share.
NESTED_GRID: tuple[dict[str, float], ...] = tuple(
    {"C": c, "title_weight": t, "term_weight": term, "knn_weight": w}
    for c in (1.0, 3.0, 10.0)
    for t in (0.0, 1.0)
    for term in (0.0, 1.0)
    for w in (0.0, 0.5)
)


def _grid_scores(
    engine: Engine,
    vectors: np.ndarray,
    tokens: Sequence[Sequence[str]],
    texts: Sequence[str],
    labels: Sequence[str],
    fit_idx: np.ndarray,
    test_idx: np.ndarray,
    grid: Sequence[Mapping[str, float]],
    taxonomy: Mapping[str, Sequence[str]] | None,
) -> list[list[str]]:
    """Predictions for ``test_idx`` of every grid config fitted on ``fit_idx`` (kNN votes computed once)."""
    fit_tok, test_tok = [tokens[i] for i in fit_idx], [tokens[i] for i in test_idx]
    fit_t, test_t = [texts[i] for i in fit_idx], [texts[i] for i in test_idx]
    fit_l = [labels[i] for i in fit_idx]
    knn: np.ndarray | None = None
    linear: dict[tuple[float, float, float], tuple[list[str], np.ndarray]] = {}
    out = []
    for config in grid:
        key = (config["C"], config["title_weight"], config["term_weight"])
        if key not in linear:
            router = Router(
                engine,
                taxonomy=taxonomy,
                C=key[0],
                title_weight=key[1],
                term_weight=key[2],
                title_prior_weight=key[2] / 2,
            ).fit(vectors[fit_idx], fit_tok, fit_l, fit_t)
            if knn is None:
                knn = router.knn_proba(vectors[test_idx], test_tok)
            linear[key] = (router.classes_, router.linear_proba(vectors[test_idx], test_tok, test_t))
        classes, lin = linear[key]
        assert knn is not None
        w = config["knn_weight"]
        out.append([classes[i] for i in (w * knn + (1 - w) * lin).argmax(axis=1)])
    return out


def evaluate_routing_nested(
    rows: Sequence[dict[str, Any]],
    engine: Engine,
    *,
    folds: int = 5,
    inner_folds: int = 3,
    grid: Sequence[Mapping[str, float]] = NESTED_GRID,
    unlabeled: Sequence[str] = (),
    taxonomy: Mapping[str, Sequence[str]] | None = None,
    dataset: str = "routing",
    seed: int = 0,
) -> Result:
    """Nested cross-validation: per outer fold, an inner CV on its training part picks the config.

    The outer test fold never takes part in the choice, so the outer macro-F1 estimates what the
    chosen procedure gives on new data (the plain ``--folds`` figure of a config chosen on the same
    folds is optimistic). Reports mean ± standard deviation over the outer folds, the config each
    fold chose, the same-folds best-of-grid figure for comparison and, with ``unlabeled``, the chosen
    config self-trained on the unlabelled texts (one round, confidence ≥ 0.8).
    """
    config = {**engine.describe(), "folds": folds, "inner_folds": inner_folds, "grid": len(grid)}
    result = new_result("routing-nested", dataset, {**config, "taxonomy": bool(taxonomy)}, "nested")
    texts, labels = [r["text"] for r in rows], [r["label"] for r in rows]
    vectors, tokens = engine.encode(texts), engine.segment(texts)
    extra = list(unlabeled)
    extra_v = engine.encode(extra, "编码 无标注") if extra else None
    extra_t = engine.segment(extra, "分词 无标注") if extra else []
    outer = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, labels))
    per_fold: dict[str, list[float]] = {"nested": [], "best of grid, same folds": [], "configured default": []}
    if extra:
        per_fold["nested + self-training"] = []
    default = {"C": 3.0, "title_weight": 1.0, "term_weight": 1.0, "knn_weight": 0.5}
    grid = list(grid) if default in list(grid) else [*grid, default]
    outer_grid_f1: list[list[float]] = []
    chosen: list[dict[str, float]] = []
    with engine.tracker("嵌套交叉验证", len(outer)) as bar:
        for fit_idx, test_idx in outer:
            inner = StratifiedKFold(inner_folds, shuffle=True, random_state=seed + 1)
            inner_f1 = np.zeros(len(grid))
            for in_fit, in_test in inner.split(fit_idx, [labels[i] for i in fit_idx]):
                preds = _grid_scores(
                    engine, vectors, tokens, texts, labels, fit_idx[in_fit], fit_idx[in_test], grid, taxonomy
                )
                truth = [labels[i] for i in fit_idx[in_test]]
                inner_f1 += [classification_metrics(truth, p)["macro_f1"] for p in preds]
            best = int(np.argmax(inner_f1))
            chosen.append(dict(grid[best]))
            truth = [labels[i] for i in test_idx]
            preds = _grid_scores(engine, vectors, tokens, texts, labels, fit_idx, test_idx, grid, taxonomy)
            f1s = [classification_metrics(truth, p)["macro_f1"] for p in preds]
            outer_grid_f1.append(f1s)
            per_fold["nested"].append(f1s[best])
            per_fold["configured default"].append(f1s[grid.index(default)])
            if extra_v is not None:
                pick = grid[best]
                router = Router(
                    engine,
                    taxonomy=taxonomy,
                    C=pick["C"],
                    title_weight=pick["title_weight"],
                    term_weight=pick["term_weight"],
                    title_prior_weight=pick["term_weight"] / 2,
                    knn_weight=pick["knn_weight"],
                )
                fit_tok, fit_t = [tokens[i] for i in fit_idx], [texts[i] for i in fit_idx]
                router.fit(vectors[fit_idx], fit_tok, [labels[i] for i in fit_idx], fit_t)
                router = self_train(
                    router,
                    vectors[fit_idx],
                    fit_tok,
                    [labels[i] for i in fit_idx],
                    extra_v,
                    extra_t,
                    texts=fit_t,
                    extra_texts=extra,
                )
                method = "combined" if pick["knn_weight"] > 0 else "linear"
                found = router.predict_encoded(
                    vectors[test_idx], [tokens[i] for i in test_idx], method, [texts[i] for i in test_idx]
                )
                per_fold["nested + self-training"].append(classification_metrics(truth, found)["macro_f1"])
            bar.update(1)
    best_same = int(np.argmax(np.mean(outer_grid_f1, axis=0)))
    per_fold["best of grid, same folds"] = [f[best_same] for f in outer_grid_f1]
    for name, values in per_fold.items():
        result["systems"][name] = {
            "macro_f1": float(np.mean(values)),
            "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
            "min": float(np.min(values)),
            "max": float(np.max(values)),
        }
    result["chosen"] = chosen
    result["notes"].append(
        f"{len(rows)} rows; outer {folds}-fold stratified (seed {seed}), inner {inner_folds}-fold on each "
        f"outer training part; {len(grid)} configs (C × title × taxonomy terms × kNN share); macro-F1 mean "
        f"and std over the outer folds; chosen per fold: "
        + "; ".join(", ".join(f"{k}={v:g}" for k, v in c.items()) for c in chosen)
        + f"; best of grid on the same outer folds: {grid[best_same]}"
    )
    return result
