"""智能分拣: suggest the responsible department (domain) and locality for a case.

Two learners over the same hybrid features, combined:
- similar-case voting (kNN) over dense + TF-IDF similarity: always current, as every handled case
  is a voter the moment it is stored;
- a linear model (logistic regression) on TF-IDF + dense features, refitted lazily when the number
  of labelled cases has grown by ``refit_growth`` since the last fit.
``Router`` works on arrays (for evaluation); ``kb.workflow.service`` feeds it from the knowledge base.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

MODES = ("combined", "knn", "linear")


@dataclass(frozen=True)
class RouterConfig:
    k: int = 15
    # Share of the kNN vote in the combined probability (the rest is the linear model).
    knn_weight: float = 0.5
    # Dense share of the kNN similarity (the rest is TF-IDF cosine).
    dense_weight: float = 0.5
    low_confidence: float = 0.5
    refit_growth: float = 0.1
    max_train: int = 20000
    C: float = 10.0
    dense_scale: float = 1.0


@dataclass
class Suggestion:
    target: str
    value: str | None
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    low_confidence: bool = True
    basis: str = ""

    @property
    def message(self) -> str:
        if self.value is None:
            return "知识库中已办理的案件不足，无法给出建议，请人工分拣"
        if self.low_confidence:
            return f"置信度低（{self.confidence:.0%}），建议仅供参考，请人工确认"
        return f"建议：{self.value}（置信度 {self.confidence:.0%}）"


def _tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer=str.split, sublinear_tf=True, min_df=1, max_features=200_000, dtype=np.float32, norm="l2"
    )


def knn_proba(sims: np.ndarray, labels: np.ndarray, classes: Sequence[str], k: int) -> np.ndarray:
    """Similarity-weighted vote of the k nearest labelled cases; rows sum to 1 (or 0 without voters)."""
    index = {c: i for i, c in enumerate(classes)}
    k = min(k, sims.shape[1])
    out = np.zeros((sims.shape[0], len(classes)), dtype=np.float64)
    if k == 0:
        return out
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    for row, cols in enumerate(top):
        for col in cols:
            out[row, index[labels[col]]] += max(float(sims[row, col]), 0.0) ** 2
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.zeros_like(out), where=total > 0)


class Router:
    """Fit on (tokens, dense vectors, labels); predict class probabilities in one of ``MODES``."""

    def __init__(self, config: RouterConfig | None = None) -> None:
        self.config = config or RouterConfig()

    def fit(self, tokens: Sequence[Sequence[str]], dense: np.ndarray, labels: Sequence[str]) -> Router:
        docs = [" ".join(t) for t in tokens]
        self.vectorizer_ = _tfidf().fit(docs)
        self.train_tfidf_ = self.vectorizer_.transform(docs)
        self.train_dense_ = np.asarray(dense, dtype=np.float32)
        self.labels_ = np.asarray(labels, dtype=object)
        self.classes_: list[str] = sorted(set(labels))
        self.linear_: LogisticRegression | None = None
        if len(self.classes_) > 1:
            features = self._features(self.train_tfidf_, self.train_dense_)
            self.linear_ = LogisticRegression(C=self.config.C, max_iter=2000).fit(features, self.labels_)
        return self

    def _features(self, tfidf: sparse.spmatrix, dense: np.ndarray) -> sparse.csr_matrix:
        return sparse.hstack([tfidf, sparse.csr_matrix(dense * self.config.dense_scale)]).tocsr()

    def similarities(self, tokens: Sequence[Sequence[str]], dense: np.ndarray) -> np.ndarray:
        tfidf = self.vectorizer_.transform([" ".join(t) for t in tokens])
        w = self.config.dense_weight
        return (
            w * (np.asarray(dense, np.float32) @ self.train_dense_.T)
            + (1 - w) * (tfidf @ self.train_tfidf_.T).toarray()
        )

    def linear_proba(self, tokens: Sequence[Sequence[str]], dense: np.ndarray) -> np.ndarray:
        n = len(tokens)
        if self.linear_ is None:
            return np.tile(np.ones(len(self.classes_)) / len(self.classes_), (n, 1))
        tfidf = self.vectorizer_.transform([" ".join(t) for t in tokens])
        proba = self.linear_.predict_proba(self._features(tfidf, np.asarray(dense, np.float32)))
        # LogisticRegression orders classes itself; map to self.classes_.
        order = [list(self.linear_.classes_).index(c) for c in self.classes_]
        return np.asarray(proba[:, order])

    def predict_proba(self, tokens: Sequence[Sequence[str]], dense: np.ndarray, mode: str = "combined") -> np.ndarray:
        if mode not in MODES:
            raise ValueError(mode)
        if mode == "linear":
            return self.linear_proba(tokens, dense)
        knn = knn_proba(self.similarities(tokens, dense), self.labels_, self.classes_, self.config.k)
        if mode == "knn":
            return knn
        w = self.config.knn_weight
        return w * knn + (1 - w) * self.linear_proba(tokens, dense)

    def predict(self, tokens: Sequence[Sequence[str]], dense: np.ndarray, mode: str = "combined") -> list[str]:
        proba = self.predict_proba(tokens, dense, mode)
        return [self.classes_[i] for i in proba.argmax(axis=1)]


def suggestion(target: str, classes: Sequence[str], proba: np.ndarray, config: RouterConfig, basis: str) -> Suggestion:
    """Top class, confidence and the next three alternatives, saying plainly when confidence is low."""
    if len(classes) == 0 or float(proba.sum()) <= 0:
        return Suggestion(target, None, 0.0, [], True, basis)
    order = np.argsort(-proba)
    top = [(classes[i], round(float(proba[i]), 4)) for i in order[:4] if proba[i] > 0]
    confidence = top[0][1]
    return Suggestion(target, top[0][0], confidence, top[1:4], confidence < config.low_confidence, basis)


def fit_router(
    tokens: Sequence[Sequence[str]], dense: np.ndarray, labels: Sequence[str], config: RouterConfig | None = None
) -> Router:
    """Entry point for the evaluation harness (``leian eval routing``)."""
    return Router(config).fit(tokens, dense, labels)
