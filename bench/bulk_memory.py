"""Peak memory of the bulk paths (issue 20, item 5): ``leian ingest`` of a generated file, then
``leian reindex``, each in its own process, with the peak RSS of the process tree (the CLI and any
encoder workers), sampled every 0.2 s from /proc.

    python -m bench.bulk_memory --rows 200000 --format jsonl --encoder hashing
    python -m bench.bulk_memory --rows 1000000 --steps ingest --dir /big/disk --log ingest.log --reference

``--dir`` puts the generated file and the data directory on a disk of your choice (a million rows
need a few GB; the default is the system's temporary directory). ``--log`` appends a line every
``--log-every`` seconds (tree RSS, peak so far, CPU seconds, load average) and every output line of
the step, timestamped, so an unfinished run still tells the growth per 1,000 rows. A step whose tree
passes ``--max-rss-gb`` (default 8) is stopped. ``--reference`` first runs each step on a 100-row
file: its peak is the runtime's share (interpreter, libraries, models), and the table gives what
the big file adds beyond it.
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
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TextIO

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
    return _tree(root)[0]


def _tree(root: int) -> tuple[int, float]:
    """(RSS bytes, CPU seconds so far) of ``root`` and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    cpu: dict[int, float] = {}
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
        cpu[pid] = (int(stat[11]) + int(stat[12])) / tick
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1]) * 1024
    total, seconds, todo = 0, 0.0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        seconds += cpu.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total, seconds


class StepFailed(SystemExit):
    """A step exited with an error or was stopped above the RSS limit."""


def _stamp() -> str:
    return time.strftime("%H:%M:%S", time.gmtime())


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run(
    cmd: list[str],
    env: dict[str, str],
    *,
    log: TextIO | None = None,
    log_every: float = 10.0,
    max_rss: int | None = None,
) -> tuple[float, int, float, str]:
    """(wall s, peak tree RSS bytes, CPU s of the tree, output tail) of one command.

    ``log``: a timeline line every ``log_every`` s and each output line, timestamped. ``max_rss``:
    the command's process group is killed when the tree passes it (``StepFailed``)."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    peak = 0
    out: list[str] = []

    def read() -> None:
        for line in proc.stdout or []:
            out.append(line)
            if log is not None:
                log.write(f"{_stamp()} | {line.rstrip()}\n")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    next_line, stopped = 0.0, False
    while proc.poll() is None:
        rss, cpu = _tree(proc.pid)
        peak = max(peak, rss)
        elapsed = time.perf_counter() - start
        if log is not None and elapsed >= next_line:
            log.write(
                f"{_stamp()} t={elapsed:.0f}s rss={rss / 2**20:.0f}MiB peak={peak / 2**20:.0f}MiB "
                f"cpu={cpu:.0f}s load={_load()}\n"
            )
            log.flush()
            next_line = elapsed + log_every
        if max_rss is not None and rss > max_rss:
            stopped = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.2)
    reader.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    wall = time.perf_counter() - start
    if log is not None:
        log.write(f"{_stamp()} end t={wall:.0f}s peak={peak / 2**20:.0f}MiB cpu={cpu_s:.0f}s load={_load()}\n")
        log.flush()
    if stopped:
        raise StepFailed(
            f"{' '.join(cmd)} stopped above {(max_rss or 0) / 2**30:.2f} GB RSS (peak {peak / 2**30:.2f} GB)"
        )
    if proc.returncode:
        raise StepFailed(f"{' '.join(cmd)} failed ({proc.returncode}):\n{''.join(out[-30:])}")
    return wall, peak, cpu_s, "".join(out[-3:]).strip()


def measure(
    rows: int,
    fmt: str,
    encoder: str,
    workers: int,
    steps: list[str],
    parent: Path | None,
    *,
    log: TextIO | None = None,
    log_every: float = 10.0,
    max_rss: int | None = None,
) -> list[tuple[str, float, int, float]]:
    """(step, wall s, peak tree RSS bytes, CPU s) of each step on a generated file of ``rows`` rows."""
    with tempfile.TemporaryDirectory(prefix="leian-bulk-", dir=parent) as tmp:
        data = Path(tmp) / f"cases.{fmt}"
        t = time.perf_counter()
        write_rows(data, rows, fmt)
        print(
            f"wrote {rows:,} rows ({data.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - t:.0f} s", flush=True
        )
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "LEIAN_PETITIONER_KEY": "bench-key",
            "LEIAN_MAX_IMPORT_ROWS": str(max(rows, 200_000)),
            "LEIAN_INGEST_WORKERS": str(workers),
        }
        base = [sys.executable, "-m", "api.cli", "--data-dir", str(Path(tmp) / "data"), "--encoder", encoder]
        commands = {
            "ingest": [*base, "ingest", str(data)],
            "reindex": [*base, "reindex"],
            "groups": [*base, "groups", "discover"],
        }
        results = []
        for step in steps:
            wall, peak, cpu, _ = run(commands[step], env, log=log, log_every=log_every, max_rss=max_rss)
            results.append((step, wall, peak, cpu))
        return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--format", choices=["jsonl", "csv", "xlsx"], default="jsonl")
    ap.add_argument("--encoder", default="hashing")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--steps", nargs="+", default=["ingest", "reindex"], choices=["ingest", "reindex", "groups"])
    ap.add_argument("--dir", type=Path, default=None, help="where the file and data directory go")
    ap.add_argument("--log", type=Path, default=None, help="timeline of RSS, CPU, load and the step's output")
    ap.add_argument("--log-every", type=float, default=10.0)
    ap.add_argument("--max-rss-gb", type=float, default=8.0, help="stop a step whose tree passes this")
    ap.add_argument("--reference", action="store_true", help="first run the steps on 100 rows (runtime share)")
    args = ap.parse_args(argv)
    log = args.log.open("a", encoding="utf-8", buffering=1) if args.log else None
    options = {"log": log, "log_every": args.log_every, "max_rss": int(args.max_rss_gb * 2**30)}
    common = (args.format, args.encoder, args.workers, args.steps, args.dir)
    reference = {}
    if args.reference:
        if log is not None:
            log.write(f"{_stamp()} reference: 100 rows\n")
        reference = {step: peak for step, _, peak, _ in measure(100, *common, **options)}
    if log is not None:
        log.write(f"{_stamp()} {args.rows:,} rows {args.format} {args.encoder} load={_load()}\n")
    print(
        "| step | rows | format | encoder | wall s | rows/s | CPU s | peak RSS (process tree) "
        "| beyond the 100-row reference | load (1, 5, 15 min) after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for step, wall, peak, cpu in measure(args.rows, *common, **options):
        beyond = (
            f"{(peak - reference[step]) / 2**30:.2f} GB (reference {reference[step] / 2**30:.2f})" if reference else "-"
        )
        print(
            f"| `leian {step}` | {args.rows:,} | {args.format} | {args.encoder} | {wall:.0f} "
            f"| {args.rows / wall:.0f} | {cpu:.0f} | {peak / 2**30:.2f} GB | {beyond} | {_load()} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
