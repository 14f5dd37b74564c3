"""Encoder throughput: the int8 USE encoder against the reference USE-m3 on the demo texts.

    python -m bench.encoder [--n 400] [--threads 2] [--rounds 3]

Both run in this process, interleaved round by round, and the best round of each is compared, so
the ratio holds on a shared machine (the load is printed beside it). Also prints the cosine of each
int8 vector to its reference vector.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from itertools import islice
from pathlib import Path

import numpy as np

from indexing.encoders import create_encoder

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "cases.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with SAMPLES.open(encoding="utf-8") as f:
        texts = [(r["title"] + "。" + r["content"]) for r in map(json.loads, islice(f, args.n))]
    encoders = {name: create_encoder(name, threads=args.threads) for name in ("use-m3", "use-m3-int8")}
    best = dict.fromkeys(encoders, float("inf"))
    vectors = {}
    for _ in range(args.rounds):
        for name, encoder in encoders.items():
            start = time.perf_counter()
            vectors[name] = encoder.encode(texts)
            best[name] = min(best[name], time.perf_counter() - start)
    cosine = (vectors["use-m3"] * vectors["use-m3-int8"]).sum(axis=1)
    chars = np.mean([min(len(t), 512) for t in texts])
    print(f"load average {os.getloadavg()[0]:.1f}; {len(texts)} demo texts, {chars:.0f} chars each on average")
    ratio = best["use-m3"] / best["use-m3-int8"]
    print(f"threads {args.threads}: use-m3-int8 / use-m3 documents per second = {ratio:.2f}x")
    low = np.percentile(cosine, 1)
    print(f"cosine to the reference: min {cosine.min():.4f}, 1st percentile {low:.4f}, mean {cosine.mean():.5f}")


if __name__ == "__main__":
    main()
