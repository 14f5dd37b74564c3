"""Warm paths beyond one start (docs/benchmarks.md "Warm paths"): several workers starting together,
and a suggestion's cost with the labelled count cached or counted every time.

    python -m bench.warm_paths workers --dir /tmp/w100k --workers 2
    python -m bench.warm_paths suggest --dir /tmp/w1m

``workers`` deletes the stored routing models, starts ``leian serve --workers N`` with INFO logging
(a ``sitecustomize`` on ``PYTHONPATH``), waits until every worker logged its router warm-up, and
counts the fits, the loads and the waits in the log. ``suggest`` opens the service in-process
(routing models loaded or fitted first) and times ``workflow.suggest``, alternating the cached
labelled count with one counted at every call (the behaviour before the cache).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.host import free_port
from bench.startup import ENV, forget_router_models, load_average

TEXT = "小区物业擅自上调物业费，电梯长期故障无人维修"
LOGGING = (
    "import logging\nlogging.basicConfig(level=logging.INFO, format='%(asctime)s %(process)d %(name)s %(message)s')\n"
)
EVENTS = r"warm-up: |fitting the|loaded the|another worker|stored the|could not"


def workers_report(data_dir: Path, workers: int, timeout: float) -> str:
    code = Path(__file__).resolve().parent.parent
    forget_router_models(data_dir)
    with tempfile.TemporaryDirectory(prefix="leian-log-") as tmp:
        (Path(tmp) / "sitecustomize.py").write_text(LOGGING)
        log = Path(tmp) / "serve.log"
        env = {**os.environ, **ENV, "PYTHONPATH": f"{tmp}:{code}"}
        cmd = [sys.executable, "-m", "api.cli", "--data-dir", str(data_dir), "serve"]
        cmd += ["--port", str(free_port()), "--workers", str(workers)]
        start_load, t0 = load_average(), time.perf_counter()
        with open(log, "w") as fh:
            proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=code)
            try:
                while time.perf_counter() - t0 < timeout:
                    if len(re.findall(r"warm-up: router (?:ready|failed)", log.read_text())) >= workers:
                        break
                    time.sleep(0.5)
            finally:
                wall = time.perf_counter() - t0
                proc.terminate()
                proc.wait(60)
        text = log.read_text()
    lines = [
        f"`leian serve --workers {workers}` on {data_dir}, stored routing models deleted first; "
        f"{start_load} at start, {load_average()} at the end.",
        "",
        f"Routers warm in every worker after {wall:.1f} s: "
        f"{len(re.findall('fitting the .* router on', text))} fits, "
        f"{len(re.findall('loaded the .* router', text))} loads, "
        f"{len(re.findall('another worker is fitting', text))} waits.",
        "",
        "```",
        *(line[:200] for line in text.splitlines() if re.search(EVENTS, line)),
        "```",
    ]
    return "\n".join(lines)


def suggest_report(data_dir: Path, rounds: int, repeats: int) -> str:
    from kb.service import LeianService
    from kb.settings import load_settings

    os.environ.setdefault("LEIAN_PETITIONER_KEY", ENV["LEIAN_PETITIONER_KEY"])
    svc = LeianService(load_settings(data_dir=data_dir, threads=1))
    router = svc.workflow.router
    try:
        t0 = time.perf_counter()
        svc.workflow.suggest(text=TEXT)
        lines = [
            f"`workflow.suggest` in-process on {data_dir}; the first call (models ready) took "
            f"{time.perf_counter() - t0:.1f} s; routing models: {router.sources()}.",
            "",
            "| round | labelled count | median s | min s | load |",
            "|---|---|---|---|---|",
        ]
        for r in range(rounds):
            for mode in ("cached", "counted every call"):
                times = []
                for _ in range(repeats):
                    if mode != "cached":
                        router._counts.clear()
                    t = time.perf_counter()
                    svc.workflow.suggest(text=TEXT)
                    times.append(time.perf_counter() - t)
                times.sort()
                lines.append(f"| {r + 1} | {mode} | {times[len(times) // 2]:.3f} | {times[0]:.3f} | {load_average()} |")
                print(lines[-1], flush=True)
    finally:
        svc.close()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.warm_paths")
    sub = parser.add_subparsers(dest="part", required=True)
    w = sub.add_parser("workers")
    w.add_argument("--dir", type=Path, required=True)
    w.add_argument("--workers", type=int, default=2)
    w.add_argument("--timeout", type=float, default=900)
    s = sub.add_parser("suggest")
    s.add_argument("--dir", type=Path, required=True)
    s.add_argument("--rounds", type=int, default=2)
    s.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.part == "workers":
        print(workers_report(args.dir, args.workers, args.timeout))
    else:
        print(suggest_report(args.dir, args.rounds, args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
