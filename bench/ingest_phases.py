"""Where a two-encoder import of the bundled samples spends its wall time (issue 20, item 2).

    python -m bench.ingest_phases --n 1200 --workers 2 --repeats 2

Times ``CaseService._validate_into``, ``_prepare`` (segmenting and encoding) and ``_run_hooks``,
the calling process's own ``encode`` calls (and how many texts it encoded: the rest went to the
worker processes), and the time the caller spends in ``concurrent.futures.wait`` while collecting
the vectors, i.e. waiting for chunks a worker holds. One warm-up import first; USE-m3, one thread
per encoder. Wall times of a shared host: compare runs made in the same session.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.corpus import segmenter
from bench.ingest import _ingest_once, load_average, sample_rows


def _timed(totals: dict[str, float], key: str, fn: Callable[..., Any], main_only: bool = False) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if main_only and threading.current_thread() is not threading.main_thread():
            return fn(*args, **kwargs)
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[key] = totals.get(key, 0.0) + time.perf_counter() - start

    return wrapper


def run(n: int, workers: int, repeats: int) -> list[dict[str, float]]:
    import indexing.encoders.pool as pool
    import kb.cases.service as cases
    from indexing.encoders import create_encoder

    rows = sample_rows(n)
    seg = segmenter()
    seg.tokens("预热分词词典")
    encoder = create_encoder("use-m3", threads=1)
    totals: dict[str, float] = {}
    for name in ("_validate_into", "_prepare", "_run_hooks"):
        setattr(cases.CaseService, name, _timed(totals, name, getattr(cases.CaseService, name)))
    pool.wait = _timed(totals, "caller waits", pool.wait, main_only=True)
    plain = encoder.encode

    def counted(texts: Any) -> Any:
        totals["caller's texts"] = totals.get("caller's texts", 0.0) + len(texts)
        return plain(texts)

    encoder.encode = _timed(totals, "caller encodes", counted)  # type: ignore[method-assign]
    _ingest_once(rows[: min(300, n)], encoder, seg, workers)
    out = []
    for _ in range(repeats):
        totals.clear()
        start = time.perf_counter()
        _ingest_once(rows, encoder, seg, workers)
        out.append({"import": time.perf_counter() - start, **totals})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    before = load_average()
    results = run(args.n, args.workers, args.repeats)
    print(f"{args.n} samples, {args.workers} encoders; load {before} before, {load_average()} after")
    keys = ["import", "_validate_into", "_prepare", "caller encodes", "caller's texts", "caller waits", "_run_hooks"]
    print("| run | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for i, r in enumerate(results, 1):
        cells = [f"{r.get(k, 0.0):.0f}" if k == "caller's texts" else f"{r.get(k, 0.0):.2f} s" for k in keys]
        print(f"| {i} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
