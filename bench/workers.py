"""Search throughput and p99 of `leian serve --workers W` at C concurrent clients, on loopback.

One data directory (the bundled samples, embedded profile: SQLite + FAISS + BM25) served in turn
by 1, 2 and 4 worker processes; at each, 1, 4 and 16 client threads send hybrid searches (sample
petitions' first 120 characters, k = 10) on kept-alive connections for a bounded time. Ratios are
against 1 worker / 1 client of the same run; the machine's load is printed beside each phase.

    python -m bench.workers --cases 2400 --seconds 10
    python -m bench.workers --encoder use-m3 --workers 1 2 --clients 1 4   # with the real model
    python -m bench.workers --overhead          # what following the change log costs per search

The default hashing encoder makes query encoding nearly free, so the figures are the service's own
work (BM25 + FAISS + SQLite reads + HTTP); with use-m3 every search also encodes its query.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.host import free_port, load

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples" / "cases.jsonl"


def prepare(data_dir: Path, n_cases: int, encoder: str) -> tuple[str, list[str]]:
    from kb.service import LeianService
    from kb.settings import load_settings

    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = load_settings(data_dir=data_dir, encoder=encoder, petitioner_key="bench-key")
    service = LeianService(settings)
    try:
        service.ingest(list(enumerate(rows[:n_cases], start=1)))
        _, token = service.users.create("bench", "handler", "search-load-2026")
    finally:
        service.close()
    return token, [r["content"][:120] for r in rows]


class Server:
    def __init__(self, data_dir: Path, encoder: str, workers: int) -> None:
        self.port, self.workers = free_port(), workers
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LEIAN_PETITIONER_KEY": "bench-key", "LEIAN_THREADS": "1"}
        cmd = [sys.executable, "-m", "api.cli", "--data-dir", str(data_dir), "--encoder", encoder]
        self.proc = subprocess.Popen(
            [*cmd, "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 900
        warm: set[str] = set()
        # Measured once every worker has finished its start-up warm-up (the routing models' fit runs
        # in a thread of each worker and would compete with its searches for the GIL).
        while len(warm) < workers:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("leian serve did not start")
            try:
                with httpx.Client(base_url=self.base, headers={"Connection": "close"}, timeout=10) as http:
                    r = http.get("/api/health")
                if r.status_code == 200 and all(v in ("ready", "failed") for v in r.json()["warm"].values()):
                    warm.add(r.headers.get("x-leian-worker", "1"))
                else:
                    time.sleep(0.5)
            except httpx.HTTPError:
                time.sleep(0.5)

    def warm_every_worker(self, token: str, texts: list[str], each: int = 5) -> None:
        """Searches on fresh connections until every worker has answered ``each`` (not counted): a
        worker's first searches load what is built lazily (the segmenter's dictionary, caches)."""
        answered: dict[str, int] = {}
        headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
        for i in range(2000):
            with httpx.Client(base_url=self.base, headers=headers, timeout=300) as http:
                r = http.post("/api/search", json={"text": texts[i % len(texts)], "k": 10})
            who = r.headers.get("x-leian-worker", "1")
            answered[who] = answered.get(who, 0) + 1
            if len(answered) >= self.workers and min(answered.values()) >= each:
                return

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def phase(base: str, token: str, texts: list[str], clients: int, seconds: float, max_requests: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    workers: set[str] = set()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        rnd = random.Random(n)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            for _ in range(max_requests):
                if time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                try:
                    r = http.post("/api/search", json={"text": rnd.choice(texts), "k": 10})
                    ok, who = r.status_code == 200, r.headers.get("x-leian-worker", "1")
                except httpx.HTTPError as exc:
                    ok, who = False, type(exc).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    workers.add(who)
                    if not ok:
                        errors.append(who)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    lat = np.array(latencies)
    return {
        "requests": len(lat),
        "throughput": len(lat) / wall,
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "errors": len(errors),
        "answered_by": len(workers),
    }


def overhead(n_cases: int, rounds: int = 200) -> None:
    """In one process, two services on one data directory as two workers: the cost of the
    generation compare every search makes, and of catching up one write, against a search."""
    from kb.domain import CaseIn
    from kb.service import LeianService
    from kb.settings import load_settings

    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["content"][:120] for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), encoder="hashing", petitioner_key="bench-key", api_workers=2)
        writer = LeianService(settings)
        writer.ingest(list(enumerate(rows[:n_cases], start=1)))
        reader = LeianService(settings)
        try:
            reader.index.POLL_SECONDS = 3600.0  # only the searches catch up
            before = load()
            started = time.perf_counter()
            for i in range(rounds):
                reader.search(text=texts[i % len(texts)], k=10)
            search = (time.perf_counter() - started) / rounds
            started = time.perf_counter()
            for _ in range(rounds * 10):
                reader.index.catch_up()
            compare = (time.perf_counter() - started) / (rounds * 10)
            catch = []
            for i in range(rounds // 4):
                row = {**rows[i], "external_no": f"OVER-{i}"}
                writer.create_case(CaseIn.model_validate({k: v for k, v in row.items() if k in CaseIn.model_fields}))
                started = time.perf_counter()
                applied = reader.index.catch_up()
                catch.append(time.perf_counter() - started)
                assert applied == 1
            one = float(np.median(catch))
        finally:
            reader.close()
            writer.close()
    print("| step | per call | × one search |")
    print("|---|---|---|")
    print(f"| hybrid search (k=10, {n_cases} cases, hashing encoder) | {search * 1000:.2f} ms | 1.00 |")
    print(f"| generation compare (memory current) | {compare * 1e6:.0f} µs | {compare / search:.4f} |")
    print(f"| catch up one case written by the other worker (median) | {one * 1000:.2f} ms | {one / search:.3f} |")
    print(f"\n(load {before} before, {load()} after)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=10.0, help="time bound of each phase")
    parser.add_argument("--max-requests", type=int, default=5000, help="per client and phase")
    parser.add_argument("--cases", type=int, default=2400)
    parser.add_argument("--rounds", type=int, default=1, help="repeat the sweep; medians are reported")
    parser.add_argument("--encoder", default="hashing", help="hashing measures the service; use-m3 the real model")
    parser.add_argument("--overhead", action="store_true", help="the per-search cost of following the change log")
    args = parser.parse_args()
    if args.overhead:
        overhead(args.cases)
        return

    runs: dict[tuple[int, int], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        token, texts = prepare(data_dir, args.cases, args.encoder)
        # Rounds repeat the whole sweep, so a change in the host's load touches every configuration.
        for _ in range(args.rounds):
            for workers in args.workers:
                server = Server(data_dir, args.encoder, workers)
                try:
                    server.warm_every_worker(token, texts[:20])
                    for clients in args.clients:
                        before = load()
                        stats = phase(server.base, token, texts, clients, args.seconds, args.max_requests)
                        stats["load"] = f"{before} → {load()}"
                        runs.setdefault((workers, clients), []).append(stats)
                        print(f"# {workers} workers {clients} clients {stats}", file=sys.stderr, flush=True)
                finally:
                    server.stop()
    rows = [
        {
            "workers": w,
            "clients": c,
            "requests": sum(r["requests"] for r in found),
            "errors": sum(r["errors"] for r in found),
            "answered_by": max(r["answered_by"] for r in found),
            "throughput": float(np.median([r["throughput"] for r in found])),
            "p50": float(np.median([r["p50"] for r in found])),
            "p99": float(np.median([r["p99"] for r in found])),
            "load": "; ".join(r["load"] for r in found),
        }
        for (w, c), found in runs.items()
    ]
    ref = rows[0]
    head = "| workers | clients | requests | errors | answered by | searches/s | × 1/1 | p50 ms | p99 ms | p99 × 1/1 |"
    print(head + " load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workers']} | {r['clients']} | {r['requests']} | {r['errors']} | {r['answered_by']} | "
            f"{r['throughput']:.1f} | {r['throughput'] / ref['throughput']:.2f} | {r['p50'] * 1000:.1f} | "
            f"{r['p99'] * 1000:.1f} | {r['p99'] / ref['p99']:.2f} | {r['load']} |"
        )
    print(
        f"\n(median of {args.rounds} round(s); requests and errors summed; encoder {args.encoder}, {args.cases} cases, "
        f"hybrid search k=10, each phase ≤ {args.seconds:.0f} s and "
        f"≤ {args.max_requests} requests/client, {os.cpu_count()} CPUs; load = 1/5/15-min averages before → after)"
    )


if __name__ == "__main__":
    main()
