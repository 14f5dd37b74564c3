"""Triplets (issue 19, item 5): does a character-bigram TF-IDF channel fused with the product's
hybrid ranking hold on held-out folds?

    python -m bench.triplets_fusion            # ../shared/eval/legal_triplets.jsonl.gz (LEIAN_EVAL_DIR)

For every distinct text A the product's hybrid ranking (``Engine.rank`` -> ``kb.search.rank``, the
configured fusion, every text scored) and the cosine of character-bigram TF-IDF (the CAIL2019-SCM
reference, ``kb.evaluation.triplets.char_bigram_scores``' vectoriser) are min-max normalised over
the candidates and blended ``(1 - lam) * hybrid + lam * bigram``. ``lam`` is chosen on four folds of
the triplets (5-fold, seed 0, grid 0..1 by 0.1) and scored on the fifth; the report gives the
held-out accuracy per fold, mean and standard deviation, beside hybrid alone and bigram alone on the
same folds. Vectors are cached under --cache (never in the repository).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bench.groups import cached
from kb.evaluation import datasets
from kb.evaluation.engine import Engine
from kb.evaluation.triplets import _unique_texts
from kb.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
EVAL = Path(os.environ.get("LEIAN_EVAL_DIR") or ROOT.parent / "shared" / "eval")
GRID = tuple(round(x, 1) for x in np.linspace(0, 1, 11))


def _minmax(v: np.ndarray) -> np.ndarray:
    lo, hi = float(v.min()), float(v.max())
    return (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)


def run(cache: Path, folds: int = 5) -> dict[str, Any]:
    rows = datasets.load("triplets", EVAL / "legal_triplets.jsonl.gz")
    texts, triples = _unique_texts(rows)
    engine = Engine(load_settings())
    vectors = cached(cache / "triplets.npy", lambda: engine.encode(texts))
    (cache / "triplets.texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    index = engine.index(vectors, engine.segment(texts))
    n = len(texts)
    bigram = TfidfVectorizer(analyzer="char", ngram_range=(2, 2)).fit_transform(texts)
    sims = (bigram @ bigram.T).toarray()
    anchors = sorted({a for a, _, _, _ in triples})
    hyb: dict[int, np.ndarray] = {}
    big: dict[int, np.ndarray] = {}
    for a in anchors:
        scores = np.full(n, 0.0)
        for doc, s in engine.rank(index, vectors[a], index.tokens[a], "hybrid", n):
            scores[doc] = s
        others = np.arange(n) != a
        hyb[a] = np.zeros(n)
        big[a] = np.zeros(n)
        hyb[a][others] = _minmax(scores[others])
        big[a][others] = _minmax(sims[a][others])

    def right(lam: float, idx: np.ndarray) -> float:
        ok = 0
        for t in idx:
            a, b, c, b_wins = triples[t]
            s = (1 - lam) * hyb[a] + lam * big[a]
            ok += (s[b] > s[c]) if b_wins else (s[c] > s[b])
        return ok / max(len(idx), 1)

    fold = np.random.default_rng(0).permutation(len(triples)) % folds
    per_fold = []
    for k in range(folds):
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        lam = max(GRID, key=lambda g: (right(g, train), -g))
        per_fold.append(
            {
                "fold": k,
                "lam": lam,
                "held_out": right(lam, test),
                "hybrid": right(0.0, test),
                "bigram": right(1.0, test),
                "train_best": right(lam, train),
            }
        )
    everything = np.arange(len(triples))

    def stat(key: str) -> list[float]:
        v = np.array([f[key] for f in per_fold])
        return [round(float(v.mean()), 3), round(float(v.std(ddof=1)), 3)]

    return {
        "triplets": len(triples),
        "texts": n,
        "all_rows": {str(g): round(right(g, everything), 3) for g in GRID},
        "folds": per_fold,
        "held_out_mean_sd": {k: stat(k) for k in ("held_out", "hybrid", "bigram")},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/leian-grain"))
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(args.cache), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
