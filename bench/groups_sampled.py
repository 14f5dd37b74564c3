"""Group discovery at scale: sampled fit + nearest-group assignment vs a full fit (issue 9, item 4).

    python -m bench.groups sampled --source samplegen --dir /tmp/s100k --n 100000 --max-fit 10000 20000 --seed-baseline
    python -m bench.groups sampled --source synth --n 100000 --max-fit 10000
    python -m bench.groups sampled --source synth --n 1000000 --max-fit 100000 --no-full

``samplegen``: samplegen cases, hashing-256 vectors + project segmenter tokens (hybrid), labels
issue_type/topic from truth.jsonl. ``synth``: bench.corpus vectors (USE-m3 of 4,000 sample cases,
then ``0.7·a + 0.3·b + noise`` mixes), dense only; a row's label is the issue type of its ``a``
source, recovered by replaying bench.corpus's seeded generator (checked against stored rows).

Reference timed in the same process: KMeans k=100 (n_init=1, 30 iterations, 2 threads) on the
raw vectors of the sample. CPU seconds are process time over all threads.
"""

from __future__ import annotations

import os
import resource
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from threadpoolctl import threadpool_limits

from bench.groups import scale_data, scores, singletons
from indexing.clustering import HybridClusterer, assign


def agreement(full: np.ndarray, sampled: np.ndarray) -> dict[str, float]:
    """How far the sampled labelling reproduces the full one (pool rows: singletons for ARI/NMI).

    ``same_group``: share of rows whose sampled group maps to their full-fit group, each sampled
    group mapped to the full group holding most of its rows (pool counts as matching pool).
    """
    mapped = np.full(len(sampled), -1, np.int64)
    for k in np.unique(sampled[sampled >= 0]):
        rows = sampled == k
        mapped[rows] = Counter(full[rows].tolist()).most_common(1)[0][0]
    both = (full >= 0) & (sampled >= 0)
    return {
        "ARI": round(float(adjusted_rand_score(singletons(full), singletons(sampled))), 3),
        "NMI": round(float(normalized_mutual_info_score(singletons(full), singletons(sampled))), 3),
        "ARI_grouped_in_both": round(float(adjusted_rand_score(full[both], sampled[both])), 3),
        "same_group": round(float(np.mean(mapped == full)), 3),
    }


def synth_truth(n: int, n_real: int = 4_000, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Source row (``a``) of each bench.corpus synthetic vector and the issue types of the real rows."""
    from bench.corpus import real_vectors, vectors
    from samplegen import iter_records

    real = real_vectors(min(n, n_real))
    base = vectors(n, n_real, seed)
    source = np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    sigma = 0.25 / np.sqrt(real.shape[1])
    for start in range(real.shape[0], n, 100_000):  # the same draws, in the same order, as bench.corpus
        stop = min(n, start + 100_000)
        a = rng.integers(0, real.shape[0], stop - start)
        b = rng.integers(0, real.shape[0], stop - start)
        noise = rng.normal(0, sigma, (stop - start, real.shape[1])).astype(np.float32)
        source[start:stop] = a
        mix = 0.7 * real[a[:3]] + 0.3 * real[b[:3]] + noise[:3]
        if not np.allclose(mix / np.linalg.norm(mix, axis=1, keepdims=True), base[start : start + 3], atol=1e-5):
            raise RuntimeError("bench.corpus generator replay does not match the cached vectors")
    issue = [str(t["issue_type"]) for _, t in iter_records(real.shape[0])]
    return source, issue


def timed(fn: Any) -> tuple[Any, float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - start, time.process_time() - cpu


def data(
    source: str, cache: Path, directory: Path | None, n: int
) -> tuple[np.ndarray, list[list[str]] | None, dict[str, list[str]], str]:
    """Vectors, tokens (None: dense only), labellings to score against, description."""
    if source == "samplegen":
        if directory is None:
            raise SystemExit("--dir is required with --source samplegen")
        vectors, tokens, truth = scale_data(cache, directory, n)
        labels_by = {k: [str(t[k]) for t in truth] for k in ("issue_type", "topic")}
        return vectors, tokens, labels_by, "hashing-256 + project segmenter tokens (hybrid)"
    from bench.corpus import vectors as synth_vectors

    src, issue = synth_truth(n)
    labels_by = {"issue_type (of the 0.7 source)": [issue[i] for i in src]}
    return synth_vectors(n), None, labels_by, "bench.corpus USE-m3-derived 512-d, dense only"


def sampled_run(
    vectors: np.ndarray,
    tokens: list[list[str]] | None,
    labels_by: dict[str, list[str]],
    params: dict[str, Any],
    max_fit: int,
) -> tuple[np.ndarray, float, float, dict[str, Any]]:
    """One sampled discovery, its stage split and the KMeans k=100 reference on its sample."""
    sampled, t_s, c_s = timed(lambda: HybridClusterer(**params, threads=2, max_fit=max_fit).fit(vectors, tokens))
    rows = sampled.sample_
    assert rows is not None
    ref_x = np.asarray(vectors[rows], np.float32)
    with threadpool_limits(2):
        _, t_km, c_km = timed(lambda: KMeans(100, n_init=1, max_iter=30, random_state=0).fit(ref_x))
    # The assignment stage alone, replayed: transform + nearest centroid over the non-sampled rows.
    rest = np.setdiff1d(np.arange(len(vectors)), rows)

    def replay() -> None:
        with threadpool_limits(2):
            for s in range(0, len(rest), 50_000):
                idx = rest[s : s + 50_000]
                toks = [tokens[i] for i in idx] if tokens is not None else [[]] * len(idx)
                x = sampled.features_.transform(np.asarray(vectors[idx]), toks)
                assign(x, sampled.centroids_, sampled.threshold)

    _, t_as, c_as = timed(replay)
    report = {
        "wall_s": round(t_s, 1),
        "cpu_s": round(c_s, 1),
        "wall_min": round(t_s / 60, 2),
        "cpu_min": round(c_s / 60, 2),
        "assign_stage_wall_s": round(t_as, 1),
        "assign_stage_cpu_s": round(c_as, 1),
        "kmeans_k100_on_sample_wall_s": round(t_km, 1),
        "kmeans_k100_on_sample_cpu_s": round(c_km, 1),
        "vs_kmeans_k100_on_sample_wall": round(t_s / t_km, 2),
        "vs_kmeans_k100_on_sample_cpu": round(c_s / c_km, 2),
        **{f"vs {k}": scores(v, sampled.labels_) for k, v in labels_by.items()},
    }
    return sampled.labels_, t_s, c_s, report


def run(
    source: str,
    cache: Path,
    directory: Path | None,
    n: int,
    max_fits: list[int],
    params: dict[str, Any],
    full: bool,
    seed_baseline: bool = False,
) -> dict[str, Any]:
    """Sampled discovery for each ``max_fits`` value; with ``full``, against a full fit of all rows.

    ``seed_baseline``: a second full fit with another seed (KMeans cells), the noise floor of the
    agreement figures.
    """
    load_before = os.getloadavg()
    vectors, tokens, labels_by, kind = data(source, cache, directory, n)
    out: dict[str, Any] = {"cases": n, "vectors": kind, "params": params}
    runs = {m: sampled_run(vectors, tokens, labels_by, params, m) for m in max_fits}
    for m, (_, _, _, report) in runs.items():
        out[f"sampled max_fit={m}"] = report
    if full:
        fitted, t_f, c_f = timed(lambda: HybridClusterer(**params, threads=2, max_fit=None).fit(vectors, tokens))
        out["full"] = {
            "wall_s": round(t_f, 1),
            "cpu_s": round(c_f, 1),
            **{f"vs {k}": scores(v, fitted.labels_) for k, v in labels_by.items()},
        }
        for m, (labels, t_s, c_s, _) in runs.items():
            out[f"sampled max_fit={m} vs full"] = {
                **agreement(fitted.labels_, labels),
                "unassigned_sampled": round(float(np.mean(labels < 0)), 3),
                "unassigned_full": round(float(np.mean(fitted.labels_ < 0)), 3),
                "time_ratio_wall": round(t_s / t_f, 3),
                "time_ratio_cpu": round(c_s / c_f, 3),
            }
        if seed_baseline:
            other = HybridClusterer(**params, threads=2, max_fit=None, seed=1).fit(vectors, tokens).labels_
            out["full seed 1 vs full seed 0 (noise floor)"] = agreement(fitted.labels_, other)
    out["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    out["load_average_before_after"] = [round(x, 1) for x in (*load_before, *os.getloadavg())]
    return out
