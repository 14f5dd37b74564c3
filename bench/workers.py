"""Search throughput and p99 of `leian serve --workers W` at C concurrent clients, on loopback.

One data directory (the bundled samples, embedded profile: SQLite + FAISS + BM25) served in turn
by 1, 2 and 4 worker processes; at each, 1, 4 and 16 client threads send hybrid searches (sample
petitions' first 120 characters, k = 10) on kept-alive connections for a bounded time. Ratios are
against 1 worker / 1 client of the same run; the machine's load is printed beside each phase.

    python -m bench.workers --cases 2400 --seconds 10
    python -m bench.workers --encoder use-m3 --workers 1 2 --clients 1 4   # with the real model

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

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples" / "cases.jsonl"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def prepare(data_dir: Path, n_cases: int, encoder: str) -> tuple[str, list[str]]:
    from kb.service import LeianService
    from kb.settings import load_settings

    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = load_settings(data_dir=data_dir, encoder=encoder, petitioner_key="bench-key")
    service = LeianService(settings)
    try:
        service.ingest(list(enumerate(rows[:n_cases], start=1)))
        _, token = service.users.create("bench", "handler", "bench-password")
    finally:
        service.close()
    return token, [r["content"][:120] for r in rows]


class Server:
    def __init__(self, data_dir: Path, encoder: str, workers: int) -> None:
        self.port = free_port()
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
        deadline = time.monotonic() + 300
        pids: set[str] = set()
        # Up when every worker answers (each one's first search warms its own caches too).
        while len(pids) < workers:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("leian serve did not start")
            try:
                with httpx.Client(base_url=self.base, headers={"Connection": "close"}, timeout=10) as http:
                    r = http.get("/api/health")
                    if r.status_code == 200:
                        pids.add(r.headers.get("x-leian-worker", "1"))
            except httpx.HTTPError:
                time.sleep(0.5)

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=10.0, help="time bound of each phase")
    parser.add_argument("--max-requests", type=int, default=5000, help="per client and phase")
    parser.add_argument("--cases", type=int, default=2400)
    parser.add_argument("--encoder", default="hashing", help="hashing measures the service; use-m3 the real model")
    args = parser.parse_args()

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        token, texts = prepare(data_dir, args.cases, args.encoder)
        for workers in args.workers:
            server = Server(data_dir, args.encoder, workers)
            try:
                phase(server.base, token, texts, 1, 2.0, 50)  # warm-up, not counted
                for clients in args.clients:
                    before = load()
                    stats = phase(server.base, token, texts, clients, args.seconds, args.max_requests)
                    rows.append({"workers": workers, "clients": clients, **stats, "load": f"{before} → {load()}"})
                    print(f"# {rows[-1]}", file=sys.stderr, flush=True)
            finally:
                server.stop()
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
        f"\n(encoder {args.encoder}, {args.cases} cases, hybrid search k=10, each phase ≤ {args.seconds:.0f} s and "
        f"≤ {args.max_requests} requests/client, {os.cpu_count()} CPUs; load = 1/5/15-min averages before → after)"
    )


if __name__ == "__main__":
    main()
