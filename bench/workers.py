"""Search throughput and p99 of `leian serve --workers W` at C concurrent clients, on loopback.

One data directory per profile (the bundled samples) served in turn by 1, 2 and 4 worker
processes; at each, 1, 4 and 16 client threads send hybrid searches (sample petitions' first 120
characters, k = 10) on kept-alive connections for a bounded time. Profiles:

- ``embedded``: SQLite + FAISS + BM25 in the data directory (the default);
- ``distributed``: a throw-away PostgreSQL cluster (tests/pg.py) as the store and a throw-away
  Milvus standalone server (PyPI ``milvus`` 2.3) as the vector index, given to the workers as
  ``LEIAN_DATABASE_URL``, ``LEIAN_INDEX_BACKEND=milvus``, ``LEIAN_MILVUS_URI`` and
  ``LEIAN_MILVUS_COLLECTION`` (BM25 stays in each worker). Needs the Milvus server's virtualenv
  (``./run milvus-server`` creates ``.venv-milvus``) and Debian's ``postgresql``.

Ratios are against 1 worker / 1 client of the same profile and, for the distributed profile,
against the embedded profile's same configuration in the same invocation (each round runs both
profiles, so a change in the host's load touches both); the load is printed beside each phase.

    python -m bench.workers --cases 2400 --seconds 10
    .venv-milvus/bin/python -m bench.workers --profiles embedded distributed --cases 2400 --seconds 10 --rounds 2
    python -m bench.workers --encoder use-m3 --workers 1 2 --clients 1 4   # with the real model
    python -m bench.workers --overhead          # what following the change log costs per search
    python -m bench.workers --encoder use-m3 --encoder-threads 1 2 --clients 1 4 --cases 600
                                                # a serving process's encoder threads under load

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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.host import free_port, load

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples" / "cases.jsonl"


def prepare(data_dir: Path, n_cases: int, encoder: str, env: dict[str, str]) -> tuple[str, list[str]]:
    """The first ``n_cases`` samples imported into the profile ``env`` names; a handler's token."""
    from kb.service import LeianService
    from kb.settings import load_settings

    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = load_settings({**os.environ, **env}, data_dir=data_dir, encoder=encoder, petitioner_key="bench-key")
    service = LeianService(settings)
    try:
        service.ingest(list(enumerate(rows[:n_cases], start=1)))
        _, token = service.users.create("bench", "handler", "search-load-2026")
    finally:
        service.close()
    return token, [r["content"][:120] for r in rows]


class Distributed:
    """A throw-away PostgreSQL database and Milvus standalone server; ``env`` configures Leian for them."""

    def __init__(self, base: Path) -> None:
        try:
            from milvus import MilvusServer
        except ImportError as exc:
            raise SystemExit(
                "the distributed profile needs the Milvus server package: run this in .venv-milvus "
                "(./run milvus-server creates it)"
            ) from exc
        from tests import pg

        self.pg = pg
        self.cluster = pg.shared()
        self.url = self.cluster.new_database()
        self.milvus = MilvusServer()
        self.milvus.set_base_dir(str(base))
        started = time.perf_counter()
        self.milvus.start()
        self.milvus_seconds = time.perf_counter() - started
        self.env = {
            "LEIAN_DATABASE_URL": self.url,
            "LEIAN_INDEX_BACKEND": "milvus",
            "LEIAN_MILVUS_URI": f"http://127.0.0.1:{self.milvus.listen_port}",
            "LEIAN_MILVUS_COLLECTION": "bench_workers",
        }

    def close(self) -> None:
        try:
            self.milvus.stop()
        finally:
            self.pg.stop_shared()


class Server:
    def __init__(
        self, data_dir: Path, encoder: str, workers: int, profile_env: dict[str, str], threads: int = 1
    ) -> None:
        self.port, self.workers = free_port(), workers
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            **profile_env,
            "LEIAN_PETITIONER_KEY": "bench-key",
            "LEIAN_THREADS": str(threads),
            "LEIAN_SERVE_THREADS": str(threads),
        }
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


def visibility(base: str, token: str, writes: int, mode: str) -> dict[str, Any]:
    """How soon a case written through one worker is found by a search another worker answers.

    Each write is a new case with a text no other case has; then searches for that text
    (``mode``, k = 10, fresh connections so the kernel spreads them over the workers) until one
    answered by a worker other than the writer finds it at rank 1. Reported: how often the other
    worker's first answer already found it, and the time from the write's acknowledgement to the
    first answer that found it (the searches that missed before it included)."""
    rnd = random.Random(17)
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    first_hit, delays, misses = 0, [], 0
    for i in range(writes):
        mark = "".join(rnd.choice("鲸灯塔螺旋桨冰川齿轮箱雪豹风向标") for _ in range(12))
        body = {
            "external_no": f"VIS-{i:04d}-{rnd.randrange(10**6)}",
            "title": f"反映{mark}问题",
            "content": f"我反映{mark}的问题，{mark}一直没有解决，请求有关部门尽快处理{mark}。",
            "received_date": "2025-02-20",
            "channel": "来信",
            "city": "广州市",
            "category": "其他",
            "status": "pending",
        }
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            created = http.post("/api/cases", json=body)
        acked = time.perf_counter()
        if created.status_code != 201:
            raise RuntimeError(f"write failed: {created.status_code} {created.text[:200]}")
        writer = created.headers.get("x-leian-worker", "1")
        others_first = True
        for _ in range(2000):
            with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
                r = http.post("/api/search", json={"text": body["content"], "k": 10, "mode": mode})
            if r.headers.get("x-leian-worker", "1") == writer:
                continue
            hits = [h["case"]["external_no"] for h in r.json()["hits"]]
            if hits and hits[0] == body["external_no"]:
                delays.append(time.perf_counter() - acked)
                first_hit += others_first
                break
            others_first = False
            misses += 1
        else:
            raise RuntimeError(f"{body['external_no']} never found by another worker")
    lat = np.array(delays)
    return {
        "writes": writes,
        "found_by_first_other_answer": first_hit,
        "missed_searches": misses,
        "p50_ms": float(np.percentile(lat, 50)) * 1000,
        "max_ms": float(lat.max()) * 1000,
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


def client_phases(
    server: Server, token: str, texts: list[str], args: argparse.Namespace
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(clients, stats with the load before → after) for each ``--clients`` count against a started
    server, after warming every worker; stops the server at the end."""
    try:
        server.warm_every_worker(token, texts[:20])
        for clients in args.clients:
            before = load()
            stats = phase(server.base, token, texts, clients, args.seconds, args.max_requests)
            stats["load"] = f"{before} → {load()}"
            yield clients, stats
    finally:
        server.stop()


def encoder_threads(args: argparse.Namespace) -> None:
    """Text searches of one serving process with its encoder on N threads, N alternating within each
    round; ratios against the first N at the first client count of the same run."""
    runs: dict[tuple[int, int], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        token, texts = prepare(Path(tmp) / "d", args.cases, args.encoder, {})
        for _ in range(args.rounds):
            for threads in args.encoder_threads:
                server = Server(Path(tmp) / "d", args.encoder, args.workers[0], {}, threads)
                for clients, stats in client_phases(server, token, texts, args):
                    runs.setdefault((threads, clients), []).append(stats)
                    print(f"# {threads} threads {clients} clients {stats}", file=sys.stderr, flush=True)
    ref = runs[(args.encoder_threads[0], args.clients[0])]
    ref_rate = float(np.median([r["throughput"] for r in ref]))
    ref_p50 = float(np.median([r["p50"] for r in ref]))
    print("| encoder threads | clients | requests | errors | searches/s | × ref | p50 ms | p50 × ref | p99 ms | load |")
    print("|---" * 10 + "|")
    for (threads, clients), found in runs.items():
        rate = float(np.median([r["throughput"] for r in found]))
        p50 = float(np.median([r["p50"] for r in found]))
        p99 = float(np.median([r["p99"] for r in found]))
        print(
            f"| {threads} | {clients} | {sum(r['requests'] for r in found)} | {sum(r['errors'] for r in found)} | "
            f"{rate:.1f} | {rate / ref_rate:.2f} | {p50 * 1000:.1f} | {p50 / ref_p50:.2f} | {p99 * 1000:.1f} | "
            + "; ".join(r["load"] for r in found)
            + " |"
        )
    print(
        f"\n(median of {args.rounds} round(s); encoder {args.encoder}, {args.cases} cases, "
        f"{args.workers[0]} worker(s), hybrid text search k=10, each phase ≤ {args.seconds:.0f} s; "
        f"{os.cpu_count()} CPUs; "
        "ref = the first thread count at the first client count)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=10.0, help="time bound of each phase")
    parser.add_argument("--max-requests", type=int, default=5000, help="per client and phase")
    parser.add_argument("--cases", type=int, default=2400)
    parser.add_argument("--rounds", type=int, default=1, help="repeat the sweep; medians are reported")
    parser.add_argument("--encoder", default="hashing", help="hashing measures the service; use-m3 the real model")
    parser.add_argument(
        "--profiles",
        nargs="+",
        choices=("embedded", "distributed"),
        default=["embedded"],
        help="distributed: PostgreSQL + a Milvus server (run in .venv-milvus)",
    )
    parser.add_argument(
        "--visibility",
        type=int,
        default=0,
        metavar="WRITES",
        help="instead of the sweep: WRITES writes through one of 2 workers, each searched for through another",
    )
    parser.add_argument("--overhead", action="store_true", help="the per-search cost of following the change log")
    parser.add_argument(
        "--encoder-threads",
        type=int,
        nargs="+",
        metavar="N",
        help="instead of the sweep: one worker (the first of --workers) with LEIAN_THREADS = each N in turn",
    )
    args = parser.parse_args()
    if args.overhead:
        overhead(args.cases)
        return
    if args.encoder_threads:
        encoder_threads(args)
        return

    runs: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        envs: dict[str, dict[str, str]] = {"embedded": {}}
        distributed = None
        try:
            if "distributed" in args.profiles:
                distributed = Distributed(Path(tmp) / "milvus")
                envs["distributed"] = distributed.env
                print(f"# Milvus server up in {distributed.milvus_seconds:.0f} s", file=sys.stderr, flush=True)
            prepared = {p: prepare(Path(tmp) / p, args.cases, args.encoder, envs[p]) for p in args.profiles}
            # Rounds repeat the whole sweep over both profiles, so a change in the host's load touches
            # every configuration.
            if args.visibility:
                print(
                    "| profile | mode | writes | found by another worker's first answer | searches that missed "
                    "| write → found p50 ms | max ms | load |"
                )
                print("|---" * 8 + "|")
                for profile in args.profiles:
                    token, _ = prepared[profile]
                    server = Server(Path(tmp) / profile, args.encoder, 2, envs[profile])
                    try:
                        for mode in ("lexical", "dense", "hybrid"):
                            before = load()
                            seen = visibility(server.base, token, args.visibility, mode)
                            print(
                                f"| {profile} | {mode} | "
                                + " | ".join(f"{v:.0f}" if isinstance(v, float) else str(v) for v in seen.values())
                                + f" | {before} → {load()} |",
                                flush=True,
                            )
                    finally:
                        server.stop()
                return
            for _ in range(args.rounds):
                for profile in args.profiles:
                    token, texts = prepared[profile]
                    for workers in args.workers:
                        server = Server(Path(tmp) / profile, args.encoder, workers, envs[profile])
                        for clients, stats in client_phases(server, token, texts, args):
                            runs.setdefault((profile, workers, clients), []).append(stats)
                            print(
                                f"# {profile} {workers} workers {clients} clients {stats}",
                                file=sys.stderr,
                                flush=True,
                            )
        finally:
            if distributed is not None:
                distributed.close()
    rows = {
        key: {
            "requests": sum(r["requests"] for r in found),
            "errors": sum(r["errors"] for r in found),
            "answered_by": max(r["answered_by"] for r in found),
            "throughput": float(np.median([r["throughput"] for r in found])),
            "p50": float(np.median([r["p50"] for r in found])),
            "p99": float(np.median([r["p99"] for r in found])),
            "load": "; ".join(r["load"] for r in found),
        }
        for key, found in runs.items()
    }
    for profile in args.profiles:
        ref = rows[(profile, args.workers[0], args.clients[0])]
        versus = profile != "embedded" and "embedded" in args.profiles
        extra = " searches/s × embedded | p99 × embedded |" if versus else ""
        print(f"\n{profile}:\n")
        head = (
            "| workers | clients | requests | errors | answered by | searches/s | × 1/1 | p50 ms | p99 ms | p99 × 1/1 |"
        )
        print(head + extra + " load |")
        print("|---" * (11 + 2 * versus) + "|")
        for (p, w, c), r in rows.items():
            if p != profile:
                continue
            line = (
                f"| {w} | {c} | {r['requests']} | {r['errors']} | {r['answered_by']} | "
                f"{r['throughput']:.1f} | {r['throughput'] / ref['throughput']:.2f} | {r['p50'] * 1000:.1f} | "
                f"{r['p99'] * 1000:.1f} | {r['p99'] / ref['p99']:.2f} |"
            )
            if versus:
                emb = rows[("embedded", w, c)]
                line += f" {r['throughput'] / emb['throughput']:.2f} | {r['p99'] / emb['p99']:.2f} |"
            print(f"{line} {r['load']} |")
    print(
        f"\n(median of {args.rounds} round(s); requests and errors summed; encoder {args.encoder}, {args.cases} cases, "
        f"hybrid search k=10, each phase ≤ {args.seconds:.0f} s and "
        f"≤ {args.max_requests} requests/client, {os.cpu_count()} CPUs; load = 1/5/15-min averages before → after)"
    )


if __name__ == "__main__":
    main()
