"""Benchmark corpus: synthetic petitions from ``samplegen``, their USE-m3 vectors cached as .npy.

Encoding a million 200-character petitions with USE-m3 on 2 cores takes about three hours, so large
corpora are built this way (and the reports say so): ``--real`` cases (default 4,000) are encoded
with the real encoder; every further vector is a noisy mix of two real ones,
``normalise(0.7·a + 0.3·b + noise)`` with noise of norm ~0.25, which keeps the topical cluster
structure that makes ANN search easy or hard. Queries are *other* real petitions (a different
seed), encoded for real and never in the base set.

    python -m bench.corpus --n 1000000 --real 4000 --queries 500 --threads 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path(__file__).resolve().parent / "cache"
OUT = Path(__file__).resolve().parent / "out"
QUERY_SEED = 977


def case_text(case: dict[str, Any]) -> str:
    """The text Leian embeds for a case (kb.service: title。content)."""
    return f"{case['title']}。{case['content']}" if case.get("title") else case["content"]


def cases(n: int, seed: int | None = None) -> list[dict[str, Any]]:
    from samplegen import DEFAULT_SEED, iter_cases

    return list(iter_cases(n, seed=DEFAULT_SEED if seed is None else seed))


def segmenter() -> Any:
    """The project segmenter; without its bundled dictionaries (a broken checkout) plain jieba, said loudly."""
    from indexing.segment import Segmenter

    try:
        return Segmenter()
    except FileNotFoundError as exc:
        print(f"WARNING: {exc}; using jieba without the project dictionaries", file=sys.stderr)
        return Segmenter(include_defaults=False)


# Encoder threads for corpus building; on a loaded machine 1 thread ran 5x faster than 2.
THREADS: int | None = None


def encoder(threads: int | None = None) -> Any:
    from indexing.encoders import create_encoder

    return create_encoder("use-m3", threads=threads or THREADS)


def _encode_cached(path: Path, texts_fn: Any, log: bool = True) -> np.ndarray:
    if path.exists():
        return np.load(path)
    texts = texts_fn()
    enc = encoder()
    start, chunks = time.perf_counter(), []
    for i in range(0, len(texts), 500):
        chunks.append(enc.encode(texts[i : i + 500]))
        if log:
            done = i + len(chunks[-1])
            rate = done / (time.perf_counter() - start)
            print(f"  encoded {done}/{len(texts)} ({rate:.0f}/s)", file=sys.stderr, flush=True)
    vecs = np.vstack(chunks).astype(np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def real_vectors(n_real: int) -> np.ndarray:
    """USE-m3 vectors of the first ``n_real`` sample cases (default seed), cached."""
    return _encode_cached(CACHE / f"real_{n_real}.npy", lambda: [case_text(c) for c in cases(n_real)])


def query_vectors(n_queries: int) -> np.ndarray:
    """USE-m3 vectors of ``n_queries`` petitions from another seed: never in the base corpus."""
    return _encode_cached(
        CACHE / f"queries_{n_queries}.npy", lambda: [case_text(c) for c in cases(n_queries, QUERY_SEED)]
    )


def vectors(n: int, n_real: int = 4_000, seed: int = 0) -> np.ndarray:
    """``n`` base vectors: the real ones first, then synthetic mixes (memory-mapped from the cache)."""
    real = real_vectors(min(n, n_real))
    if n <= real.shape[0]:
        return real[:n]
    path = CACHE / f"synth_{n}_{n_real}_{seed}.npy"
    if not path.exists():
        rng = np.random.default_rng(seed)
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, real.shape[1]))
        out[: real.shape[0]] = real
        sigma = 0.25 / np.sqrt(real.shape[1])
        for start in range(real.shape[0], n, 100_000):
            stop = min(n, start + 100_000)
            a = real[rng.integers(0, real.shape[0], stop - start)]
            b = real[rng.integers(0, real.shape[0], stop - start)]
            mix = 0.7 * a + 0.3 * b + rng.normal(0, sigma, a.shape).astype(np.float32)
            out[start:stop] = mix / np.linalg.norm(mix, axis=1, keepdims=True)
        out.flush()
        del out
    return np.load(path, mmap_mode="r")


def write_fragment(name: str, text: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    print(f"\nwrote {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="base corpus size")
    parser.add_argument("--real", type=int, default=4_000, help="cases encoded with the real encoder")
    parser.add_argument("--queries", type=int, default=500, help="held-out query petitions")
    parser.add_argument("--threads", type=int, default=None, help="encoder threads (default: usable cores)")
    args = parser.parse_args(argv)
    global THREADS
    THREADS = args.threads
    q = query_vectors(args.queries)
    base = vectors(args.n, args.real)
    print(f"base {base.shape} queries {q.shape} in {CACHE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
