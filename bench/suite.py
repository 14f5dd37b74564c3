"""The benchmark table of docs/benchmarks.md in one dated run: ``./run bench`` (or ``python -m bench.suite``).

Each step is one of the bench modules with sizes chosen so the whole run ends within about 30
minutes on 2 shared cores. Every step prints its own figures as ratios against a reference measured
in the same process; the suite adds the machine's load before and after each step, so a reader can
tell a busy run from an idle one, and writes everything to ``var/bench/<date>/``:
``report.md`` (one section per step: command, load, wall time, the step's figures) and one raw log
per step. Steps that need ``../shared/eval`` (or ``LEIAN_EVAL_DIR``) are skipped, and said to be,
when the folder is absent.

    python -m bench.suite                 # every step
    python -m bench.suite --only encoder search_service
    python -m bench.suite --list
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Step:
    name: str
    args: tuple[str, ...]
    about: str
    needs_eval: bool = False


STEPS: tuple[Step, ...] = (
    Step(
        "encoder",
        ("bench.encoder", "--n", "400", "--rounds", "2"),
        "USE-m3 reference vs int8 (onnxruntime): docs/s, cosine",
    ),
    Step(
        "ingest", ("bench.ingest", "--n", "1200", "--repeats", "2"), "in-process and pooled ingest vs the raw encoder"
    ),
    Step(
        "search_service",
        ("bench.search", "service", "--n", "600"),
        "text query p50/p99 vs its own encoding; case-id query",
    ),
    Step(
        "bm25_peer",
        ("bench.bm25_peer", "--n", "20000", "--queries", "200"),
        "BM25 query time vs bm25s on the same tokens",
    ),
    Step(
        "persistence", ("bench.persistence", "--n", "20000", "--writes", "6"), "journal vs snapshot rewrite per write"
    ),
    Step(
        "milvus_vs_faiss",
        ("bench.milvus_vs_faiss", "--n", "20000", "--queries", "100"),
        "Milvus Lite vs FAISS, filtered",
    ),
    Step(
        "filter_cost",
        ("bench.filter_cost", "--build", "100000", "--queries", "100", "--rounds", "2"),
        "filtered search vs unfiltered at 100,000 cases, CPU time and wall clock per query",
    ),
    Step("repeats", ("bench.repeats", "samples"), "repeat detection precision/recall on the samples"),
    Step("wording", ("bench.wording",), "short colloquial queries P@5 by issue type"),
    Step("locality", ("bench.locality",), "locality from place names vs the classifier", needs_eval=True),
    Step("group_grain", ("bench.group_grain", "samples"), "matter-level groups on the demo corpus"),
    Step(
        "postgres_store", ("bench.postgres_store", "--rounds", "1"), "import and case-list pages, PostgreSQL vs SQLite"
    ),
    Step("feedback", ("bench.feedback",), "ranking from relevance marks, held-out queries", needs_eval=True),
    Step(
        "triplets_fusion", ("bench.triplets_fusion",), "CAIL triplets, hybrid vs char-bigram channel", needs_eval=True
    ),
)


def eval_dir() -> Path:
    return Path(os.environ.get("LEIAN_EVAL_DIR") or REPO.parent / "shared" / "eval")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def run_step(step: Step, out: Path) -> tuple[str, bool]:
    """Run one step; returns its section of the report and whether it succeeded (or was skipped)."""
    command = " ".join(("python -m", *step.args))
    head = f"## {step.name}\n\n{step.about}\n\n`{command}`\n\n"
    if step.needs_eval and not eval_dir().is_dir():
        return head + f"跳过 / skipped: {eval_dir()} is absent.\n", True
    before = load()
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", *step.args], cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    (out / f"{step.name}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr, encoding="utf-8")
    status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
    figures = proc.stdout.strip() or "(no output)"
    tail = "\n".join(proc.stderr.strip().splitlines()[-15:]) if proc.returncode else ""
    return (
        head
        + f"- status: {status}\n- load (1/5/15 min) before: {before}; after: {load()}\n"
        + f"- wall: {wall:.0f} s (machine-dependent; the figures below are ratios within the step)\n\n"
        + "```\n"
        + figures
        + "\n```\n"
        + (f"\nstderr (last lines):\n```\n{tail}\n```\n" if tail else "")
    ), proc.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", nargs="*", help="step names to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the steps and exit")
    parser.add_argument("--out", type=Path, help="output folder (default var/bench/<date-time>)")
    opts = parser.parse_args(argv)
    if opts.list:
        for step in STEPS:
            print(f"{step.name:18} python -m {' '.join(step.args)}  # {step.about}")
        return 0
    chosen = [s for s in STEPS if not opts.only or s.name in opts.only]
    unknown = sorted(set(opts.only or ()) - {s.name for s in STEPS})
    if unknown:
        parser.error(f"unknown steps: {', '.join(unknown)}")
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    out = opts.out or REPO / "var" / "bench" / stamp
    out.mkdir(parents=True, exist_ok=True)
    report = [
        f"# Leian benchmark run {stamp}\n",
        f"cores: {os.cpu_count()}; load at start (1/5/15 min): {load()}; python {sys.version.split()[0]}\n",
    ]
    failed = 0
    for step in chosen:
        print(f"[bench] {step.name} …", file=sys.stderr, flush=True)
        section, ok = run_step(step, out)
        failed += not ok
        report.append(section)
        (out / "report.md").write_text("\n".join(report), encoding="utf-8")
    print(f"[bench] report: {out / 'report.md'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
