"""CLI: ``python -m samplegen --n 2400 --seed 20261127 --out data/samples``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .generate import DEFAULT_END, DEFAULT_SEED, DEFAULT_START, write_samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m samplegen",
        description="Generate synthetic petition cases (cases.jsonl) and their "
        "ground truth (truth.jsonl). Output is deterministic for the same arguments.",
    )
    parser.add_argument("--n", type=int, default=2400, help="number of cases (default 2400)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=Path("data/samples"), help="output directory")
    parser.add_argument("--start", default=DEFAULT_START, help="first received date, ISO (default %(default)s)")
    parser.add_argument("--end", default=DEFAULT_END, help="last received date, ISO (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="do not print a summary")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("--n must be >= 0")
    t0 = time.perf_counter()
    write_samples(args.out, n=args.n, seed=args.seed, start=args.start, end=args.end)
    if not args.quiet:
        print(
            f"wrote {args.n} cases to {args.out}/cases.jsonl and truth.jsonl in {time.perf_counter() - t0:.1f}s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
