"""Routing (which domain handles a message): kNN over bm25/dense/hybrid, a linear model, both.

``fit_router`` is the reusable entry point (issue #6): texts + labels in, a ``Router`` out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from kb.evaluation.engine import Engine, Index
from kb.evaluation.metrics import classification_metrics
from kb.evaluation.report import Result, new_result

METHODS = ("knn-bm25", "knn-dense", "knn-hybrid", "linear", "combined")


def _identity(tokens: list[str]) -> list[str]:
    return tokens


class Router:
    """kNN vote over the product's hybrid ranking + a linear SVM on TF-IDF(jieba tokens) ⊕ dense vectors.

    ``method`` picks what ``predict`` uses; ``combined`` averages the two probability vectors.
    """

    def __init__(
        self, engine: Engine, k: int = 10, method: str = "combined", knn_weight: float = 0.5, C: float = 3.0
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown routing method '{method}'; choose one of {METHODS}")
        self.engine, self.k, self.method, self.knn_weight, self.C = engine, k, method, knn_weight, C

    def fit(self, vectors: np.ndarray, tokens: Sequence[Sequence[str]], labels: Sequence[str]) -> Router:
        self.classes_ = sorted(set(labels))
        self.y_ = np.array([self.classes_.index(lab) for lab in labels])
        self.index_: Index = self.engine.index(vectors, tokens)
        self.tfidf_ = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
        features = sparse.hstack([self.tfidf_.fit_transform([list(t) for t in tokens]), sparse.csr_matrix(vectors)])
        self.linear_ = LinearSVC(C=self.C).fit(features.tocsr(), self.y_)
        return self

    def knn_proba(self, vectors: np.ndarray, tokens: Sequence[Sequence[str]], system: str = "hybrid") -> np.ndarray:
        """Similarity-weighted votes of the k nearest labelled cases, normalised per row."""
        out = np.zeros((vectors.shape[0], len(self.classes_)))
        depth = max(self.k, self.engine.settings.candidate_depth)
        for row in range(vectors.shape[0]):
            ranked = self.engine.rank(self.index_, vectors[row], tokens[row], system, depth)[: self.k]
            for doc, score in ranked:
                out[row, self.y_[doc]] += max(score, 0.0)
            total = out[row].sum()
            out[row] = out[row] / total if total > 0 else 1.0 / len(self.classes_)
        return out

    def linear_proba(self, vectors: np.ndarray, tokens: Sequence[Sequence[str]]) -> np.ndarray:
        features = sparse.hstack([self.tfidf_.transform([list(t) for t in tokens]), sparse.csr_matrix(vectors)])
        # Softmax of SVM margins: comparable across rows and mixable with kNN votes.
        margins = np.asarray(self.linear_.decision_function(features.tocsr())) * 3.0
        if margins.ndim == 1:  # two classes: one margin for the second class
            margins = np.column_stack([-margins, margins])
        margins = np.exp(margins - margins.max(axis=1, keepdims=True))
        return margins / margins.sum(axis=1, keepdims=True)

    def proba(self, vectors: np.ndarray, tokens: Sequence[Sequence[str]], method: str | None = None) -> np.ndarray:
        method = method or self.method
        if method.startswith("knn-"):
            return self.knn_proba(vectors, tokens, "bm25" if method == "knn-bm25" else method[4:])
        if method == "linear":
            return self.linear_proba(vectors, tokens)
        w = self.knn_weight
        return w * self.knn_proba(vectors, tokens) + (1 - w) * self.linear_proba(vectors, tokens)

    def predict_encoded(
        self, vectors: np.ndarray, tokens: Sequence[Sequence[str]], method: str | None = None
    ) -> list[str]:
        return [self.classes_[i] for i in self.proba(vectors, tokens, method).argmax(axis=1)]

    def predict(self, texts: Sequence[str]) -> list[str]:
        return self.predict_encoded(self.engine.encode(texts), self.engine.segment(texts))


def self_train(
    router: Router,
    vectors: np.ndarray,
    tokens: Sequence[Sequence[str]],
    labels: Sequence[str],
    extra_vectors: np.ndarray,
    extra_tokens: Sequence[Sequence[str]],
    threshold: float = 0.8,
) -> Router:
    """Refit with the unlabelled rows the first model is confident about (one round)."""
    if extra_vectors.shape[0] == 0:
        return router
    probs = router.linear_proba(extra_vectors, extra_tokens)
    keep = np.flatnonzero(probs.max(axis=1) >= threshold)
    pseudo = [router.classes_[i] for i in probs[keep].argmax(axis=1)]
    new = Router(router.engine, router.k, router.method, router.knn_weight, router.C)
    new.fit(
        np.vstack([vectors, extra_vectors[keep]]),
        [*tokens, *(extra_tokens[i] for i in keep.tolist())],
        [*labels, *pseudo],
    )
    # kNN keeps voting with the gold labels only; pseudo labels feed the linear model.
    new.index_, new.y_ = router.index_, router.y_
    return new


def fit_router(
    texts: Sequence[str], labels: Sequence[str], engine: Engine, *, unlabeled: Sequence[str] = (), **options: Any
) -> Router:
    """Train a router on labelled texts (plus optional unlabelled texts for self-training)."""
    vectors, tokens = engine.encode(texts), engine.segment(texts)
    router = Router(engine, **options).fit(vectors, tokens, labels)
    if unlabeled:
        extra = list(unlabeled)
        router = self_train(router, vectors, tokens, labels, engine.encode(extra, "编码 无标注"), engine.segment(extra))
    return router


def evaluate_routing(
    train: Sequence[dict[str, Any]],
    test: Sequence[dict[str, Any]] | None,
    engine: Engine,
    *,
    folds: int = 5,
    unlabeled: Sequence[str] = (),
    dataset: str = "routing",
    seed: int = 0,
) -> Result:
    """Train/test split, or stratified k-fold on ``train`` when ``test`` is None; every method side by side."""
    result = new_result("routing", dataset, {**engine.describe(), "folds": None if test else folds}, "combined")
    texts = [r["text"] for r in train] + [r["text"] for r in (test or [])]
    labels = [r["label"] for r in train] + [r["label"] for r in (test or [])]
    vectors, tokens = engine.encode(texts), engine.segment(texts)
    extra_v = (
        engine.encode(list(unlabeled), "编码 无标注") if unlabeled else np.zeros((0, vectors.shape[1]), np.float32)
    )
    extra_t = engine.segment(list(unlabeled), "分词 无标注") if unlabeled else []
    if test:
        splits = [(np.arange(len(train)), np.arange(len(train), len(texts)))]
    else:
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, labels))
    predicted: dict[str, list[str]] = {m: [""] * len(texts) for m in METHODS}
    scored = np.zeros(len(texts), dtype=bool)
    with engine.tracker("训练与预测", len(splits)) as bar:
        for fit_idx, test_idx in splits:
            router = Router(engine).fit(vectors[fit_idx], [tokens[i] for i in fit_idx], [labels[i] for i in fit_idx])
            if unlabeled:
                router = self_train(
                    router,
                    vectors[fit_idx],
                    [tokens[i] for i in fit_idx],
                    [labels[i] for i in fit_idx],
                    extra_v,
                    extra_t,
                )
            test_tokens = [tokens[i] for i in test_idx]
            for method in METHODS:
                for i, lab in zip(
                    test_idx, router.predict_encoded(vectors[test_idx], test_tokens, method), strict=True
                ):
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
        f"hybrid baselines (k=10); self-training on {len(unlabeled)} unlabelled texts"
    )
    return result
