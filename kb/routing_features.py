"""The linear half of routing (智能分拣), shared by the product and the evaluation harness.

``LinearRouter`` is the one implementation of the linear model and its features; the product's
``kb.workflow.routing.Router`` (fed by ``kb.workflow.suggest.LiveRouter``) and the harness's
``kb.evaluation.routing.Router`` (``leian eval routing``) both use it and add their own kNN vote.

Features, and where each one comes from (figures: docs/quality.md "Routing", docs/workflow.md):

- TF-IDF of the text's jieba tokens ⊕ the dense vector: the text itself; both routers.
- TF-IDF of the title's tokens × ``title_weight``: the title is ``title_of(text)``, the first line
  or the text before the first 。 — a stored case's text is ``"{title}。{content}"``
  (``kb.domain.Case.text``), so for product cases this is the case's own title field.
- Class terms (``PriorFeatures``): per class, log(1 + hits of its terms in the text) ×
  ``term_weight`` and log(1 + title bigrams found in that class's terms only) ×
  ``title_prior_weight``. The terms are given by the caller: the harness passes the competition's
  category taxonomy (``kb.evaluation.priors.load_taxonomy``) — a hard-coded list for its 7 domains,
  so it never reaches the product; the product passes terms read from its own labelled cases
  (``terms_from_fields``: the categories seen per department, the districts seen per city).
- Mined title terms × ``mined_weight``: title bigrams that occur in at least ``min_df`` labelled
  titles, at least ``purity`` of them in one class (``mine_title_terms``). Learned from the labelled
  cases, so the product uses them; counted in the title only (hits in the whole text measured worse).
- Not shared: self-training on unlabelled texts (harness only, opt-in: it lowered the score).

Model: LinearSVC (C=3) with softmax(3 × margins) as probabilities, as the harness measured it
better than logistic regression (C=10/30) on these features.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

_TITLE_END = re.compile(r"[\n。]")
TITLE_MAX_CHARS = 80
# Placeholder categories that say nothing about the class.
VAGUE = {"其他", "其它", ""}


def title_of(text: str) -> str:
    """The title of a message: its first line (evaluation files) or up to the first 。 (case text)."""
    head = _TITLE_END.split(text.strip(), maxsplit=1)[0]
    return head[:TITLE_MAX_CHARS]


def bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


class PriorFeatures:
    """Per-class features: term hits in the text, and title bigrams unique to one class's terms.

    Columns follow ``classes``; a class without terms gets zero columns.
    """

    def __init__(
        self, taxonomy: Mapping[str, Sequence[str]], classes: Sequence[str], term_weight: float, title_weight: float
    ) -> None:
        self.classes = list(classes)
        self.terms = [list(taxonomy.get(c, ())) for c in self.classes]
        grams = [{g for term in terms for g in bigrams(term)} for terms in self.terms]
        shared = Counter(g for per_class in grams for g in per_class)
        # A bigram counts only for the one class whose terms use it (e.g. 物业 → 城乡建设).
        self.unique = [{g for g in per_class if shared[g] == 1} for per_class in grams]
        self.owner = {g: col for col, unique in enumerate(self.unique) for g in unique}
        self.term_weight, self.title_weight = term_weight, title_weight

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        n = len(self.classes)
        out = np.zeros((len(texts), 2 * n), np.float32)
        for row, text in enumerate(texts):
            if self.term_weight:
                for col, terms in enumerate(self.terms):
                    out[row, col] = sum(text.count(term) for term in terms)
            for gram in bigrams(title_of(text)):
                owner = self.owner.get(gram)
                if owner is not None:
                    out[row, n + owner] += 1
        out = np.log1p(out)
        out[:, :n] *= self.term_weight
        out[:, n:] *= self.title_weight
        return out


def mine_title_terms(
    texts: Sequence[str], labels: Sequence[str], min_df: int = 2, purity: float = 0.9
) -> dict[str, list[str]]:
    """Class → title bigrams seen in ≥ ``min_df`` labelled titles, ≥ ``purity`` of them of that class."""
    seen: dict[str, Counter[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        for gram in set(bigrams(title_of(text))):
            seen.setdefault(gram, Counter())[label] += 1
    out: dict[str, list[str]] = {}
    for gram, counts in sorted(seen.items()):
        label, top = counts.most_common(1)[0]
        total = sum(counts.values())
        if total >= min_df and top / total >= purity:
            out.setdefault(label, []).append(gram)
    return out


def terms_from_fields(values: Sequence[str | None], labels: Sequence[str]) -> dict[str, list[str]]:
    """Class → the distinct values of a finer field on its labelled cases (e.g. city → its districts)."""
    found: dict[str, set[str]] = {}
    for value, label in zip(values, labels, strict=True):
        if value and value.strip() not in VAGUE:
            found.setdefault(label, set()).add(value.strip())
    return {label: sorted(terms) for label, terms in found.items()}


@dataclass(frozen=True)
class FeatureConfig:
    C: float = 3.0
    dense_scale: float = 1.0
    title_weight: float = 1.0
    term_weight: float = 1.0
    title_prior_weight: float = 0.5
    mined_weight: float = 0.5
    min_df: int = 2
    purity: float = 0.9


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=_identity, sublinear_tf=True, max_features=200_000)


class LinearRouter:
    """LinearSVC on TF-IDF ⊕ dense [⊕ title TF-IDF ⊕ class terms ⊕ mined title terms].

    The title and term blocks need the raw ``texts`` (and ``tokenize`` for the title's tokens); a
    router fitted with texts must be given texts to predict. With one class there is no model and
    ``proba`` is uniform.
    """

    def __init__(self, config: FeatureConfig | None = None, tokenize: Callable[[str], list[str]] | None = None):
        self.config = config or FeatureConfig()
        self.tokenize = tokenize

    def fit(
        self,
        tokens: Sequence[Sequence[str]],
        dense: np.ndarray,
        labels: Sequence[str],
        texts: Sequence[str] | None = None,
        terms: Mapping[str, Sequence[str]] | None = None,
    ) -> LinearRouter:
        cfg = self.config
        self.classes_: list[str] = sorted(set(labels))
        self.tfidf_ = _tfidf().fit([list(t) for t in tokens])
        self.uses_texts_ = texts is not None
        self.priors_: list[PriorFeatures] = []
        self.title_tfidf_: TfidfVectorizer | None = None
        if texts is not None:
            if cfg.title_weight:
                try:
                    self.title_tfidf_ = _tfidf().fit(self._title_tokens(texts))
                except ValueError:  # no title has a token (empty vocabulary): no title block
                    self.title_tfidf_ = None
            if terms:
                self.priors_.append(PriorFeatures(terms, self.classes_, cfg.term_weight, cfg.title_prior_weight))
            if cfg.mined_weight:
                mined = mine_title_terms(texts, labels, cfg.min_df, cfg.purity)
                self.priors_.append(PriorFeatures(mined, self.classes_, 0.0, cfg.mined_weight))
        self.model_: LinearSVC | None = None
        if len(self.classes_) > 1:
            index = {c: i for i, c in enumerate(self.classes_)}  # columns follow classes_
            y = np.array([index[lab] for lab in labels])
            self.model_ = LinearSVC(C=cfg.C).fit(self.features(tokens, dense, texts), y)
        return self

    def _title_tokens(self, texts: Sequence[str]) -> list[list[str]]:
        if self.tokenize is None:
            raise ValueError("title features need a tokenizer: pass tokenize= to LinearRouter")
        return [self.tokenize(title_of(t)) for t in texts]

    def features(
        self, tokens: Sequence[Sequence[str]], dense: np.ndarray, texts: Sequence[str] | None = None
    ) -> sparse.csr_matrix:
        dense = np.asarray(dense, dtype=np.float32) * self.config.dense_scale
        parts = [self.tfidf_.transform([list(t) for t in tokens]), sparse.csr_matrix(dense)]
        if self.uses_texts_:
            if texts is None:
                raise ValueError("this router was fitted with texts; pass texts to predict as well")
            if self.title_tfidf_ is not None:
                parts.append(self.title_tfidf_.transform(self._title_tokens(texts)) * self.config.title_weight)
            parts.extend(sparse.csr_matrix(p.transform(texts)) for p in self.priors_)
        return sparse.hstack(parts).tocsr()

    def proba(
        self, tokens: Sequence[Sequence[str]], dense: np.ndarray, texts: Sequence[str] | None = None
    ) -> np.ndarray:
        """Rows over ``classes_``: softmax of the SVM margins, comparable across rows and mixable with kNN votes."""
        if self.model_ is None:
            return np.full((len(tokens), len(self.classes_)), 1.0 / max(len(self.classes_), 1))
        margins = np.asarray(self.model_.decision_function(self.features(tokens, dense, texts))) * 3.0
        if margins.ndim == 1:  # two classes: one margin for the second class
            margins = np.column_stack([-margins, margins])
        margins = np.exp(margins - margins.max(axis=1, keepdims=True))
        return margins / margins.sum(axis=1, keepdims=True)
