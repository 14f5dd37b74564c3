"""The store on PostgreSQL vs SQLite: import throughput and filtered reads, ratios in one run.

    python -m bench.postgres_store               # the 2,400 bundled samples, 2 rounds each
    python -m bench.postgres_store --copies 4 --rounds 1   # the samples 4 times (renumbered)

Both sides run the same service code with the hashing encoder (the encoder is not the subject) on
a throw-away PostgreSQL cluster (tests/pg.py: local, fsync off — a lower bound on a real server's
commit cost) and a SQLite file in a temporary directory. Reported per store: cases imported per
second (one ``ingest`` call = one transaction), and the time of 200 filtered case-list pages;
ratios are PostgreSQL / SQLite. Also printed: each round's import rate, the statements sent to
PostgreSQL per imported case (round trips, load-independent), the CPU seconds the import cost
(this process, and on PostgreSQL the server backends of the store's connections, read from
/proc: less disturbed by other load than wall time), and the load before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.host import load

REPO = Path(__file__).resolve().parents[1]


def _rows(copies: int) -> list[dict[str, Any]]:
    base = [json.loads(line) for line in (REPO / "data/samples/cases.jsonl").read_text(encoding="utf-8").splitlines()]
    out = []
    for c in range(copies):
        for row in base:
            out.append(dict(row, external_no=f"{row['external_no']}-{c}"))
    return out


def _service(data_dir: Path, url: str | None) -> Any:
    from indexing.encoders.hashing import HashingEncoder
    from kb.service import LeianService
    from kb.settings import Settings

    settings = Settings(data_dir=data_dir, petitioner_key="bench", threads=1, ingest_workers=1, database_url=url)
    return LeianService(settings, encoder=HashingEncoder())


def _backend_cpu(db: Any) -> float:
    """CPU seconds (user + system) of the server backends of ``db``'s PostgreSQL connections, from
    /proc (the throw-away cluster runs on this machine); 0 on SQLite."""
    if getattr(db, "dialect", "sqlite") == "sqlite":
        return 0.0
    pool = getattr(db, "_pool", None)
    conns = list(pool.all) if pool is not None else [db._conn]
    total = 0.0
    for conn in conns:
        pid = conn._conn.info.backend_pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _trips(db: Any) -> int:
    return int(getattr(db, "round_trips", getattr(db._conn, "round_trips", 0)))


def measure(url: str | None, rows: list[dict[str, Any]], data_dir: Path) -> dict[str, float]:
    from kb.domain import SearchFilters

    svc = _service(data_dir, url)
    try:
        before, server_before, cpu_before = _trips(svc.db), _backend_cpu(svc.db), time.process_time()
        started = time.perf_counter()
        svc.ingest(list(enumerate(rows, start=1)))
        imported = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        server_cpu = _backend_cpu(svc.db) - server_before
        trips = (_trips(svc.db) - before) / len(rows)
        started = time.perf_counter()
        cities = ["广州市", "深圳市", "佛山市", "东莞市"]
        for i in range(200):
            svc.cases.page(SearchFilters(cities=[cities[i % 4]]), limit=20, offset=(i % 5) * 20)
        pages = time.perf_counter() - started
        return {
            "cases_per_s": len(rows) / imported,
            "pages_s": pages,
            "round_trips_per_case": trips,
            "cpu_s": cpu,
            "server_cpu_s": server_cpu,
        }
    finally:
        svc.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from tests import pg

    rows = _rows(args.copies)
    cluster = pg.shared()
    results: dict[str, list[dict[str, float]]] = {"sqlite": [], "postgresql": []}
    try:
        for _ in range(args.rounds):  # alternate, so both see the same machine load
            with tempfile.TemporaryDirectory() as tmp:
                results["sqlite"].append(measure(None, rows, Path(tmp) / "lite"))
                results["postgresql"].append(measure(cluster.new_database(), rows, Path(tmp) / "pg"))
    finally:
        pg.stop_shared()
    best = {
        k: {m: max(r[m] for r in v) if m == "cases_per_s" else min(r[m] for r in v) for m in v[0]}
        for k, v in results.items()
    }
    print(f"cases per import: {len(rows)}, rounds: {args.rounds} (best of each); load {load()}")
    for store, runs in results.items():
        print(f"{store:10s} import per round: " + ", ".join(f"{r['cases_per_s']:.1f}" for r in runs) + " cases/s")
    print(f"PostgreSQL round trips per imported case: {best['postgresql']['round_trips_per_case']:.2f}")
    for store, runs in results.items():
        print(
            f"{store:10s} import CPU per round (this process + server backends): "
            + ", ".join(f"{r['cpu_s']:.2f} + {r['server_cpu_s']:.2f} s" for r in runs)
        )
    for store, figures in best.items():
        print(
            f"{store:10s} import {figures['cases_per_s']:8.1f} cases/s   200 filtered pages {figures['pages_s']:.3f} s"
        )
    pg_, lite = best["postgresql"], best["sqlite"]
    print(
        f"ratio PostgreSQL/SQLite: import throughput {pg_['cases_per_s'] / lite['cases_per_s']:.2f}x, "
        f"page time {pg_['pages_s'] / lite['pages_s']:.2f}x; load {load()}"
    )


if __name__ == "__main__":
    main()
