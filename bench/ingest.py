"""Ingest benchmark: ``LeianService.ingest`` against raw ``encoder.encode`` on the same texts,
and how much using both cores gains (encoder threads, worker processes, segmentation overlap).

    python -m bench.ingest --n 1200 --repeats 2

Each measurement is repeated and the best run is kept (the machine is shared; best-of is the
least noisy estimate of what the code costs). Ratios are throughput against raw encoding.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpus import case_text, cases, segmenter, write_fragment

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "cases.jsonl"


def sample_rows(n: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """The bundled samples (or the same generator's output if the file is absent) as (line, row)."""
    if SAMPLES.exists():
        with SAMPLES.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    else:
        rows = cases(n or 2400)
    return list(enumerate(rows[:n] if n else rows, start=1))


def best(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _worker_encode(texts: list[str]) -> np.ndarray:
    from indexing.encoders import create_encoder

    return create_encoder("use-m3", threads=1).encode(texts)


def _ingest_once(rows: list[tuple[int, dict[str, Any]]], encoder: Any, seg: Any) -> None:
    from kb.service import LeianService
    from kb.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        svc = LeianService(
            Settings(data_dir=Path(tmp), petitioner_key="bench", threads=2), encoder=encoder, segmenter=seg
        )
        svc.ingest(rows)
        svc.close()


def run(n: int, repeats: int) -> str:
    from indexing.encoders import create_encoder

    rows = sample_rows(n)
    texts = [case_text(r) for _, r in rows]
    seg = segmenter()
    seg.tokens("预热分词词典")
    enc2 = create_encoder("use-m3", threads=2)
    enc1 = create_encoder("use-m3", threads=1)
    enc2.encode(texts[:8])
    enc1.encode(texts[:8])

    def raw2() -> None:
        for i in range(0, len(texts), 256):
            enc2.encode(texts[i : i + 256])

    t_raw = best(raw2, repeats)
    t_ingest = best(lambda: _ingest_once(rows, enc2, seg), repeats)
    t_seg = best(lambda: [seg.tokens(t) for t in texts], 1)
    t_raw1 = best(lambda: enc1.encode(texts), 1)
    # Two worker processes, one thread each, half the texts each (model load excluded by warm-up).
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_worker_encode, [texts[:4], texts[4:8]])
        half = len(texts) // 2
        t_proc = best(lambda: pool.map(_worker_encode, [texts[:half], texts[half:]]), 1)
    rate = lambda t: len(texts) / t  # noqa: E731
    lines = [
        f"{len(texts)} bundled sample petitions (mean {np.mean([len(t) for t in texts]):.0f} chars), USE-m3, "
        f"best of {repeats}.",
        "",
        "| what | docs/s | ratio |",
        "|---|---|---|",
        f"| raw `encoder.encode`, threads=2 (reference) | {rate(t_raw):.1f} | 1.00 |",
        f"| `LeianService.ingest` (validate, segment, encode, SQLite, index, save) | {rate(t_ingest):.1f} "
        f"| **{t_raw / t_ingest:.2f}** |",
        f"| jieba segmentation alone | {rate(t_seg):.0f} | share of ingest time {t_seg / t_ingest:.0%} |",
        f"| raw encode, threads=1 (one core) | {rate(t_raw1):.1f} | {t_raw / t_raw1:.2f} |",
        f"| 2 processes × threads=1 | {rate(t_proc):.1f} | {t_raw / t_proc:.2f} |",
        "",
        f"Both cores vs one core (threads=2 / threads=1): **{t_raw1 / t_raw:.2f}×**; "
        f"two single-thread processes vs one: {t_raw1 / t_proc:.2f}×.",
    ]
    text = "\n".join(lines)
    print(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--n", type=int, default=1200, help="sample petitions to ingest")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    write_fragment("ingest", run(args.n, args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
