"""Lexical peer benchmark: ``indexing.lexical.BM25Index`` against ``bm25s`` on the same jieba tokens.

    python -m bench.bm25_peer --n 50000 --queries 200

Both use Lucene idf with k1=1.2, b=0.75, so their top-10 should agree; the table reports indexing
time, single-query latency (p50/p99), top-10 overlap, and the load of each one's saved index
(memory-mapped). ``--db leian.db`` takes the tokens stored by ``bench.startup build`` instead of
segmenting ``--n`` fresh petitions (jieba is most of the run's time on a busy machine).
Leian's index is incremental (add/remove without a rebuild); ``bm25s`` is rebuilt from scratch on
any change, so one incremental add of 1 % more documents is timed too.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.corpus import QUERY_SEED, case_text, cases, segmenter, write_fragment
from indexing.lexical import BM25Index


def pct(samples: list[float]) -> tuple[float, float]:
    arr = np.asarray(samples) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def db_tokens(path: Path, n: int) -> list[list[str]]:
    """The stored tokens of the first ``n`` cases of a Leian database (e.g. ``bench.startup build``)."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT tokens FROM cases ORDER BY id LIMIT ?", (n,)).fetchall()
    return [str(r[0]).split() for r in rows]


def run(n: int, n_queries: int, db: Path | None = None) -> str:
    import bm25s

    seg = segmenter()
    t = time.perf_counter()
    docs = db_tokens(db, n) if db else [seg.tokens(case_text(c)) for c in cases(n)]
    n = len(docs)
    t_seg = time.perf_counter() - t
    queries = [seg.tokens(c["content"][:80]) for c in cases(n_queries, QUERY_SEED)]
    extra = [seg.tokens(case_text(c)) for c in cases(max(1, n // 100), QUERY_SEED + 1)]

    t = time.perf_counter()
    ours = BM25Index()
    ours.add_many(enumerate(docs))
    ours.compact()
    t_ours = time.perf_counter() - t

    t = time.perf_counter()
    peer = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    peer.index(docs, show_progress=False)
    t_peer = time.perf_counter() - t

    lat_ours, lat_peer, agree = [], [], []
    for q in queries:
        t = time.perf_counter()
        ids, _ = ours.top_k(q, 10)
        lat_ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        res, scores = peer.retrieve([q], k=10, show_progress=False, n_threads=1)
        lat_peer.append(time.perf_counter() - t)
        theirs = {int(d) for d, s in zip(res[0], scores[0], strict=True) if s > 0}
        if theirs:
            agree.append(len(set(ids.tolist()) & theirs) / len(theirs))

    # One incremental batch of 1 % more documents: ours adds in place, bm25s re-indexes everything.
    t = time.perf_counter()
    ours.add_many((n + i, toks) for i, toks in enumerate(extra))
    ours.top_k(queries[0], 10)
    t_ours_inc = time.perf_counter() - t
    t = time.perf_counter()
    bm25s.BM25(k1=1.2, b=0.75, method="lucene").index(docs + extra, show_progress=False)
    t_peer_inc = time.perf_counter() - t

    # Persisted: save both, then time a load (memory-mapped) and the first query after it.
    with tempfile.TemporaryDirectory() as tmp:
        ours.save(Path(tmp) / "ours.bm25")
        peer.save(str(Path(tmp) / "peer"))
        t = time.perf_counter()
        mapped, _ = BM25Index.load(Path(tmp) / "ours.bm25")
        mapped.top_k(queries[0], 10)
        t_ours_load = time.perf_counter() - t
        t = time.perf_counter()
        peer_mapped = bm25s.BM25.load(str(Path(tmp) / "peer"), mmap=True)
        peer_mapped.retrieve([queries[0]], k=10, show_progress=False, n_threads=1)
        t_peer_load = time.perf_counter() - t
        lat_mapped = []
        for q in queries:
            t = time.perf_counter()
            mapped.top_k(q, 10)
            lat_mapped.append(time.perf_counter() - t)

    o50, o99 = pct(lat_ours)
    p50, p99 = pct(lat_peer)
    m50, m99 = pct(lat_mapped)
    source = f"tokens stored in {db}" if db else f"jieba tokens (segmentation {t_seg:.1f} s, not counted)"
    lines = [
        f"{n:,} petitions, {source}, {len(queries)} queries, k=10, one query at a time; "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
        "| | Leian `BM25Index` | `bm25s` | Leian / bm25s |",
        "|---|---|---|---|",
        f"| index build (s) | {t_ours:.2f} | {t_peer:.2f} | {t_ours / t_peer:.2f} |",
        f"| query p50 (ms) | {o50:.2f} | {p50:.2f} | {o50 / p50:.2f} |",
        f"| query p99 (ms) | {o99:.2f} | {p99:.2f} | {o99 / p99:.2f} |",
        f"| add 1 % more docs (s) | {t_ours_inc:.3f} (in place) | {t_peer_inc:.2f} (full re-index) "
        f"| {t_ours_inc / t_peer_inc:.3f} |",
        f"| top-10 agreement | {np.mean(agree):.3f} | — | — |",
        f"| load the saved index (memory-mapped) + first query (s) | {t_ours_load:.3f} | {t_peer_load:.3f} "
        f"| {t_ours_load / t_peer_load:.2f} |",
        f"| query p50 / p99 after the load (ms) | {m50:.2f} / {m99:.2f} | — | — |",
    ]
    text = "\n".join(lines)
    print(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bm25_peer")
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--db", type=Path, default=None, help="take the tokens stored in this leian.db")
    args = parser.parse_args(argv)
    write_fragment("bm25_peer", run(args.n, args.queries, args.db))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
