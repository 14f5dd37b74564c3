"""FAISS vs Milvus Lite through Leian's own index contract, on the same ``bench.corpus`` vectors.

    python -m bench.milvus_vs_faiss --n 50000 --queries 200

Reports insert throughput, single-query p50/p99 (unfiltered and with a 1,000-id allow-list) and
recall@10 against exact search (FAISS ``Flat``) measured in the same run. Milvus Lite is the
embedded single-file engine used in tests; a Milvus cluster has different (network) costs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.corpus import query_vectors, vectors, write_fragment
from bench.search import percentiles, recall_at
from indexing.vectors import VectorIndex
from indexing.vectors.faiss_index import FaissIndex


def timed(index: VectorIndex, queries: np.ndarray, allowed: np.ndarray | None) -> tuple[np.ndarray, list[float]]:
    import faiss

    faiss.omp_set_num_threads(1)
    out, times = [], []
    for q in queries:
        t = time.perf_counter()
        out.append(index.search(q[None, :], 10, allowed)[1][0])
        times.append(time.perf_counter() - t)
    return np.vstack(out), times


def run(n: int, n_queries: int) -> str:
    from indexing.vectors.milvus_index import MilvusIndex

    base = np.ascontiguousarray(vectors(n))
    queries = np.ascontiguousarray(query_vectors(500)[:n_queries])
    ids = np.arange(n, dtype=np.int64)
    allowed = np.sort(np.random.default_rng(2).choice(ids, 1000, replace=False))
    rows, truth = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        backends: list[tuple[str, object]] = [
            ("FAISS Flat (exact, reference)", lambda: FaissIndex(base.shape[1], "Flat")),
            ("FAISS auto", lambda: FaissIndex(base.shape[1], "auto")),
            ("Milvus Lite FLAT", lambda: MilvusIndex(base.shape[1], str(Path(tmp) / "bench.db"), "bench")),
        ]
        ref_p50 = ref_f50 = 1.0
        for name, make in backends:
            index = make()  # type: ignore[operator]
            t = time.perf_counter()
            index.add(ids, base)
            insert = n / (time.perf_counter() - t)
            got, times = timed(index, queries, None)
            fgot, ftimes = timed(index, queries, allowed)
            if not truth:
                truth = {"all": got, "filtered": fgot}
            p50, p99 = percentiles(times)
            f50, f99 = percentiles(ftimes)
            if not rows:
                ref_p50, ref_f50 = p50, f50
            complete = bool(((fgot >= 0).sum(axis=1) == 10).all() and np.isin(fgot, allowed).all())
            rows.append(
                f"| {name} | {insert:,.0f} | {p50:.2f} | {p99:.2f} | {p50 / ref_p50:.1f} "
                f"| {recall_at(got, truth['all']):.3f} "
                f"| {f50:.2f} | {f99:.2f} | {f50 / ref_f50:.1f} | {recall_at(fgot, truth['filtered']):.3f} "
                f"| {'yes' if complete else 'NO'} |"
            )
            print(rows[-1], flush=True)
            del index
    lines = [
        f"{n:,} vectors (bench.corpus), {n_queries} queries one at a time, k=10; filtered = 1,000-id allow-list.",
        "",
        "| backend | inserts/s | p50 ms | p99 ms | p50 vs FAISS Flat | recall@10 | filtered p50 ms | filtered p99 ms "
        "| filtered p50 vs FAISS | filtered recall@10 | filtered complete |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    text = "\n".join(lines)
    print(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.milvus_vs_faiss")
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    write_fragment("milvus_vs_faiss", run(args.n, args.queries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
