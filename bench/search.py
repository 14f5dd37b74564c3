"""Search benchmark: ANN recall@10 / latency / memory per case at 100k and 1M, and service queries.

    python -m bench.search ann --sizes 100000 1000000          # FAISS index choice (issue 9)
    python -m bench.search service                               # text / case-id queries (issue 2)

ANN part: every index is built through ``indexing.vectors.faiss_index.FaissIndex`` (what Leian
runs) on ``bench.corpus`` vectors; the reference is exact search (``Flat``) in the same run.
Latency is one query at a time on one FAISS thread (as the service issues them), excluding query
encoding; builds use both cores. Wall-clock and per-thread CPU time are both reported: on a shared,
overloaded machine the wall-clock figures mostly measure waiting for a core.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from typing import Any

import faiss
import numpy as np

from bench.corpus import query_vectors, segmenter, vectors, write_fragment
from indexing.vectors.choose import nlist_for
from indexing.vectors.faiss_index import FaissIndex


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentiles(samples: list[float]) -> tuple[float, float]:
    arr = np.asarray(samples) * 1000.0
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def timed_queries(index: FaissIndex, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Any:
    # One thread per query: OpenMP over a single query spins badly on a busy 2-core machine, and a
    # server answers concurrent requests on separate threads anyway.
    faiss.omp_set_num_threads(1)
    out, times, cpu = [], [], []
    for q in queries:
        t, c = time.perf_counter(), time.thread_time()
        out.append(index.search(q[None, :], k, allowed)[1][0])
        times.append(time.perf_counter() - t)
        cpu.append(time.thread_time() - c)
    return np.vstack(out), times, cpu


def recall_at(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.mean([len(set(g[g >= 0]) & set(w)) / len(w) for g, w in zip(got, want, strict=True)]))


def configure(index: FaissIndex, knob: int) -> None:
    if index.kind == "ivf":
        index.nprobe = knob
    elif index.kind == "graph":
        faiss.downcast_index(index._index.index).hnsw.efSearch = knob


def ann(sizes: list[int], n_queries: int, k: int, hnsw_max: int, pq: int, pq_max: int) -> str:
    queries = np.ascontiguousarray(query_vectors(500)[:n_queries])
    lines = [
        "| cases | index | knob | build s | bytes/case (file) | RSS bytes/case | recall@10 | p50 ms | p99 ms "
        "| CPU p50 ms | CPU p99 ms | CPU p99 vs exact | filtered 5 % recall | filtered complete |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in sizes:
        base = vectors(n)
        ids = np.arange(n, dtype=np.int64)
        nl = nlist_for(n)
        rng = np.random.default_rng(1)
        allowed = np.sort(rng.choice(ids, n // 20, replace=False))
        configs: list[tuple[str, list[int]]] = [("Flat", [0]), (f"IVF{nl},SQ8", [16, 32, 64, 128])]
        if n <= pq_max:
            configs.append((f"IVF{nl},PQ{pq}", [32, 64]))
        if n <= hnsw_max:
            configs.append(("HNSW32,SQ8", [64, 128]))
        truth = filt_truth = None
        exact_p99 = 1.0
        for factory, knobs in configs:
            gc.collect()
            faiss.omp_set_num_threads(2)
            before = rss()
            t = time.perf_counter()
            index = FaissIndex(base.shape[1], factory)
            index.add(ids, np.asarray(base))
            build = time.perf_counter() - t
            mem = (rss() - before) / n
            file_bytes = len(index.to_bytes()) / n
            for knob in knobs:
                configure(index, knob)
                got, times, cpu = timed_queries(index, queries, k)
                fgot, _, _ = timed_queries(index, queries[:50], k, allowed)
                if truth is None:
                    truth, filt_truth = got, fgot
                p50, p99 = percentiles(times)
                c50, c99 = percentiles(cpu)
                if factory == "Flat":
                    exact_p99 = c99
                complete = bool(((fgot >= 0).sum(axis=1) == k).all() and np.isin(fgot, allowed).all())
                lines.append(
                    f"| {n:,} | {factory} | {knob or '-'} | {build:.1f} | {file_bytes:.0f} | {mem:.0f} "
                    f"| {recall_at(got, truth):.3f} | {p50:.2f} | {p99:.2f} | {c50:.2f} | {c99:.2f} "
                    f"| {c99 / exact_p99:.3f} "
                    f"| {recall_at(fgot, filt_truth):.3f} | {'yes' if complete else 'NO'} |"
                )
                print(lines[-1], flush=True)
            del index
        del base
    return "\n".join(lines)


def service(n_queries: int, n_rows: int | None, threads: int) -> str:
    """Text and case-id queries through ``LeianService.search`` on the bundled samples."""
    import tempfile
    from pathlib import Path

    from bench.ingest import sample_rows
    from kb.service import LeianService
    from kb.settings import Settings

    rows = sample_rows(n_rows)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), petitioner_key="bench", threads=threads)
        svc = LeianService(settings, segmenter=segmenter())
        svc.ingest(rows)
        texts = [r["content"][:120] for _, r in rows[:: max(1, len(rows) // n_queries)]][:n_queries]
        ids = list(svc.case_ids_by_external([r["external_no"] for _, r in rows]).values())[:n_queries]
        enc = []
        for text in texts:
            t = time.perf_counter()
            svc.encoder.encode([text])
            enc.append(time.perf_counter() - t)
        out: dict[str, list[float]] = {"text": [], "case": [], "text+city": []}
        for text, case_id in zip(texts, ids, strict=False):
            for key, kwargs in (("text", {"text": text}), ("case", {"case_id": case_id})):
                t = time.perf_counter()
                svc.search(k=10, **kwargs)  # type: ignore[arg-type]
                out[key].append(time.perf_counter() - t)
        svc.close()
    e50, e99 = percentiles(enc)
    lines = [
        f"Corpus: {len(rows)} bundled samples, USE-m3 (threads={threads}), hybrid search, k=10, "
        f"{len(texts)} queries (first 120 characters of a sample petition / a stored case id).",
        "",
        "| query | p50 ms | p99 ms | p50 / raw query encoding p50 |",
        "|---|---|---|---|",
        f"| raw `encoder.encode` of the query text (reference) | {e50:.1f} | {e99:.1f} | 1.00 |",
    ]
    for key, label in (("text", "text query (encode + dense + BM25 + fusion)"), ("case", "case-id query")):
        p50, p99 = percentiles(out[key])
        lines.append(f"| {label} | {p50:.1f} | {p99:.1f} | {p50 / e50:.2f} |")
    text = "\n".join(lines)
    print(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search")
    sub = parser.add_subparsers(dest="part", required=True)
    a = sub.add_parser("ann", help="FAISS index choice at scale")
    a.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    a.add_argument("--queries", type=int, default=200)
    a.add_argument("--k", type=int, default=10)
    a.add_argument("--hnsw-max", type=int, default=100_000, help="skip HNSW above this size (slow build)")
    a.add_argument("--pq", type=int, default=64, help="PQ sub-quantisers (bytes per case)")
    a.add_argument("--pq-max", type=int, default=100_000, help="skip IVF-PQ above this size")
    s = sub.add_parser("service", help="service text / case-id query latency")
    s.add_argument("--queries", type=int, default=200)
    s.add_argument("--n", type=int, default=None, help="samples to ingest (default: all)")
    s.add_argument("--threads", type=int, default=2, help="encoder threads")
    args = parser.parse_args(argv)
    faiss.omp_set_num_threads(2)
    if args.part == "ann":
        text = ann(args.sizes, args.queries, args.k, args.hnsw_max, args.pq, args.pq_max)
        write_fragment("search_ann", text)
    else:
        write_fragment("search_service", service(args.queries, args.n, args.threads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
