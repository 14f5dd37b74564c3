"""BM25 ablation (docs/quality.md, "Retrieval"): what separates the product's BM25 from the textbook one.

The reference is ``kb.evaluation.textbook_bm25`` (plain jieba, no user dictionary, no stopwords,
digit/punctuation-only tokens dropped, k1 1.2, b 0.75, idf over all candidates). Each row below
changes ONE choice of the product's lexical channel (``indexing.segment.Segmenter`` ->
``indexing.lexical.BM25Index``) and scores it on the same data in the same run, lexical only
(no encoder, so the whole table costs seconds to minutes):

    python -m bench.heldout_retrieval                       # shared data: legal triplets, replies, duplicates
    python -m bench.heldout_retrieval --corpus C --queries Q --pool-field group   # e.g. LeCaRD files
    python -m bench.heldout_retrieval --params              # also the k1/b grid on the product tokens

Tasks on ``../shared/eval`` (``LEIAN_EVAL_DIR`` elsewhere): ``triplets`` (CAIL2019-SCM legal facts,
accuracy of score(A,B) > score(A,C), idf over the 227 texts), ``replies`` (each message of
gov_messages_with_replies ranks all 2,816 official replies; MAP of its own reply = MRR) and
``duplicates`` (recall@10 of same-group rows of gov_messages_unlabeled over all 4,326).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from indexing.lexical import BM25Index
from indexing.segment import Segmenter, default_stopwords, default_userdict
from indexing.text import normalize
from kb.evaluation import datasets
from kb.evaluation.metrics import average_precision, ranking_metrics
from kb.evaluation.textbook_bm25 import TextbookBM25, textbook_tokens

ROOT = Path(__file__).resolve().parents[1]
EVAL = Path(os.environ.get("LEIAN_EVAL_DIR") or ROOT.parent / "shared" / "eval")
Tokenize = Callable[[str], list[str]]


def _segmenter(userdict: bool, stopwords: str) -> Segmenter:
    """The product's segmenter with the bundled user dictionary and/or a stopword list switched."""
    stops = [] if stopwords == "none" else [default_stopwords(stopwords)]
    return Segmenter([default_userdict()] if userdict else [], stops, include_defaults=False)


def tokenizers() -> dict[str, Tokenize]:
    """One product choice switched per row; ``textbook`` is the reference's tokens."""
    petition_stops = Segmenter().stopwords
    product = Segmenter()
    return {
        "product (userdict + petition stopwords)": Segmenter().tokens,
        "product, stopwords=function": _segmenter(True, "function").tokens,
        "product, no stopwords": _segmenter(True, "none").tokens,
        "product, no userdict": _segmenter(False, "petition").tokens,
        "product, neither": _segmenter(False, "none").tokens,
        "textbook tokens": textbook_tokens,
        "textbook tokens + petition stopwords": lambda t: [w for w in textbook_tokens(t) if w not in petition_stops],
        "character bigrams (normalised text)": char_bigrams,
        "product tokens + character bigrams": lambda t: product.tokens(t) + char_bigrams(t),
    }


def char_bigrams(text: str) -> list[str]:
    """Overlapping character pairs of the normalised text, pairs with punctuation or spaces dropped."""
    chars = normalize(text).lower()
    return [a + b for a, b in itertools.pairwise(chars) if (a + b).isalnum()]


def _bm25(docs: Sequence[Sequence[str]], k1: float, b: float) -> BM25Index:
    index = BM25Index(k1=k1, b=b)
    index.add_many(enumerate(docs))
    index.compact()
    return index


def _ranked(index: BM25Index, query: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[int]:
    ids, _ = index.top_k(query, k, allowed)
    return ids.tolist()


def triplets_task() -> Callable[[Tokenize, float, float], float]:
    rows = datasets.load("triplets", EVAL / "legal_triplets.jsonl.gz")
    pos: dict[str, int] = {}
    for r in rows:
        for key in ("text_a", "text_b", "text_c"):
            pos.setdefault(r[key], len(pos))
    texts = list(pos)
    triples = [(pos[r["text_a"]], pos[r["text_b"]], pos[r["text_c"]], r["label"] == "B") for r in rows]

    def run(tok: Tokenize, k1: float, b: float) -> float:
        docs = [tok(t) for t in texts]
        index = _bm25(docs, k1, b)
        right = 0
        for a, bb, c, b_wins in triples:
            ids, scores = index.scores(docs[a])
            got = dict(zip(ids.tolist(), scores.tolist(), strict=True))
            sb, sc = got.get(bb, float("-inf")), got.get(c, float("-inf"))
            right += (sb > sc) if b_wins else (sc > sb)
        return right / len(triples)

    return run


def replies_task() -> Callable[[Tokenize, float, float], float]:
    rows = datasets.load("corpus", EVAL / "gov_messages_with_replies.jsonl.gz")
    rows = [r for r in rows if r.get("reply")]

    def run(tok: Tokenize, k1: float, b: float) -> float:
        index = _bm25([tok(r["reply"]) for r in rows], k1, b)
        return float(np.mean([average_precision(_ranked(index, tok(r["text"]), 100), {i}) for i, r in enumerate(rows)]))

    return run


def duplicates_task() -> Callable[[Tokenize, float, float], float]:
    rows = datasets.load("grouped", EVAL / "gov_messages_unlabeled.jsonl.gz")
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r.get("group") not in (None, ""):
            groups.setdefault(str(r["group"]), []).append(i)

    def run(tok: Tokenize, k1: float, b: float) -> float:
        docs = [tok(r["text"]) for r in rows]
        index = _bm25(docs, k1, b)
        found = total = 0
        for members in groups.values():
            for i in members:
                hits = set(_ranked(index, docs[i], 11)) - {i}
                found += len(hits & set(members))
                total += len(members) - 1
        return found / max(total, 1)

    return run


def pooled_task(corpus: Path, queries: Path, pool_field: str | None, idf_scope: str = "all") -> Callable[..., float]:
    """Graded retrieval files (the LeCaRD layout), MAP with grade 3 relevant, as ``leian eval retrieval``."""
    rows, qrows = datasets.load("corpus", corpus), datasets.load("queries", queries)
    row_of = {r["id"]: i for i, r in enumerate(rows)}
    pools = []
    for q in qrows:
        want = q.get(pool_field) if pool_field else None
        members = [
            i for d, i in row_of.items() if d in q["relevance"] and (not pool_field or rows[i].get(pool_field) == want)
        ]
        pools.append(np.asarray(sorted(members), dtype=np.int64))

    def run(tok: Tokenize, k1: float, b: float) -> float:
        docs = [tok(r["text"]) for r in rows]
        index = _bm25(docs, k1, b) if idf_scope == "all" else None
        runs = []
        for q, pool in zip(qrows, pools, strict=True):
            if index is None:  # idf and avgdl over the query's own pool only
                local = _bm25([docs[i] for i in pool.tolist()], k1, b)
                ranked = [int(pool[j]) for j in _ranked(local, tok(q["text"]), 100)]
            else:
                ranked = _ranked(index, tok(q["text"]), 100, pool if pool_field else None)
            members = {rows[i]["id"] for i in pool.tolist()}
            runs.append(([rows[i]["id"] for i in ranked], {d: g for d, g in q["relevance"].items() if d in members}))
        return ranking_metrics(runs)["MAP"]

    return run


def scoring_check(texts: Sequence[str]) -> float:
    """Largest |product - textbook| score over every (query, doc) pair of ``texts`` (same tokens)."""
    docs = [textbook_tokens(t) for t in texts]
    index, ref = _bm25(docs, 1.2, 0.75), TextbookBM25(docs)
    worst = 0.0
    for q in docs:
        ids, scores = index.scores(q)
        got = dict(zip(ids.tolist(), scores.tolist(), strict=True))
        for r in range(len(docs)):
            worst = max(worst, abs(got.get(r, 0.0) - ref.score(q, r)))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="triplets,replies,duplicates")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--queries", type=Path)
    parser.add_argument("--pool-field")
    parser.add_argument("--params", action="store_true", help="k1/b grid on the product tokens")
    args = parser.parse_args()
    tasks: dict[str, Callable[..., float]] = {}
    makers = {"triplets": triplets_task, "replies": replies_task, "duplicates": duplicates_task}
    for name in args.tasks.split(","):
        if name:
            tasks[name] = makers[name]()
    if args.corpus and args.queries:
        tasks["pooled MAP"] = pooled_task(args.corpus, args.queries, args.pool_field)
        if args.pool_field:
            tasks["pooled MAP, idf per pool"] = pooled_task(args.corpus, args.queries, args.pool_field, "pool")
    if "triplets" in tasks:
        texts = list({r["text_a"]: 1 for r in datasets.load("triplets", EVAL / "legal_triplets.jsonl.gz")})[:60]
        gap = scoring_check(texts)
        print(f"scoring check (BM25Index vs TextbookBM25, same tokens, 60 texts): max |diff| {gap:.2e}")
    print("| tokens (k1 1.2, b 0.75) | " + " | ".join(tasks) + " |")
    print("|---|" + "---|" * len(tasks))
    for label, tok in tokenizers().items():
        start = time.perf_counter()
        cells = [f"{run(tok, 1.2, 0.75):.3f}" for run in tasks.values()]
        print(f"| {label} | " + " | ".join(cells) + f" |  <!-- {time.perf_counter() - start:.0f} s -->", flush=True)
    if args.params:
        tok = Segmenter().tokens
        for k1, b in ((0.9, 0.4), (1.2, 0.5), (1.2, 0.9), (1.5, 0.75), (2.0, 0.75)):
            cells = [f"{run(tok, k1, b):.3f}" for run in tasks.values()]
            print(f"| product tokens, k1 {k1} b {b} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
