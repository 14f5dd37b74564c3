"""Filtered search on a Milvus standalone server: filters pushed down vs id lists, and vs FAISS.

    .venv-milvus/bin/python -m bench.milvus_filters --n 50000 --queries 40

Runs in the Milvus server's virtualenv (``./run milvus-server`` creates ``.venv-milvus``; the
server's client pins clash with Milvus Lite's). Starts a throw-away server (PyPI ``milvus`` 2.3)
unless ``--uri`` names one. The corpus is ``n`` clustered unit vectors of dimension 512 (USE-m3's),
each case with a city (20 values), a status (half of them open) and a litigation flag (20 %), the
scalar fields Leian stores. Three filters select about 1 %, 10 % and 50 % of the cases; each is run
three ways, one query at a time, k=10:

- **pushed down**: ``MilvusIndex.search(where=...)``, a boolean expression on the scalar fields
  (city is the partition key);
- **id list**: the same filter as the explicit allowed ids (``id in [...]``, 8,192 ids per
  expression, chunks merged): what Leian sent before filters were pushed down;
- **FAISS Flat**: the in-process exact index with the allowed ids (the embedded profile).

Both Milvus ways are checked against FAISS exact search (recall@10 of its ids); ratios are to FAISS measured in
the same run. ``uptime`` is printed before and after: on a shared 2-core machine the load varies.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from bench.corpus import write_fragment
from bench.search import percentiles
from indexing.vectors.faiss_index import FaissIndex
from indexing.vectors.where import AnyOf, ScalarField, Where, matches

DIM = 512
CITIES = tuple(f"城市{i:02d}" for i in range(20))
SCALARS = (ScalarField("city", "str", 32), ScalarField("status", "str", 16), ScalarField("litigation", "bool"))
FILTERS = {
    "1 %": Where((AnyOf("city", (CITIES[0],)), AnyOf("litigation", (True,)))),
    "10 %": Where((AnyOf("city", CITIES[:2]),)),
    "50 %": Where((AnyOf("status", ("pending", "in_progress")),)),
}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def corpus(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, list]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(64, DIM))
    vecs = centres[rng.integers(0, 64, n)] + 0.8 * rng.normal(size=(n, DIM))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    attrs = {
        "city": [CITIES[i] for i in rng.integers(0, len(CITIES), n)],
        "status": [("pending", "in_progress", "resolved", "closed")[i] for i in rng.integers(0, 4, n)],
        "litigation": [bool(b) for b in rng.random(n) < 0.2],
    }
    return np.arange(1, n + 1, dtype=np.int64), vecs.astype(np.float32), attrs


@contextmanager
def server(uri: str | None) -> Iterator[str]:
    if uri:
        yield uri
        return
    from milvus import MilvusServer

    with tempfile.TemporaryDirectory() as base:
        srv = MilvusServer()
        srv.set_base_dir(base)
        started = time.perf_counter()
        srv.start()
        print(f"Milvus server started in {time.perf_counter() - started:.0f} s on port {srv.listen_port}", flush=True)
        try:
            yield f"http://127.0.0.1:{srv.listen_port}"
        finally:
            srv.stop()


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if a < 10 * b else f"{a / b:.0f}x"


def recall(got: np.ndarray, want: np.ndarray) -> float:
    """Share of FAISS exact top-10 ids found (ties in score may order differently)."""
    pairs = zip(got, want, strict=True)
    return float(np.mean([len(set(g[g >= 0]) & set(w[w >= 0])) / max(1, (w >= 0).sum()) for g, w in pairs]))


def timed(search: object, queries: np.ndarray) -> tuple[np.ndarray, list[float]]:
    out, times = [], []
    for q in queries:
        t = time.perf_counter()
        out.append(search(q[None, :])[1][0])  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return np.vstack(out), times


def run(n: int, n_queries: int, uri: str | None) -> str:
    import faiss

    from indexing.vectors.milvus_index import MilvusIndex

    faiss.omp_set_num_threads(1)
    ids, vecs, attrs = corpus(n)
    queries = vecs[np.random.default_rng(9).integers(0, n, n_queries)] + 0.01
    before = uptime()
    print(before, flush=True)
    rows = []
    with server(uri) as address:
        milvus = MilvusIndex(DIM, address, "bench_filters", scalars=SCALARS, partition_key="city")
        print(f"engine {milvus.engine.version}", flush=True)
        started = time.perf_counter()
        milvus.add(ids, vecs, attributes=attrs)
        print(f"{n:,} rows into Milvus in {time.perf_counter() - started:.0f} s", flush=True)
        flat = FaissIndex(DIM, "Flat")
        flat.add(ids, vecs)
        # Warm both (Milvus loads segments on the first searches).
        for where in FILTERS.values():
            milvus.search(queries[:3], 10, where=where)
        for label, where in FILTERS.items():
            allowed = matches(where, ids, attrs)
            want, f_times = timed(lambda q, a=allowed: flat.search(q, 10, a), queries)
            got_push, p_times = timed(lambda q, w=where: milvus.search(q, 10, where=w), queries)
            got_ids, i_times = timed(lambda q, a=allowed: milvus.search(q, 10, a), queries)
            f50, f99 = percentiles(f_times)
            p50, p99 = percentiles(p_times)
            i50, i99 = percentiles(i_times)
            r_push, r_ids = recall(got_push, want), recall(got_ids, want)
            rows.append(
                f"| {label} ({allowed.shape[0]:,} ids) | {f50:.2f} | {f99:.2f} | {p50:.2f} | {p99:.2f} "
                f"| {i50:.2f} | {i99:.2f} "
                f"| {ratio(i50, p50)} | {ratio(p50, f50)} | {ratio(i50, f50)} | {r_push:.3f} | {r_ids:.3f} |"
            )
            print(rows[-1], flush=True)
        milvus._client.drop_collection("bench_filters")
    after = uptime()
    print(after, flush=True)
    lines = [
        f"{n:,} clustered 512-d vectors, {n_queries} queries one at a time, k=10, Milvus {milvus.engine.version} "
        "standalone (FLAT, city as partition key) on this machine.",
        f"Load before: `{before}`; after: `{after}`.",
        "",
        "| filter (allowed) | FAISS Flat p50 ms | FAISS p99 ms | pushed-down p50 ms | pushed-down p99 ms "
        "| id-list p50 ms | id-list p99 ms | id list / pushed down (p50) | pushed down / FAISS | id list / FAISS "
        "| pushed-down recall@10 | id-list recall@10 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    text = "\n".join(lines)
    print(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.milvus_filters")
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--uri", default=None, help="an existing Milvus server (default: start one)")
    args = parser.parse_args(argv)
    write_fragment("milvus_filters", run(args.n, args.queries, args.uri))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
