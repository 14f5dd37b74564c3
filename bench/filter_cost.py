"""What a filter adds to a search, in CPU time per query: filtered vs unfiltered at 100,000+ cases.

    python -m bench.startup build --n 100000 --dir /tmp/leian-100k
    python -m bench.filter_cost --dir /tmp/leian-100k --queries 200 --rounds 3
    python -m bench.filter_cost --build 100000 --queries 100 --rounds 2   # builds a temporary directory

Wall-clock p99s on a shared 2-core host are mostly time spent waiting for a core (an unfiltered
p99 of 82 ms for a 24 ms p50 at load 12, docs/benchmarks.md), so a "p99 within 2× unfiltered"
target read off wall clocks passes or fails with the neighbours' load. This bench times each
search twice: by the wall clock and by the calling thread's CPU time (``time.thread_time``), which
does not grow while the thread waits for a core. With ``LEIAN_THREADS=1`` FAISS and BM25 run in
the calling thread, so its CPU time is the whole search's (the change-log poller's thread is not
counted: it is idle during the run).

The queries are ``bench.corpus`` petitions of another seed than the corpus, encoded once
beforehand (the encoding is the same for every filter and is not what a filter changes); each
round runs every query under every filter in turn (interleaved, so a load burst hits all filters
alike), and the report gives, per filter, the p50 and p99 over all rounds and the spread of the
per-round p99 ratio. The filter cache is warm after a filter's first query, as in a server.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.corpus import cases, segmenter, write_fragment
from bench.startup import ENV, build, count_cases, load_average, pct, selectivity_filters


def report(data_dir: Path, n_queries: int, rounds: int) -> str:
    from kb.service import LeianService
    from kb.settings import load_settings

    os.environ.update(ENV)
    settings = load_settings().with_(data_dir=data_dir)
    svc = LeianService(settings, segmenter=segmenter())
    try:
        filters = selectivity_filters(svc)
        n = svc.cases.count()
        allowed = {
            label: n if flt.is_empty() else int(svc.cases.filter_ids(flt).shape[0]) for label, flt in filters.items()
        }
        texts = [c["content"][:120] for c in cases(n_queries, 977)]
        queries = [(text, svc.query_for_text(text)) for text in texts]
        search = svc.case_service.search
        for text, query in queries[:5]:  # warm the mapped pages and the filter cache
            setattr(svc.case_service, "query_for_text", lambda _t, q=query: q)  # noqa: B010 - pin the encoded query
            for flt in filters.values():
                search(text=text, filters=flt, k=10)
        wall: dict[str, list[list[float]]] = {label: [] for label in filters}
        cpu: dict[str, list[list[float]]] = {label: [] for label in filters}
        load_before = load_average()
        for _ in range(rounds):
            for label in filters:
                wall[label].append([])
                cpu[label].append([])
            for text, query in queries:
                setattr(svc.case_service, "query_for_text", lambda _t, q=query: q)  # noqa: B010 - pin the encoded query
                for label, flt in filters.items():
                    w, c = time.perf_counter(), time.thread_time()
                    search(text=text, filters=flt, k=10)
                    cpu[label][-1].append(time.thread_time() - c)
                    wall[label][-1].append(time.perf_counter() - w)
    finally:
        svc.db.close()
    lines = [
        f"`CaseService.search` (hybrid, k=10, queries encoded beforehand) on {n:,} cases, "
        f"{len(queries)} queries × {rounds} rounds, every query under every filter in turn; "
        f"FAISS/BM25 threads = {settings.threads}; {load_before} before, {load_average()} after.",
        "",
        "| filter | allowed cases | CPU p50 / p99 ms | CPU p99 / unfiltered CPU p99 (per-round min–max) "
        "| wall p50 / p99 ms | wall p99 / unfiltered wall p99 |",
        "|---|---|---|---|---|---|",
    ]

    def flat(runs: list[list[float]]) -> list[float]:
        return [s for run in runs for s in run]

    base_cpu, base_wall = pct(flat(cpu["unfiltered"]))[1], pct(flat(wall["unfiltered"]))[1]
    for label in filters:
        c50, c99 = pct(flat(cpu[label]))
        w50, w99 = pct(flat(wall[label]))
        per_round = [pct(cpu[label][r])[1] / pct(cpu["unfiltered"][r])[1] for r in range(rounds)]
        lines.append(
            f"| {label} | {allowed[label]:,} | {c50:.2f} / {c99:.2f} | **{c99 / base_cpu:.2f}** "
            f"({min(per_round):.2f}–{max(per_round):.2f}) | {w50:.1f} / {w99:.1f} | {w99 / base_wall:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.filter_cost", description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--dir", type=Path, help="a data directory (bench.startup build)")
    where.add_argument("--build", type=int, metavar="N", help="build N cases into a temporary directory first")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="leian-filter-cost-")) if args.build else None
    try:
        data_dir = args.dir
        if scratch is not None:
            data_dir = scratch / "data"
            build(data_dir, args.build)
        text = report(data_dir, args.queries, args.rounds)
        print(text)
        write_fragment(f"filter_cost_{count_cases(data_dir)}", text)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
