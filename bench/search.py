"""Search benchmark: ANN recall@10 / latency / memory per case at 100k and 1M, and service queries.

    python -m bench.search ann --sizes 100000 1000000          # FAISS index choice (issue 9)
    python -m bench.search service                               # text / case-id queries (issue 2)
    python -m bench.search service --dir /tmp/leian-100k         # the same on a bench.startup build

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


def service(n_queries: int, n_rows: int | None, threads: int, data_dir: str | None = None) -> str:
    """Text and case-id queries through ``LeianService.search_with_flags`` (what both doors serve):
    on the bundled samples, or with ``data_dir`` on an existing data directory (``bench.startup
    build``). Each text query's encoding is timed inside the encoder, so the rest of the query
    (segmentation, both indexes, fusion, reasons, flags, row loads) is reported beside it."""
    import tempfile
    from pathlib import Path

    from bench.corpus import cases
    from bench.ingest import sample_rows
    from kb.service import LeianService
    from kb.settings import Settings, load_settings

    tmp = None
    if data_dir is None:
        rows = sample_rows(n_rows)
        tmp = tempfile.TemporaryDirectory()
        settings = Settings(data_dir=Path(tmp.name), petitioner_key="bench", threads=threads)
        svc = LeianService(settings, segmenter=segmenter())
        svc.ingest(rows)
        texts = [r["content"][:120] for _, r in rows[:: max(1, len(rows) // n_queries)]][:n_queries]
        ids = list(svc.case_ids_by_external([r["external_no"] for _, r in rows]).values())[:n_queries]
        corpus = f"{len(rows)} bundled samples"
    else:
        os.environ.setdefault("LEIAN_PETITIONER_KEY", "bench-startup")
        settings = load_settings().with_(data_dir=Path(data_dir), threads=threads)
        svc = LeianService(settings, segmenter=segmenter())
        texts = [c["content"][:120] for c in cases(n_queries, 977)]
        n = svc.cases.count()
        ids = np.random.default_rng(1).integers(1, n + 1, n_queries).tolist()
        corpus = f"{n:,} cases of {data_dir} (held-out petition openings)"
    enc = []
    for text in texts:
        t = time.perf_counter()
        svc.encoder.encode([text])
        enc.append(time.perf_counter() - t)
    inside: list[float] = []
    inside_cpu: list[float] = []  # CPU seconds of every thread of this process (no waiting for a core)
    inside_own: list[float] = []  # CPU seconds of the calling thread alone
    original = svc.encoder.encode

    def timed_encode(batch: Any) -> Any:
        t, c, o = time.perf_counter(), time.process_time(), time.thread_time()
        try:
            return original(batch)
        finally:
            inside.append(time.perf_counter() - t)
            inside_cpu.append(time.process_time() - c)
            inside_own.append(time.thread_time() - o)

    svc.encoder.encode = timed_encode  # type: ignore[method-assign, assignment]
    for text in texts[:5]:  # warm the mapped pages and caches
        svc.search_with_flags(text=text, k=10)
    inside.clear()
    inside_cpu.clear()
    inside_own.clear()
    own: list[float] = []
    out: dict[str, list[float]] = {"text": [], "case": []}
    cpu: dict[str, list[float]] = {"text": [], "case": []}
    for text, case_id in zip(texts, ids, strict=False):
        for key, kwargs in (("text", {"text": text}), ("case", {"case_id": int(case_id)})):
            t, c, o = time.perf_counter(), time.process_time(), time.thread_time()
            svc.search_with_flags(k=10, **kwargs)
            out[key].append(time.perf_counter() - t)
            cpu[key].append(time.process_time() - c)
            if key == "text":
                own.append(time.thread_time() - o)
    svc.close()
    if tmp is not None:
        tmp.cleanup()
    rest = [t - e for t, e in zip(out["text"], inside, strict=True)]
    rest_cpu = [t - e for t, e in zip(cpu["text"], inside_cpu, strict=True)]
    ic50, ic99 = percentiles(inside_cpu)
    rc50, rc99 = percentiles(rest_cpu)
    cc50, cc99 = percentiles(cpu["case"])
    # The rest of a text query runs on the calling thread: its CPU time there is its wall-clock time
    # on an idle core, whatever the load (the encoder's own threads are not in it).
    o50, o99 = percentiles([t - e for t, e in zip(own, inside_own, strict=True)])
    e50, e99 = percentiles(enc)
    i50, i99 = percentiles(inside)
    r50, r99 = percentiles(rest)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"Corpus: {corpus}, {svc.encoder.name} (threads={threads}), hybrid `search_with_flags`, k=10, "
        f"{len(texts)} queries (first 120 characters of a petition / a stored case id); load {load} at the end.",
        "",
        "| query | p50 ms | p99 ms | p50 / raw query encoding p50 | p99 / its encoding p99 |",
        "|---|---|---|---|---|",
        f"| raw `encoder.encode` of the query text (reference) | {e50:.1f} | {e99:.1f} | 1.00 | — |",
        f"| the text queries' encoding, timed inside the search | {i50:.1f} | {i99:.1f} | {i50 / e50:.2f} | 1.00 |",
        f"| everything but the encoding (target ≤ 0.3 × the encoding) | {r50:.1f} | {r99:.1f} | "
        f"{r50 / e50:.2f} ({r50 / i50:.2f} of its encoding) | {r99 / i99:.2f} |",
    ]
    for key, label in (("text", "text query (encode + dense + BM25 + fusion + flags)"), ("case", "case-id query")):
        p50, p99 = percentiles(out[key])
        lines.append(f"| {label} | {p50:.1f} | {p99:.1f} | {p50 / e50:.2f} | {p99 / i99:.2f} |")
    lines += [
        "",
        "CPU time of the process (every thread; waiting for a core does not count, so these hold on a busy machine):",
        "",
        "| part | CPU p50 ms | CPU p99 ms | p50 / encoding CPU p50 | p99 / encoding CPU p99 |",
        "|---|---|---|---|---|",
        f"| the text queries' encoding | {ic50:.1f} | {ic99:.1f} | 1.00 | 1.00 |",
        f"| everything but the encoding | {rc50:.1f} | {rc99:.1f} | {rc50 / ic50:.2f} | {rc99 / ic99:.2f} |",
        f"| case-id query | {cc50:.1f} | {cc99:.1f} | {cc50 / ic50:.2f} | {cc99 / ic99:.2f} |",
        f"| everything but the encoding, CPU of the calling thread alone | {o50:.1f} | {o99:.1f} | "
        f"{o50 / ic50:.2f} | {o99 / ic99:.2f} |",
    ]
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
    s.add_argument(
        "--dir", default=None, help="an existing data directory (bench.startup build) instead of the samples"
    )
    args = parser.parse_args(argv)
    faiss.omp_set_num_threads(2)
    if args.part == "ann":
        text = ann(args.sizes, args.queries, args.k, args.hnsw_max, args.pq, args.pq_max)
        write_fragment("search_ann", text)
    else:
        name = "search_service" if args.dir is None else "search_service_dir"
        write_fragment(name, service(args.queries, args.n, args.threads, args.dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
