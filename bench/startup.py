"""Start-up, memory and query latency at scale: ``leian serve`` and CLI commands on 100,000+ cases.

    python -m bench.startup build --n 100000 --dir /tmp/leian-100k       # the data directory
    python -m bench.startup build --n 100000 --dir /tmp/leian-100k-int8 --encoder use-m3-int8
    python -m bench.startup serve --dir /tmp/leian-100k [--before /tmp/leian-before]
    python -m bench.startup warm --dir /tmp/leian-100k [--before /tmp/leian-before] [--starts 2]
    python -m bench.startup query --dir /tmp/leian-100k --queries 600

``build`` writes ``--n`` cases straight into SQLite (no encoding, no segmentation of the bulk): the
first 4,000 are ``samplegen`` petitions with their jieba tokens; every further case copies the
text and fields of one of them, its tokens are that case's tokens plus a third of another's, and
its vector is a synthetic mix as in ``bench.corpus`` (``base_vectors``: the vectors are not the
model's, which does not change what start-up, memory and search cost).
Then one ``leian reindex`` builds the index files, as an import would leave them.

``serve`` starts ``leian serve`` on the directory (the configured encoder, USE-m3) and reports the
time until ``/api/health`` answers and the server's RSS then and after one text search (the model
loaded); the same for a CLI ``leian search``. ``--before`` names a checkout of the code before
this change (a git worktree of the base commit): it is started on the same directory in the same
run, as the reference. The models' own share is measured on an empty data directory.

``warm`` reports, per start, the seconds until each warm-up step (encoder, router, model_cases) is
done and the RSS: the ``--before`` code once, then this change's first start (the stored routing
models deleted first: they are fitted and stored) and later starts (loaded from the database).

``query`` runs text, case-id and filtered searches in-process and splits each text query into the
encoding (timed inside the encoder) and everything else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpus import case_text, cases, segmenter, write_fragment
from bench.host import free_port

N_REAL = 4_000
ENV = {"LEIAN_PETITIONER_KEY": "bench-startup", "LEIAN_THREADS": "1"}


def load_average() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- build ---------------------------------------------------------------------------------------
def build(data_dir: Path, n: int, encoder: str = "use-m3") -> None:
    from indexing.encoders import create_encoder
    from kb.indexer import CaseIndex
    from kb.schema import ALL_MIGRATIONS
    from kb.storage.cases import CaseRepository
    from kb.storage.db import Database

    data_dir.mkdir(parents=True, exist_ok=True)
    real = cases(N_REAL)
    seg = segmenter()
    t0 = time.perf_counter()
    real_tokens = [seg.tokens(case_text(c)) for c in real]
    print(f"segmented {len(real)} real cases in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    base = base_vectors(real, n)
    name = create_encoder(encoder).name  # the name the vectors are stored under (``auto`` keeps it)
    db = Database(data_dir / "leian.db", migrations=ALL_MIGRATIONS)
    repo = CaseRepository(db)
    rng = np.random.default_rng(20)
    chunk, t0 = 20_000, time.perf_counter()
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        with db.transaction() as conn:
            rows = []
            for i in range(start, stop):
                a = i if i < N_REAL else int(rng.integers(N_REAL))
                other = real_tokens[int(rng.integers(N_REAL))]
                toks = real_tokens[a] if i < N_REAL else real_tokens[a] + other[: len(other) // 3]
                src = real[a]
                values = {k: src.get(k) for k in ("title", "content", "received_date", "channel", "city", "district")}
                values.update({k: src.get(k) for k in ("department", "category", "status", "resolved_date")})
                values.update({"content_hash": f"h{i}", "tokens": " ".join(toks)})
                case_id, _ = repo.upsert(conn, f"S-{i:08d}", values)
                rows.append((case_id, f"h{i}", np.asarray(base[i], dtype=np.float32)))
            repo.save_vectors(conn, name, rows)
            CaseIndex.bump_generation(conn)
        rate = stop / (time.perf_counter() - t0)
        print(f"  stored {stop:,}/{n:,} ({rate:.0f}/s)", file=sys.stderr, flush=True)
    db.close()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(data_dir), "reindex"], check=True, env=env())
    print(f"reindex {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)


def base_vectors(real: list[dict[str, Any]], n: int) -> np.ndarray:
    """512-d vectors for ``n`` cases: the 512-bucket hashing encoder's vectors of the real texts,
    then ``bench.corpus``'s synthetic mixes of two of them. USE-m3 ran at 2 documents/s on this
    shared machine, so the stored vectors are not the model's; start-up, memory and search cost
    depend on their number and dimension, not on what they mean (the queries are encoded by USE-m3)."""
    from indexing.encoders.hashing import HashingEncoder

    first = HashingEncoder(512).encode([case_text(c) for c in real]).astype(np.float32)
    out = np.empty((n, 512), dtype=np.float32)
    out[: min(n, len(real))] = first[:n]
    rng = np.random.default_rng(0)
    sigma = 0.25 / np.sqrt(512)
    for start in range(len(real), n, 100_000):
        stop = min(n, start + 100_000)
        a = first[rng.integers(0, len(real), stop - start)]
        b = first[rng.integers(0, len(real), stop - start)]
        mix = 0.7 * a + 0.3 * b + rng.normal(0, sigma, a.shape).astype(np.float32)
        out[start:stop] = mix / np.linalg.norm(mix, axis=1, keepdims=True)
    return out


def env(code: Path | None = None) -> dict[str, str]:
    out = {**os.environ, **ENV}
    out["PYTHONPATH"] = str(code or Path(__file__).resolve().parent.parent)
    return out


# -- serve / CLI -----------------------------------------------------------------------------------
def rss_tree(pid: int) -> int:
    import psutil

    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])


def hwm_tree(pid: int) -> int:
    """The largest peak resident set (``VmHWM``) in the process tree, in bytes: transient copies
    made while starting count here even when they are freed before health answers."""
    import psutil

    proc = psutil.Process(pid)
    peak = 0
    for p in [proc, *proc.children(recursive=True)]:
        with open(f"/proc/{p.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
    return peak


def serve_once(data_dir: Path, code: Path | None, warm_wait: float = 900) -> dict[str, Any]:
    """Start ``leian serve``; seconds to a healthy answer and RSS then; then (up to ``warm_wait``
    seconds) until health says every warmed part is ready, and RSS then."""
    port = free_port()
    cmd = [sys.executable, "-m", "api.cli", "--data-dir", str(data_dir), "serve", "--port", str(port)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env(code), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=code)
    health: dict[str, Any] = {}
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as resp:
                    health = json.loads(resp.read())
                    break
            except OSError:
                time.sleep(0.1)
        healthy = time.perf_counter() - t0
        rss_healthy, hwm_healthy = rss_tree(proc.pid), hwm_tree(proc.pid)
        warm = None
        steps: dict[str, float] = {}  # seconds from the start until each warm-up step was first seen done
        deadline = time.perf_counter() + warm_wait
        while time.perf_counter() < deadline:  # until everything warmed in the background is ready
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=30) as resp:
                health = json.loads(resp.read())
            states = health.get("warm") or {"router": health.get("router")}
            for name, state in states.items():
                if state in ("ready", "failed") and name not in steps:
                    steps[name] = time.perf_counter() - t0
            if all(v == "ready" for v in states.values()):
                warm = time.perf_counter() - t0
                break
            time.sleep(0.2)
        rss_warm = rss_tree(proc.pid)
        return {
            "healthy_s": healthy,
            "warm_s": warm,
            "steps": steps,
            "rss_healthy": rss_healthy,
            "hwm_healthy": hwm_healthy,
            "rss_warm": rss_warm,
            "hwm_warm": hwm_tree(proc.pid),
            "health": health,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def cli_search(data_dir: Path, code: Path | None, text: str) -> dict[str, float]:
    """Wall seconds and peak RSS (the child's maximum resident set) of one ``leian search``."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "api.cli", "--data-dir", str(data_dir), "search", text, "-k", "5"]
    subprocess.run(cmd, env=env(code), check=True, capture_output=True, cwd=code)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"wall_s": wall, "peak_rss": float(peak), "peak_known": float(peak > before * 1024)}


def cli_search_isolated(data_dir: Path, code: Path | None, text: str) -> dict[str, float]:
    """``cli_search`` in a fresh child of its own, so the peak RSS is this command's alone."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.startup", "_cli", "--dir", str(data_dir), "--text", text]
        + (["--before", str(code)] if code else []),
        capture_output=True,
        text=True,
        check=True,
        env=env(),
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def serve_report(data_dir: Path, before: Path | None, runs: int, warm_wait: float = 900) -> str:
    text = "小区物业擅自上调物业费，电梯长期故障无人维修"
    empty = Path(tempfile.mkdtemp(prefix="leian-empty-"))
    n = count_cases(data_dir)
    lines = [
        f"`leian serve` and `leian search` on {n:,} cases ({data_dir}); {load_average()} at start.",
        "",
        "| code | run | to healthy s | RSS at healthy MB | peak RSS to healthy MB | everything warm s | RSS warm MB | "
        "`leian search` s | `leian search` peak RSS MB | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    rows: dict[str, list[dict[str, Any]]] = {}
    try:
        for label, code in (("empty data directory (runtime + models)", None), ("this change", None)):
            target = empty if label.startswith("empty") else data_dir
            for run in range(runs if target is data_dir else 1):
                s = serve_once(target, code, warm_wait=warm_wait if run == 0 else 0)
                c = cli_search_isolated(target, code, text)
                rows.setdefault(label, []).append({**s, **c})
                lines.append(row(label, run, s, c))
                print(lines[-1], flush=True)
        if before is not None:
            for run in range(runs):
                s = serve_once(data_dir, before, warm_wait=0)  # the router warm-up is the same code
                c = cli_search_isolated(data_dir, before, text)
                rows.setdefault("before", []).append({**s, **c})
                lines.append(row("before (base commit)", run, s, c))
                print(lines[-1], flush=True)
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    last = rows["this change"][-1]
    base = rows["empty data directory (runtime + models)"][0]
    lines += [
        "",
        f"Beyond the runtime and models (this change minus the empty directory, last run): "
        f"{(last['rss_warm'] - base['rss_warm']) / 1e6:,.0f} MB warm, "
        f"{(last['peak_rss'] - base['peak_rss']) / 1e6:,.0f} MB for `leian search`.",
    ]
    if "before" in rows:
        old = rows["before"][-1]
        lines.append(
            f"Ratios this change / before (last runs): to healthy {last['healthy_s'] / old['healthy_s']:.2f}, "
            f"RSS at healthy {last['rss_healthy'] / old['rss_healthy']:.2f}, "
            f"`leian search` wall {last['wall_s'] / old['wall_s']:.2f}, "
            f"peak RSS {last['peak_rss'] / old['peak_rss']:.2f}."
        )
    lines.append(f"Health at the end: `{json.dumps(last['health'], ensure_ascii=False)}`")
    return "\n".join(lines)


def row(label: str, run: int, s: dict[str, Any], c: dict[str, float]) -> str:
    warm = f"{s['warm_s']:.1f}" if s["warm_s"] is not None else "—"
    return (
        f"| {label} | {run + 1} | {s['healthy_s']:.1f} | {s['rss_healthy'] / 1e6:,.0f} | "
        f"{s['hwm_healthy'] / 1e6:,.0f} | {warm} | "
        f"{s['rss_warm'] / 1e6:,.0f} | {c['wall_s']:.1f} | {c['peak_rss'] / 1e6:,.0f} | {load_average()} |"
    )


def count_cases(data_dir: Path) -> int:
    import sqlite3

    db = data_dir / "leian.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0])


# -- query latency ---------------------------------------------------------------------------------
def pct(samples: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(samples) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def query_report(data_dir: Path, n_queries: int) -> str:
    from kb.service import LeianService
    from kb.settings import load_settings

    os.environ.update(ENV)
    settings = load_settings().with_(data_dir=data_dir)
    t0 = time.perf_counter()
    svc = LeianService(settings, segmenter=segmenter())
    opened = time.perf_counter() - t0
    texts = [c["content"][:120] for c in cases(n_queries, 977)]
    encoder = svc.encoder
    encoded: list[float] = []
    original = encoder.encode

    def timed_encode(batch: list[str]) -> Any:
        t = time.perf_counter()
        try:
            return original(batch)
        finally:
            encoded.append(time.perf_counter() - t)

    encoder.encode = timed_encode  # type: ignore[method-assign]
    for text in texts[:5]:  # warm the model and the mapped pages
        svc.search_with_flags(text=text, k=10)
    encoded.clear()
    total: list[float] = []
    for text in texts:
        t = time.perf_counter()
        svc.search_with_flags(text=text, k=10)
        total.append(time.perf_counter() - t)
    rest = [t - e for t, e in zip(total, encoded, strict=True)]
    n = svc.cases.count()
    ids = np.random.default_rng(1).integers(1, n + 1, n_queries).tolist()
    by_case: list[float] = []
    calls_before = len(encoded)
    for case_id in ids:
        t = time.perf_counter()
        svc.search_with_flags(case_id=int(case_id), k=10)
        by_case.append(time.perf_counter() - t)
    case_encodings = len(encoded) - calls_before
    e50, e99 = pct(encoded[:n_queries])
    r50, r99 = pct(rest)
    t50, t99 = pct(total)
    c50, c99 = pct(by_case)
    lines = [
        f"In-process `LeianService.search_with_flags` on {n:,} cases (opened in {opened:.1f} s), USE-m3 "
        f"(threads={settings.threads}), hybrid, k=10, {len(texts)} held-out petition openings (120 characters); "
        f"{load_average()}.",
        "",
        "| part | p50 ms | p99 ms | p50 / encoding p50 | p99 / encoding p99 |",
        "|---|---|---|---|---|",
        f"| query encoding (reference, timed inside the encoder) | {e50:.1f} | {e99:.1f} | 1.00 | 1.00 |",
        f"| everything but the encoding | {r50:.1f} | {r99:.1f} | {r50 / e50:.2f} | {r99 / e99:.2f} |",
        f"| whole text query | {t50:.1f} | {t99:.1f} | {t50 / e50:.2f} | {t99 / e99:.2f} |",
        f"| case-id query ({case_encodings} encodings in {len(ids)} queries) | {c50:.1f} | {c99:.1f} | "
        f"{c50 / e50:.2f} | {c99 / e99:.2f} |",
    ]
    # Filtered searches at several selectivities against the unfiltered ones, same texts.
    encoder.encode = original  # type: ignore[method-assign]
    filters = selectivity_filters(svc)
    vectors_by_text = {t: svc.query_for_text(t) for t in texts[:200]}
    lines += [
        "",
        "Filtered searches (the same 200 queries, encoded beforehand; `CaseService.search` minus encoding). "
        "before = the allow-list read from the database on every query and pushed into both indexes; "
        "after = the filter cache (kb/storage/filter_cache.py) and allow-lists as a FAISS bitmap / BM25 mask; "
        f"each query runs both ways in turn; {load_average()}:",
        "",
        "| filter | allowed cases | before p50 / p99 ms | before p99 / unfiltered p99 "
        "| after p50 / p99 ms | after p99 / unfiltered p99 |",
        "|---|---|---|---|---|---|",
    ]
    base: dict[bool, float] = {}
    for label, flt in filters.items():
        allowed = n if flt.is_empty() else int(svc.cases.filter_ids(flt).shape[0])
        samples: dict[bool, list[float]] = {False: [], True: []}
        for text, query in vectors_by_text.items():
            svc.case_service.query_for_text = lambda _t, q=query: q  # type: ignore[method-assign]
            for after in (False, True):
                optimised(svc, after)
                t = time.perf_counter()
                svc.case_service.search(text=text, filters=flt, k=10)
                samples[after].append(time.perf_counter() - t)
        row = f"| {label} | {allowed:,} |"
        for after in (False, True):
            p50, p99 = pct(samples[after])
            base.setdefault(after, p99)
            row += f" {p50:.1f} / {p99:.1f} | {p99 / base[after]:.2f} |"
        lines.append(row)
    lines.append(f"\n({load_average()} at the end.)")
    svc.db.close()
    return "\n".join(lines)


def selectivity_filters(svc: Any) -> dict[str, Any]:
    """The filters the query benches compare with the unfiltered search, from 1 % of the cases to
    about 80 %: label -> ``SearchFilters``."""
    from kb.domain import SearchFilters

    cities = [v for v, _ in svc.cases.facet("city")]
    return {
        "unfiltered": SearchFilters(),
        "one city": SearchFilters(cities=[cities[0]]),
        "smallest city": SearchFilters(cities=[cities[-1]]),
        "status resolved": SearchFilters(statuses=["resolved"]),
        "half the cities": SearchFilters(cities=cities[: len(cities) // 2]),
        "one city, resolved, 2024": SearchFilters(
            cities=[cities[0]], statuses=["resolved"], date_from=dt.date(2024, 1, 1)
        ),
    }


def optimised(svc: Any, on: bool) -> None:
    """Switch the filtered-search speed-ups on (after) or off (before): the filter cache, and
    allow-lists as bitmaps in FAISS and masks in BM25 instead of hash sets and sorted searches."""
    from kb.storage.filter_cache import FilterCache

    cases = svc.index.cases
    if not on:
        cases.filter_cache = None
    elif cases.filter_cache is None:
        cases.filter_cache = getattr(svc, "_bench_cache", None) or FilterCache()
        svc._bench_cache = cases.filter_cache
    svc.index.vectors.bitmap_filters = on
    svc.index.lexical.mask_filters = on


def dense_filter_report(data_dir: Path, n_queries: int) -> str:
    """The dense side alone under allow-lists of several sizes: the IVF scan of every list with a
    selector (before, for any list of up to 20,000 ids) against ``FaissIndex.search`` (after), same
    queries; the overlap of their top 10 is the after side's recall against the complete scan."""
    import sqlite3

    import faiss

    from indexing.vectors import load_index_with_meta
    from indexing.vectors.faiss_index import FaissIndex

    faiss.omp_set_num_threads(1)
    index, _ = load_index_with_meta(data_dir / "vectors.index", {})
    assert isinstance(index, FaissIndex)
    rng = np.random.default_rng(3)
    with sqlite3.connect(data_dir / "leian.db") as conn:
        cities = [r[0] for r in conn.execute("SELECT city, COUNT(*) c FROM cases GROUP BY city ORDER BY c DESC")]
        lists = {
            "one city": conn.execute("SELECT id FROM cases WHERE city = ?", (cities[0],)).fetchall(),
            "smallest city": conn.execute("SELECT id FROM cases WHERE city = ?", (cities[-1],)).fetchall(),
            "1 % random": [(int(i),) for i in rng.choice(np.arange(1, len(index) + 1), len(index) // 100)],
        }
    ids = index.sorted_ids()
    queries = index._index.reconstruct_batch(rng.choice(ids, n_queries)) + rng.normal(0, 0.02, (n_queries, 512))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)

    def timed(fn: Any) -> tuple[float, float]:
        samples = []
        for q in queries:
            t = time.perf_counter()
            fn(q[None, :])
            samples.append(time.perf_counter() - t)
        return pct(samples)

    u50, u99 = timed(lambda q: index.search(q, 10))
    lines = [
        f"Dense side only, {len(index):,} vectors ({index.kind}, nprobe {index.nprobe}), {n_queries} queries, "
        f"one FAISS thread; {load_average()}.",
        "",
        "| allow-list | ids | before: scan every list p50 / p99 ms | after: `search` (widened nprobe) p50 / p99 ms "
        "| after p99 / unfiltered p99 | top-10 overlap with the full scan |",
        "|---|---|---|---|---|---|",
        f"| none (unfiltered) | {len(index):,} | {u50:.2f} / {u99:.2f} | — | 1.00 | — |",
    ]
    for label, rows in lists.items():
        allowed = np.unique(np.asarray([r[0] for r in rows], dtype=np.int64))
        nlist = int(index._index.nlist)
        b50, b99 = timed(lambda q, a=allowed, nl=nlist: index._search(q, 10, a, nl))
        a50, a99 = timed(lambda q, a=allowed: index.search(q, 10, a))
        same = np.mean(
            [
                len(
                    set(index._search(q[None, :], 10, allowed, nlist)[1][0])
                    & set(index.search(q[None, :], 10, allowed)[1][0])
                )
                / 10
                for q in queries[:50]
            ]
        )
        lines.append(
            f"| {label} | {allowed.shape[0]:,} | {b50:.2f} / {b99:.2f} | {a50:.2f} / {a99:.2f} "
            f"| {a99 / u99:.2f} | {same:.3f} |"
        )
    return "\n".join(lines)


def forget_router_models(data_dir: Path) -> None:
    """Delete the stored routing models (migration 34) so the next start fits, as a first start does."""
    import sqlite3

    conn = sqlite3.connect(data_dir / "leian.db")
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'router_models'").fetchone():
            conn.execute("DELETE FROM router_models")
            conn.commit()
    finally:
        conn.close()


def warm_report(data_dir: Path, before: Path | None, starts: int, warm_wait: float) -> str:
    """Seconds from ``leian serve`` start until each warm-up step is done, and RSS, per start: the
    reference code once, then this change's first start (the routing models fitted and stored;
    stored ones are deleted first) and later starts (loaded from the database)."""
    n = count_cases(data_dir)
    lines = [
        f"`leian serve` warm-up on {n:,} cases ({data_dir}); {load_average()} at start.",
        "",
        "| code | start | to healthy s | encoder ready s | router ready s | model_cases ready s | "
        "RSS at healthy MB | RSS warm MB | peak RSS MB | routing models | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def fmt(x: float | None) -> str:
        return "—" if x is None else f"{x:.1f}"

    runs: list[tuple[str, int, Path | None]] = [("before (base commit)", 1, before)] if before else []
    runs += [("this change", i + 1, None) for i in range(starts)]
    for label, start, code in runs:
        if code is None and start == 1:
            forget_router_models(data_dir)
        s = serve_once(data_dir, code, warm_wait=warm_wait)
        sources = s["health"].get("router_models") or {}
        models = ", ".join(f"{t} {v['source']} {v['seconds']:.1f} s" for t, v in sources.items()) or "—"
        steps = s["steps"]
        lines.append(
            f"| {label} | {start} | {s['healthy_s']:.1f} | {fmt(steps.get('encoder'))} | {fmt(steps.get('router'))} | "
            f"{fmt(steps.get('model_cases'))} | {s['rss_healthy'] / 1e6:,.0f} | {s['rss_warm'] / 1e6:,.0f} | "
            f"{s['hwm_warm'] / 1e6:,.0f} | {models} | {load_average()} |"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    sub = parser.add_subparsers(dest="part", required=True)
    b = sub.add_parser("build")
    b.add_argument("--n", type=int, default=100_000)
    b.add_argument("--dir", type=Path, required=True)
    b.add_argument("--encoder", default="use-m3", help="the encoder the directory is recorded as indexed with")
    s = sub.add_parser("serve")
    s.add_argument("--dir", type=Path, required=True)
    s.add_argument("--before", type=Path, default=None, help="checkout of the reference code")
    s.add_argument("--runs", type=int, default=2)
    s.add_argument("--warm-wait", type=float, default=900, help="seconds to wait for the warm-up after healthy")
    w = sub.add_parser("warm")
    w.add_argument("--dir", type=Path, required=True)
    w.add_argument("--before", type=Path, default=None, help="checkout of the reference code")
    w.add_argument("--starts", type=int, default=2, help="starts of this change (the first fits, the rest load)")
    w.add_argument("--warm-wait", type=float, default=900, help="seconds to wait for the warm-up after healthy")
    q = sub.add_parser("query")
    q.add_argument("--dir", type=Path, required=True)
    q.add_argument("--queries", type=int, default=600)
    f = sub.add_parser("dense-filter")
    f.add_argument("--dir", type=Path, required=True)
    f.add_argument("--queries", type=int, default=200)
    c = sub.add_parser("_cli")
    c.add_argument("--dir", type=Path, required=True)
    c.add_argument("--text", required=True)
    c.add_argument("--before", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.part == "build":
        build(args.dir, args.n, args.encoder)
    elif args.part == "serve":
        write_fragment(
            f"startup_{count_cases(args.dir)}", serve_report(args.dir, args.before, args.runs, args.warm_wait)
        )
    elif args.part == "warm":
        write_fragment(f"warm_{count_cases(args.dir)}", warm_report(args.dir, args.before, args.starts, args.warm_wait))
    elif args.part == "query":
        write_fragment(f"query_{count_cases(args.dir)}", query_report(args.dir, args.queries))
    elif args.part == "dense-filter":
        write_fragment(f"dense_filter_{count_cases(args.dir)}", dense_filter_report(args.dir, args.queries))
    else:
        print(json.dumps(cli_search(args.dir, args.before, args.text)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
