"""Peak memory of the bulk paths (issue 20, item 5): ``leian ingest`` of a generated file, then
``leian reindex``, each in its own process, with the peak RSS of the process tree (the CLI and any
encoder workers), sampled every 0.2 s from /proc.

    python -m bench.bulk_memory --rows 200000 --format jsonl --encoder hashing

Rows come from the sample generator (samplegen, the bundled samples' generator), written to a
temporary file first. ``--encoder hashing`` (the fake encoder, no model) isolates what the import
itself holds; ``use-m3-int8`` / ``use-m3`` include the model. The load average is printed beside
every figure: the host is shared.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIELDS = ["external_no", "title", "content", "received_date", "city", "district", "category", "petitioner_id", "status"]


def write_rows(path: Path, n: int, fmt: str) -> None:
    from samplegen import iter_cases

    rows = ({k: c.get(k) for k in FIELDS} for c in iter_cases(n))
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    else:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(FIELDS)
        for r in rows:
            ws.append([r[k] for k in FIELDS])
        wb.save(path)


def _tree_rss(root: int) -> int:
    """RSS bytes of ``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        pid = int(entry.name)
        children.setdefault(int(stat[1]), []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1]) * 1024
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall s, peak tree RSS bytes, output tail) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout or []), daemon=True)
    reader.start()
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.2)
    reader.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{''.join(out[-30:])}")
    return time.perf_counter() - start, peak, "".join(out[-3:]).strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--format", choices=["jsonl", "csv", "xlsx"], default="jsonl")
    ap.add_argument("--encoder", default="hashing")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--steps", nargs="+", default=["ingest", "reindex"], choices=["ingest", "reindex", "groups"])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="leian-bulk-") as tmp:
        data = Path(tmp) / f"cases.{args.format}"
        t = time.perf_counter()
        write_rows(data, args.rows, args.format)
        print(f"wrote {args.rows:,} rows ({data.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - t:.0f} s")
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "LEIAN_PETITIONER_KEY": "bench-key",
            "LEIAN_MAX_IMPORT_ROWS": str(max(args.rows, 200_000)),
            "LEIAN_INGEST_WORKERS": str(args.workers),
        }
        base = [sys.executable, "-m", "api.cli", "--data-dir", str(Path(tmp) / "data"), "--encoder", args.encoder]
        commands = {
            "ingest": [*base, "ingest", str(data)],
            "reindex": [*base, "reindex"],
            "groups": [*base, "groups", "discover"],
        }
        print("| step | rows | format | encoder | wall s | rows/s | peak RSS (process tree) | load (1, 5, 15 min) |")
        print("|---|---|---|---|---|---|---|---|")
        for step in args.steps:
            wall, peak, _ = run(commands[step], env)
            load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            print(
                f"| `leian {commands[step][len(base)]}` | {args.rows:,} | {args.format} | {args.encoder} | {wall:.0f} "
                f"| {args.rows / wall:.0f} | {peak / 2**30:.2f} GB | {load} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
