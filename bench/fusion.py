"""Fusion sweep (docs/quality.md, "Fusion (issue 2)"): which way of fusing dense and BM25 ranks best.

Encodes each dataset once with the configured encoder (cached under bench/cache/fusion/), then ranks
with the product's ranking path (``Engine.rank`` -> ``kb.search.rank``) for every setting in the same run:

    python -m bench.fusion samples      # P@10 of same topic / issue type, 300 sample cases as queries
    python -m bench.fusion unlabeled    # duplicates recall@10 on gov_messages_unlabeled
    python -m bench.fusion routing      # kNN routing macro-F1, 5-fold, on gov_messages_labeled
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from indexing.encoders.hashing import HashingEncoder
from kb.evaluation import datasets
from kb.evaluation.engine import Engine
from kb.evaluation.metrics import classification_metrics, pair_metrics
from kb.evaluation.routing import Router
from kb.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
# ../shared/eval beside the checkout; LEIAN_EVAL_DIR names another place (e.g. from a git worktree).
EVAL = Path(os.environ.get("LEIAN_EVAL_DIR") or ROOT.parent / "shared" / "eval")
CACHE = ROOT / "bench" / "cache" / "fusion"
CONFIGS = [("bm25", None, None), ("dense", None, None)] + [
    (f"{f} {w}", f, w) for f in ("rrf", "linear") for w in (0.3, 0.5, 0.7)
]


def texts_of(name: str) -> list[str]:
    if name == "samples":
        rows = [json.loads(line) for line in (ROOT / "data" / "samples" / "cases.jsonl").open(encoding="utf-8")]
        return [f"{r['title']}。{r['content']}" if r.get("title") else r["content"] for r in rows]
    if name == "labeled":
        return [r["text"] for r in datasets.load("labelled", EVAL / "gov_messages_labeled.jsonl.gz")]
    return [r["text"] for r in datasets.load("grouped", EVAL / "gov_messages_unlabeled.jsonl.gz")]


def cached(name: str) -> tuple[list[list[str]], np.ndarray]:
    """Tokens and vectors of a dataset, encoded once with the configured encoder."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tok_file, vec_file = CACHE / f"{name}.tok.pkl", CACHE / f"{name}.npy"
    if not vec_file.exists():
        engine, texts = Engine(load_settings()), texts_of(name)
        tok_file.write_bytes(pickle.dumps(engine.segment(texts)))
        np.save(vec_file, engine.encode(texts))
    return pickle.loads(tok_file.read_bytes()), np.load(vec_file)


def ranker(fusion: str | None, weight: float | None) -> Engine:
    """An engine ranking with ``fusion``/``weight``; ``None`` keeps the configured ones (pure modes).

    The product fuses a pure mode's one list with the configured method too, so its scores (the
    kNN votes' weights) are the configured method's. Vectors come from the cache, so the engine's
    own encoder is never called.
    """
    settings = load_settings()
    if fusion is not None and weight is not None:
        settings = settings.with_(fusion=fusion, dense_weight=weight)
    return Engine(settings, encoder=HashingEncoder())


def system(label: str) -> str:
    return label if label in ("bm25", "dense") else "hybrid"


def sweep_samples() -> None:
    toks, vec = cached("samples")
    truth = [json.loads(line) for line in (ROOT / "data" / "samples" / "truth.jsonl").open(encoding="utf-8")]
    queries = np.random.default_rng(0).choice(len(truth), 300, replace=False)
    index = ranker("rrf", 0.5).index(vec, toks)
    for label, fusion, weight in CONFIGS:
        engine, topic, issue = ranker(fusion, weight), 0.0, 0.0
        for q in queries:
            ranked = [d for d, _ in engine.rank(index, vec[q], toks[q], system(label), 10, exclude=q)]
            topic += sum(truth[d]["topic"] == truth[q]["topic"] for d in ranked) / 10
            issue += sum(truth[d]["issue_type"] == truth[q]["issue_type"] for d in ranked) / 10
        print(f"{label}: topic_P@10 {topic / len(queries):.3f}  issue_type_P@10 {issue / len(queries):.3f}", flush=True)


def sweep_duplicates() -> None:
    toks, vec = cached("unlabeled")
    rows = datasets.load("grouped", EVAL / "gov_messages_unlabeled.jsonl.gz")
    groups = {r["id"]: (str(r["group"]) if r.get("group") not in (None, "") else None) for r in rows}
    index = ranker("rrf", 0.5).index(vec, toks)
    queries = [i for i, r in enumerate(rows) if groups[r["id"]] is not None]
    for label, fusion, weight in CONFIGS:
        engine, neighbours = ranker(fusion, weight), {}
        for i in queries:
            ranked = engine.rank(index, vec[i], toks[i], system(label), 10, exclude=i)
            neighbours[rows[i]["id"]] = [rows[d]["id"] for d, _ in ranked]
        m = pair_metrics(neighbours, groups)
        print(f"{label}: recall@10 {m['recall']:.4f}  precision {m['precision']:.4f}", flush=True)


def sweep_routing() -> None:
    toks, vec = cached("labeled")
    labels = [r["label"] for r in datasets.load("labelled", EVAL / "gov_messages_labeled.jsonl.gz")]
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(toks, labels))
    for label, fusion, weight in CONFIGS:
        engine, pred = ranker(fusion, weight), [""] * len(labels)
        mode = "knn-bm25" if label == "bm25" else "knn-" + system(label)
        for train, test in splits:
            router = Router(engine, method="knn-hybrid").fit(
                vec[train], [toks[i] for i in train], [labels[i] for i in train]
            )
            for i, p in zip(test, router.predict_encoded(vec[test], [toks[i] for i in test], mode), strict=True):
                pred[i] = p
        m = classification_metrics(labels, pred)
        print(f"{label}: macro_f1 {m['macro_f1']:.4f}  accuracy {m['accuracy']:.4f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=["samples", "unlabeled", "routing"])
    task = parser.parse_args().task
    {"samples": sweep_samples, "unlabeled": sweep_duplicates, "routing": sweep_routing}[task]()


if __name__ == "__main__":
    main()
