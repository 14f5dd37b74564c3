"""What one snapshot of the vector index costs in memory: the streamed save vs FAISS's buffer.

    python -m bench.snapshot_memory --n 1000000 --dim 512

Builds a FAISS ``SQ8`` index of ``n`` random ``dim``-dimensional vectors through ``FaissIndex``
(8-bit codes: the bytes per case of the ``IVF…,SQ8`` index Leian chooses at that size), then
saves it twice into a temporary folder, each save in a fresh child process that loads the same
index from the file first: once through ``save_index`` (the payload streamed in 1 MB pieces,
``FaissIndex.write_to``) and once through the buffer path every save used before
(``save_index_file(path, index.to_buffer(), …)``: ``faiss.serialize_index``'s array). Each child
reports its peak RSS (VmHWM) just before the save and after it; the difference is what the save
added. The vectors are not the model's, which does not change what a save holds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

STAMP = {"encoder": "bench", "backend": "faiss"}


def hwm_mib() -> float:
    with open("/proc/self/status") as fh:
        return int(next(line for line in fh if line.startswith("VmHWM:")).split()[1]) / 1024


def child(path: Path, dim: int, how: str) -> None:
    from indexing.vectors import load_index, save_index
    from indexing.vectors.base import save_index_file

    index = load_index(path, {**STAMP, "dim": dim})
    before = hwm_mib()
    out = path.with_name(f"{how}.index")
    if how == "streamed":
        save_index(index, out, {**STAMP, "dim": dim})
    else:
        save_index_file(out, index.to_buffer(), {**STAMP, "dim": dim})  # type: ignore[attr-defined]
    print(json.dumps({"before": before, "after": hwm_mib(), "file_mib": out.stat().st_size / 2**20}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.snapshot_memory", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--_child", nargs=3, metavar=("PATH", "DIM", "HOW"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        child(Path(args._child[0]), int(args._child[1]), args._child[2])
        return 0
    from indexing.vectors import save_index
    from indexing.vectors.faiss_index import FaissIndex

    with tempfile.TemporaryDirectory(prefix="leian-snapshot-") as tmp:
        path = Path(tmp) / "base.index"
        index = FaissIndex(args.dim, "SQ8")
        rng = np.random.default_rng(0)
        index.bulk_load(
            args.n,
            lambda rows: rng.standard_normal((len(rows), args.dim)).astype(np.float32),
            (
                (np.arange(s, min(args.n, s + 50_000)), rng.standard_normal((min(args.n, s + 50_000) - s, args.dim)))
                for s in range(0, args.n, 50_000)
            ),
        )
        save_index(index, path, {**STAMP, "dim": args.dim})
        del index
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{args.n:,} vectors × {args.dim} in a FAISS SQ8 index; load {load}\n")
        print("| save | index file MiB | peak RSS before the save MiB | after MiB | added by the save MiB |")
        print("|---|---|---|---|---|")
        for how in ("buffer", "streamed"):
            proc = subprocess.run(
                [sys.executable, "-m", "bench.snapshot_memory", "--_child", str(path), str(args.dim), how],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            label = "`serialize_index` buffer (before)" if how == "buffer" else "streamed, `write_to` (now)"
            print(
                f"| {label} | {r['file_mib']:.0f} | {r['before']:.0f} | {r['after']:.0f} | "
                f"**{r['after'] - r['before']:.0f}** |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
