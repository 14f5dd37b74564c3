"""Reference ("textbook") BM25: plain jieba tokens, Okapi BM25, nothing from the product.

The yardstick the product's lexical channel is compared with (docs/quality.md, "Retrieval"): jieba's
default dictionary and HMM, no user dictionary, no stopwords, tokens that are only digits or
punctuation dropped, k1 1.2, b 0.75, Lucene's idf ``log(1 + (N - df + 0.5) / (df + 0.5))`` with N
and df over every candidate, and the query's tokens summed with repetition. About thirty lines on
purpose: ``bench/heldout_retrieval.py`` swaps one of these choices at a time into the product.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import jieba

# Only digits and (ASCII or CJK/full-width) punctuation or spaces: dropped.
_NOISE = re.compile(r"^[\d\s\W_]+$")


def textbook_tokens(text: str) -> list[str]:
    """``jieba.lcut`` without digit-only or punctuation-only tokens."""
    return [w for w in jieba.lcut(text) if w.strip() and not _NOISE.match(w)]


class TextbookBM25:
    """Okapi BM25 over a fixed list of token lists; rows are the positions 0..n-1."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.avgdl = sum(self.len) / max(len(docs), 1)
        df: Counter[str] = Counter()
        for counts in self.tf:
            df.update(counts.keys())
        n = len(docs)
        self.idf = {t: math.log(1.0 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def score(self, query: Sequence[str], row: int) -> float:
        counts, length = self.tf[row], self.len[row]
        norm = self.k1 * (1.0 - self.b + self.b * length / self.avgdl)
        total = 0.0
        for term in query:
            tf = counts.get(term, 0)
            if tf:
                total += self.idf[term] * tf * (self.k1 + 1.0) / (tf + norm)
        return total

    def rank(self, query: Sequence[str], rows: Sequence[int]) -> list[tuple[int, float]]:
        """``rows`` by descending score (ties by row); rows sharing no term are left out."""
        scored = [(r, self.score(query, r)) for r in rows]
        return sorted(((r, s) for r, s in scored if s > 0), key=lambda x: (-x[1], x[0]))
