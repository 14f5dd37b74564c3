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
