"""Per-case footprints for sizing a deployment (docs/deploy.md, "Sizing"): the store and a Milvus server.

    .venv-milvus/bin/python -m bench.node_sizes --n 100000 --index IVF_SQ8

Runs in the Milvus server's virtualenv (``./run milvus-server`` creates ``.venv-milvus``, with the
``postgres`` extra). Two parts, each printed with ``uptime``:

- **store**: the 2,400 bundled samples imported by the service (hashing encoder of dimension 512,
  USE-m3's, so the stored vectors have the product's size) into a SQLite file and into a database of
  a throw-away PostgreSQL cluster (tests/pg.py); bytes per case of the SQLite file (after a
  checkpoint) and of ``pg_database_size`` (minus an empty database's);
- **milvus**: a throw-away Milvus standalone server (PyPI ``milvus`` 2.3); ``n`` unit vectors of
  dimension 512 with the product's eight scalar fields (``kb.index_filters.SCALARS``, city the
  partition key) inserted through ``MilvusIndex``, flushed and loaded; the server's resident memory
  before and after (bytes per case), the insert rate, and one-client search throughput (k=10, no
  filter, then a one-city filter) over 200 queries.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DIM = 512
PID_FILE = Path("/run/milvus/standalone.pid")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def store_sizes() -> dict[str, float]:
    from indexing.encoders.hashing import HashingEncoder
    from kb.service import LeianService
    from kb.settings import Settings
    from tests import pg

    rows = [
        (i, json.loads(line))
        for i, line in enumerate((REPO / "data/samples/cases.jsonl").read_text(encoding="utf-8").splitlines(), 1)
    ]
    cluster = pg.shared()
    out: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            empty_url = cluster.new_database()
            url = cluster.new_database()
            for name, database_url in (("sqlite", None), ("postgresql", url)):
                settings = Settings(
                    data_dir=Path(tmp) / name,
                    petitioner_key="bench",
                    threads=1,
                    ingest_workers=1,
                    database_url=database_url,
                )
                svc = LeianService(settings, encoder=HashingEncoder(DIM))
                svc.ingest(rows)
                svc.close()
                if name == "sqlite":
                    size = sum(p.stat().st_size for p in (Path(tmp) / name).glob("leian.db*"))
                else:
                    size = _pg_size(url) - _pg_size(empty_url)
                out[name] = size / len(rows)
    finally:
        pg.stop_shared()
    return out


def _pg_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM")
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def milvus_sizes(n: int, index_type: str) -> dict[str, float]:
    from milvus import MilvusServer

    from indexing.vectors.milvus_index import MilvusIndex
    from indexing.vectors.where import AnyOf, Where
    from kb.index_filters import PARTITION_KEY, SCALARS

    rng = np.random.default_rng(0)
    cities = [f"城市{i:02d}" for i in range(21)]
    values = {
        "city": lambda m: [cities[i] for i in rng.integers(0, 21, m)],
        "district": lambda m: [f"区县{i:03d}" for i in rng.integers(0, 120, m)],
        "department": lambda m: [f"省某厅局{i:02d}" for i in rng.integers(0, 40, m)],
        "category": lambda m: [f"类别{i:02d}" for i in rng.integers(0, 30, m)],
        "status": lambda m: [("pending", "in_progress", "resolved", "closed")[i] for i in rng.integers(0, 4, m)],
        "channel": lambda m: [("来信", "来访", "网上", "热线")[i] for i in rng.integers(0, 4, m)],
        "litigation": lambda m: [bool(b) for b in rng.random(m) < 0.1],
        "received_date": lambda m: [int(20240101 + i) for i in rng.integers(0, 1000, m)],
    }
    with tempfile.TemporaryDirectory() as base:
        srv = MilvusServer()
        srv.set_base_dir(base)
        srv.start()
        try:
            time.sleep(5)
            pid = int(PID_FILE.read_text().strip())
            index = MilvusIndex(
                DIM,
                f"http://127.0.0.1:{srv.listen_port}",
                "bench_sizes",
                index_type=index_type,
                scalars=SCALARS,
                partition_key=PARTITION_KEY,
            )
            len(index)  # creates the (empty) collection
            before = _rss_kb(pid)
            started = time.perf_counter()
            step = 10_000
            for start in range(0, n, step):
                m = min(step, n - start)
                vecs = rng.normal(size=(m, DIM)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                attrs = {f.name: values[f.name](m) for f in SCALARS}
                index.add(np.arange(start + 1, start + m + 1, dtype=np.int64), vecs, attributes=attrs)
            inserted = time.perf_counter() - started
            queries = rng.normal(size=(200, DIM)).astype(np.float32)
            queries /= np.linalg.norm(queries, axis=1, keepdims=True)
            index.search(queries[:1], 10)
            started = time.perf_counter()
            for q in queries:
                index.search(q[None, :], 10)
            plain = time.perf_counter() - started
            one_city = Where((AnyOf("city", (cities[0],)),))
            started = time.perf_counter()
            for q in queries:
                index.search(q[None, :], 10, where=one_city)
            filtered = time.perf_counter() - started
            time.sleep(10)
            after = _rss_kb(pid)
            return {
                "rss_before_mb": before / 1024,
                "rss_after_mb": after / 1024,
                "rss_bytes_per_case": (after - before) * 1024 / n,
                "inserts_per_s": n / inserted,
                "qps_one_client": len(queries) / plain,
                "qps_one_client_one_city": len(queries) / filtered,
            }
        finally:
            srv.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="vectors inserted into the Milvus server")
    parser.add_argument("--index", default="IVF_SQ8", help="Milvus index type (FLAT, IVF_SQ8, HNSW, ...)")
    parser.add_argument("--skip-store", action="store_true")
    args = parser.parse_args(argv)
    print("load before:", uptime(), flush=True)
    if not args.skip_store:
        sizes = store_sizes()
        print("store bytes/case:", {k: round(v) for k, v in sizes.items()}, "|", uptime(), flush=True)
    found = milvus_sizes(args.n, args.index)
    print(f"milvus {args.index}, {args.n:,} vectors:", {k: round(v, 1) for k, v in found.items()}, flush=True)
    print("load after:", uptime(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
