"""智能分拣: suggest the responsible department (domain) and locality for a case.

Two learners, combined:
- similar-case voting (kNN) over dense + TF-IDF similarity: always current, as every handled case
  is a voter the moment it is stored (``kb.workflow.suggest`` votes over the live hybrid index);
- the linear model of ``kb.routing_features.LinearRouter``, shared with ``leian eval routing``:
  LinearSVC on TF-IDF ⊕ dense ⊕ the title's TF-IDF ⊕ class terms read from the labelled cases
  (categories per department, districts per city) ⊕ title bigrams mined from the labelled titles.
  The evaluation's competition taxonomy is not used here: it describes that data set's 7 domains
  only. The model is refitted lazily when the number of labelled cases has grown by
  ``refit_growth`` since the last fit.
``Router`` works on arrays (bench/workflow.py); ``kb.workflow.suggest`` feeds it from the knowledge base.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from kb.routing_features import FeatureConfig, LinearRouter

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
    linear: FeatureConfig = field(default_factory=FeatureConfig)


@dataclass
class Suggestion:
    target: str
    value: str | None
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    low_confidence: bool = True
    basis: str = ""
    # Locality only: the place names the text gives (韶关市、曲江区), which beat the classifier, and
    # the classifier's own top choice when it differs from them (a conflict to check by hand).
    place: str | None = None
    conflict: str | None = None

    @property
    def message(self) -> str:
        if self.conflict is not None:
            return f"文中地名为{self.place}，建议：{self.value}；模型建议 {self.conflict}，两者不一致，请人工确认"
        if self.place is not None:
            return f"建议：{self.value}（依据文中地名：{self.place}）"
        if self.value is None:
            return "知识库中已办理的案件不足，无法给出建议，请人工分拣"
        if self.low_confidence:
            return f"可能为：{self.value}（置信度低，{self.confidence:.0%}，仅供参考，请人工确认）"
        return f"建议：{self.value}（置信度 {self.confidence:.0%}）"


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
    """Fit on (tokens, dense vectors, labels[, texts, class terms]); predict class probabilities in one of ``MODES``.

    With ``texts`` (``"{title}。{content}"`` as ``kb.domain.Case.text``) the linear model also uses the
    title and term features; ``tokenize`` segments the titles (the service's ``Segmenter.tokens``).
    """

    def __init__(self, config: RouterConfig | None = None, tokenize: Callable[[str], list[str]] | None = None):
        self.config = config or RouterConfig()
        self.tokenize = tokenize

    def fit(
        self,
        tokens: Sequence[Sequence[str]],
        dense: np.ndarray,
        labels: Sequence[str],
        texts: Sequence[str] | None = None,
        terms: Mapping[str, Sequence[str]] | None = None,
    ) -> Router:
        self.model_ = LinearRouter(self.config.linear, self.tokenize).fit(tokens, dense, labels, texts, terms)
        self.train_tfidf_ = self.model_.tfidf_.transform([list(t) for t in tokens])
        self.train_dense_ = np.asarray(dense, dtype=np.float32)
        self.labels_ = np.asarray(labels, dtype=object)
        self.classes_: list[str] = self.model_.classes_
        return self

    @property
    def fitted(self) -> bool:
        """Whether there is a linear model (at least two classes)."""
        return self.model_.model_ is not None

    def similarities(self, tokens: Sequence[Sequence[str]], dense: np.ndarray) -> np.ndarray:
        tfidf = self.model_.tfidf_.transform([list(t) for t in tokens])
        w = self.config.dense_weight
        return (
            w * (np.asarray(dense, np.float32) @ self.train_dense_.T)
            + (1 - w) * (tfidf @ self.train_tfidf_.T).toarray()
        )

    def linear_proba(
        self, tokens: Sequence[Sequence[str]], dense: np.ndarray, texts: Sequence[str] | None = None
    ) -> np.ndarray:
        return self.model_.proba(tokens, dense, texts)

    def predict_proba(
        self,
        tokens: Sequence[Sequence[str]],
        dense: np.ndarray,
        mode: str = "combined",
        texts: Sequence[str] | None = None,
    ) -> np.ndarray:
        if mode not in MODES:
            raise ValueError(mode)
        if mode == "linear":
            return self.linear_proba(tokens, dense, texts)
        knn = knn_proba(self.similarities(tokens, dense), self.labels_, self.classes_, self.config.k)
        if mode == "knn":
            return knn
        w = self.config.knn_weight
        return w * knn + (1 - w) * self.linear_proba(tokens, dense, texts)

    def predict(
        self,
        tokens: Sequence[Sequence[str]],
        dense: np.ndarray,
        mode: str = "combined",
        texts: Sequence[str] | None = None,
    ) -> list[str]:
        proba = self.predict_proba(tokens, dense, mode, texts)
        return [self.classes_[i] for i in proba.argmax(axis=1)]


def suggestion(target: str, classes: Sequence[str], proba: np.ndarray, config: RouterConfig, basis: str) -> Suggestion:
    """Top class, confidence and the next three alternatives, saying plainly when confidence is low."""
    if len(classes) == 0 or float(proba.sum()) <= 0:
        return Suggestion(target, None, 0.0, [], True, basis)
    order = np.argsort(-proba)
    top = [(classes[i], round(float(proba[i]), 4)) for i in order[:4] if proba[i] > 0]
    confidence = top[0][1]
    return Suggestion(target, top[0][0], confidence, top[1:4], confidence < config.low_confidence, basis)
