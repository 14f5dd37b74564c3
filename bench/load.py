"""Load on loopback: uvicorn in a subprocess, N concurrent clients doing searches and writes.

Reports throughput and p99 latency of N clients as ratios against one client measured in the same
run, plus errors and lost writes (every created case is read back afterwards).

    python bench/load.py --clients 8 --seconds 20 --cases 400
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.host import free_port

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples" / "cases.jsonl"


def prepare(data_dir: Path, n_cases: int, encoder: str) -> tuple[str, list[dict[str, Any]]]:
    from indexing.encoders import create_encoder
    from kb.service import LeianService
    from kb.settings import load_settings

    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = load_settings(data_dir=data_dir, encoder=encoder, petitioner_key="bench-key")
    service = LeianService(settings, encoder=create_encoder(encoder, None, settings.threads))
    try:
        service.ingest(list(enumerate(rows[:n_cases], start=1)))
        _, token = service.users.create("bench", "handler", "Load-Runner-2026!")
    finally:
        service.close()
    return token, rows


class Run:
    def __init__(self, base: str, token: str, rows: list[dict[str, Any]], write_share: float) -> None:
        self.base, self.token, self.rows, self.write_share = base, token, rows, write_share
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.created: list[str] = []
        self.lock = threading.Lock()

    def client(self, n: int, deadline: float, max_requests: int, tag: str) -> None:
        rnd = random.Random(n)
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=60) as http:
            for i in range(max_requests):
                if time.perf_counter() > deadline:
                    return
                row = rnd.choice(self.rows)
                write = rnd.random() < self.write_share
                started = time.perf_counter()
                try:
                    if write:
                        ext = f"LOAD-{tag}-{n}-{i}"
                        r = http.post("/api/cases", json={**row, "external_no": ext})
                        ok = r.status_code == 201
                    else:
                        r = http.post("/api/search", json={"text": row["content"][:120], "k": 10})
                        ok = r.status_code == 200
                except httpx.HTTPError as exc:
                    ok, r = False, None
                    self.errors.append(type(exc).__name__)
                elapsed = time.perf_counter() - started
                with self.lock:
                    self.latencies.append(elapsed)
                    if not ok and r is not None:
                        self.errors.append(f"{r.status_code}")
                    elif ok and write:
                        self.created.append(ext)

    def go(self, clients: int, seconds: float, max_requests: int, tag: str) -> dict[str, float]:
        deadline = time.perf_counter() + seconds
        threads = [threading.Thread(target=self.client, args=(n, deadline, max_requests, tag)) for n in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        lat = np.array(self.latencies)
        return {
            "clients": clients,
            "requests": len(lat),
            "throughput": len(lat) / wall,
            "p50": float(np.percentile(lat, 50)),
            "p99": float(np.percentile(lat, 99)),
            "errors": len(self.errors),
            "writes": len(self.created),
        }

    def lost_writes(self) -> int:
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=60) as http:
            return sum(http.get(f"/api/cases/by-external/{ext}").status_code != 200 for ext in self.created)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="time bound of each phase")
    parser.add_argument("--max-requests", type=int, default=2000, help="per client and phase")
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument("--encoder", default="hashing", help="hashing measures the service; use-m3 the real model")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        token, rows = prepare(data_dir, args.cases, args.encoder)
        port = free_port()
        env = {**os.environ, "LEIAN_PETITIONER_KEY": "bench-key"}
        cmd = [sys.executable, "-m", "api.cli", "--data-dir", str(data_dir), "--encoder", args.encoder]
        server = subprocess.Popen(
            [*cmd, "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            results = []
            for clients, tag in ((1, "single"), (args.clients, "multi")):
                run = Run(base, token, rows, args.write_share)
                stats = run.go(clients, args.seconds, args.max_requests, tag)
                stats["lost_writes"] = run.lost_writes()
                results.append(stats)
        finally:
            server.terminate()
            server.wait(timeout=30)
    one, many = results
    print("| clients | requests | errors | writes | lost writes | throughput × 1 client | p99 × 1 client |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['clients']} | {r['requests']} | {r['errors']} | {r['writes']} | {r['lost_writes']} | "
            f"{r['throughput'] / one['throughput']:.2f} | {r['p99'] / one['p99']:.2f} |"
        )
    print(f"\n(p50 ratio {many['p50'] / one['p50']:.2f}; encoder {args.encoder}, {args.cases} cases, ")
    bounds = f"each phase ≤ {args.seconds:.0f} s and ≤ {args.max_requests} requests/client"
    print(f"write share {args.write_share:.0%}, {bounds})")


if __name__ == "__main__":
    main()
