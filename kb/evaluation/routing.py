"""Routing (which domain handles a message): kNN over bm25/dense/hybrid, a linear model, both.

``fit_router`` is the reusable entry point (issue #6): texts + labels in, a ``Router`` out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from kb.evaluation.engine import Engine, Index
from kb.evaluation.metrics import classification_metrics
from kb.evaluation.priors import PriorFeatures, title_of
from kb.evaluation.report import Result, new_result

METHODS = ("knn-bm25", "knn-dense", "knn-hybrid", "linear", "combined")


def _identity(tokens: list[str]) -> list[str]:
    return tokens


class Router:
    """kNN vote over the product's hybrid ranking + a linear SVM on TF-IDF(jieba tokens) ⊕ dense vectors.

    When the raw texts are given to ``fit``/``predict_encoded``, the linear model also sees a TF-IDF
    of the title's tokens (``title_weight``) and, with a ``taxonomy``, the class-prior features of
    ``kb.evaluation.priors`` (``term_weight``, ``title_prior_weight``). ``method`` picks what
    ``predict`` uses; ``combined`` mixes the two probability vectors with ``knn_weight``.
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
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown routing method '{method}'; choose one of {METHODS}")
        self.engine, self.k, self.method, self.knn_weight, self.C = engine, k, method, knn_weight, C
        self.taxonomy, self.title_weight = taxonomy, title_weight
        self.term_weight, self.title_prior_weight = term_weight, title_prior_weight

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
        self.tfidf_ = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
        self.tfidf_.fit([list(t) for t in tokens])
        self.uses_texts_ = texts is not None
        if texts is not None:
            self.title_tfidf_ = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
            self.title_tfidf_.fit(self._title_tokens(texts))
            self.priors_ = (
                PriorFeatures(self.taxonomy, self.classes_, self.term_weight, self.title_prior_weight)
                if self.taxonomy
                else None
            )
        self.linear_ = LinearSVC(C=self.C).fit(self._features(vectors, tokens, texts), self.y_)
        return self

    def _title_tokens(self, texts: Sequence[str]) -> list[list[str]]:
        return [self.engine.segmenter.tokens(title_of(t)) for t in texts]

    def _features(
        self, vectors: np.ndarray, tokens: Sequence[Sequence[str]], texts: Sequence[str] | None
    ) -> sparse.csr_matrix:
        parts = [self.tfidf_.transform([list(t) for t in tokens]), sparse.csr_matrix(vectors)]
        if self.uses_texts_:
            if texts is None:
                raise ValueError("this router was fitted with texts; pass texts to predict as well")
            parts.append(self.title_tfidf_.transform(self._title_tokens(texts)) * self.title_weight)
            if self.priors_ is not None:
                parts.append(sparse.csr_matrix(self.priors_.transform(texts)))
        return sparse.hstack(parts).tocsr()

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

    def linear_proba(
        self, vectors: np.ndarray, tokens: Sequence[Sequence[str]], texts: Sequence[str] | None = None
    ) -> np.ndarray:
        features = self._features(vectors, tokens, texts)
        # Softmax of SVM margins: comparable across rows and mixable with kNN votes.
        margins = np.asarray(self.linear_.decision_function(features)) * 3.0
        if margins.ndim == 1:  # two classes: one margin for the second class
            margins = np.column_stack([-margins, margins])
        margins = np.exp(margins - margins.max(axis=1, keepdims=True))
        return margins / margins.sum(axis=1, keepdims=True)

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
        router = self_train(
            router,
            vectors,
            tokens,
            labels,
            engine.encode(extra, "编码 无标注"),
            engine.segment(extra),
            texts=texts,
            extra_texts=extra,
        )
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
        f"{' ⊕ taxonomy priors' if taxonomy else ' (no taxonomy)'}; self-training on {len(extra)} unlabelled texts"
    )
    return result
