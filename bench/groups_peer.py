"""Peers side by side: Leian group discovery vs BERTopic-style UMAP + HDBSCAN (issue 9, item 6b).

    python -m bench.groups peer                               # real + samples
    python -m bench.groups peer --dir /tmp/s100k --n 100000   # also 100k samplegen cases, once each

On the same cached vectors as ``real`` and ``samples`` (USE-m3; ../shared/eval is read in place,
never copied): the 456 labelled messages alone, the labelled ones clustered jointly with the 4,326
unlabelled ones (purity measured on the labelled), and data/samples (2,400, issue_type / topic).

Peer: UMAP(n_components=5, n_neighbors=15, metric="cosine", random_state=0) then
sklearn HDBSCAN(min_cluster_size=m), BERTopic's default pipeline; HDBSCAN noise (-1) is its
unassigned pool. m = 3 (Leian's min_size) and 10 (BERTopic's default); min_dist=0.0 as in BERTopic.
numba compiles UMAP on first use: warm-up runs (both kNN paths) happen before any timing. Both
sides run single-threaded (UMAP is with a fixed random_state; Leian with threads=1, since spinning
BLAS threads inflate CPU time on a loaded host); each method runs twice and the faster run counts.
CPU seconds are process time; the peer rows also split them into UMAP and HDBSCAN.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from bench.groups import REPO, load, real_data, scores
from indexing.clustering import HybridClusterer, HybridFeatures

Method = Callable[[], np.ndarray]
STAGES: dict[str, float] = {}  # CPU seconds of the last peer run's stages (UMAP, HDBSCAN)


def umap_hdbscan(x: np.ndarray, min_cluster_size: int, seed: int = 0) -> np.ndarray:
    """BERTopic's clustering step: UMAP to 5 dimensions (cosine), then HDBSCAN; -1 = noise."""
    import umap
    from sklearn.cluster import HDBSCAN

    with threadpool_limits(1):
        cpu = time.process_time()
        reduced = umap.UMAP(n_components=5, n_neighbors=15, min_dist=0.0, metric="cosine", random_state=seed)
        low = reduced.fit_transform(np.asarray(x, np.float32))
        STAGES["umap_cpu_s"] = round(time.process_time() - cpu, 2)
        cpu = time.process_time()
        labels = HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(low)
        STAGES["hdbscan_cpu_s"] = round(time.process_time() - cpu, 2)
    return np.asarray(labels, np.int64)


def warm_up() -> None:
    """Compile numba code of both UMAP paths (exact kNN < 4,096 rows, NN-descent above) and load BLAS."""
    rng = np.random.default_rng(0)
    for n in (300, 5_000):
        x = rng.normal(size=(n, 32)).astype(np.float32)
        umap_hdbscan(x, 5)
        HybridClusterer(threads=1).fit(x[:300], [[f"w{i % 7}", f"v{i % 5}"] for i in range(300)])


def compare(
    methods: dict[str, Method], report: Callable[[np.ndarray], dict[str, Any]], reference: str, repeats: int = 2
) -> dict[str, Any]:
    """Run each method ``repeats`` times (best time kept: the host is shared); quality via ``report``.

    Times and their ratio against ``reference``; ``deterministic``: the repeats gave the same labels.
    """
    out: dict[str, Any] = {}
    for name, fn in methods.items():
        runs = []
        for _ in range(repeats):
            STAGES.clear()
            start, cpu = time.perf_counter(), time.process_time()
            labels = fn()
            runs.append((time.perf_counter() - start, time.process_time() - cpu, labels, dict(STAGES)))
        wall, cpu_s = min(r[0] for r in runs), min(r[1] for r in runs)
        stages = min((r[3] for r in runs), key=lambda st: sum(st.values()))
        out[name] = {**report(runs[0][2]), "wall_s": round(wall, 2), "cpu_s": round(cpu_s, 2), **stages}
        if repeats > 1:
            out[name]["deterministic"] = all(np.array_equal(r[2], runs[0][2]) for r in runs)
    ref = out[reference]
    for row in out.values():
        row["wall_vs_leian"] = round(row["wall_s"] / max(ref["wall_s"], 1e-9), 2)
        row["cpu_vs_leian"] = round(row["cpu_s"] / max(ref["cpu_s"], 1e-9), 2)
    return out


def methods_for(
    v: np.ndarray,
    tokens: Sequence[Sequence[str]],
    params: dict[str, Any],
    min_size: int,
    matched: float | None = None,
) -> dict[str, Method]:
    """Leian and peer runs on the same rows; ``matched``: an extra Leian run at that threshold."""

    def hybrid_features() -> np.ndarray:
        # Peer clustering on Leian's hybrid representation: separates representation from algorithm.
        m = HybridClusterer(**params)
        with threadpool_limits(1):
            return HybridFeatures(m.dense_weight, m.lexical_dims, seed=m.seed).fit(tokens).transform(v, tokens)

    fine = {**params, "threshold": matched}
    extra: dict[str, Method] = {}
    if matched is not None:
        extra[f"leian hybrid threshold {matched}"] = lambda: HybridClusterer(**fine, threads=1).fit(v, tokens).labels_
    return {
        "leian hybrid": lambda: HybridClusterer(**params, threads=1).fit(v, tokens).labels_,
        **extra,
        "leian dense-only": lambda: HybridClusterer(**params, threads=1).fit(v).labels_,
        f"umap+hdbscan m={min_size}": lambda: umap_hdbscan(v, min_size),
        "umap+hdbscan m=10 (BERTopic default)": lambda: umap_hdbscan(v, 10),
        f"umap+hdbscan m={min_size} on Leian hybrid features": lambda: umap_hdbscan(hybrid_features(), min_size),
    }


def at_scale(cache: Path, directory: Path, n: int, params: dict[str, Any], min_size: int) -> dict[str, Any]:
    """samplegen corpus of ``n`` cases (hashing-256 vectors, segmenter tokens), each method once."""
    from bench.groups import scale_data

    v, tokens, truth = scale_data(cache, directory, n)
    issue, topic = [str(t["issue_type"]) for t in truth], [str(t["topic"]) for t in truth]

    def report(labels: np.ndarray) -> dict[str, Any]:
        by_topic = scores(topic, labels)
        return {**scores(issue, labels), "topic NMI": by_topic["NMI"], "topic purity": by_topic["purity"]}

    methods = methods_for(v, tokens, params, min_size)
    chosen = ["leian hybrid", f"umap+hdbscan m={min_size}", "umap+hdbscan m=10 (BERTopic default)"]
    return compare({k: methods[k] for k in chosen}, report, "leian hybrid", repeats=1)


def peer(cache: Path, params: dict[str, Any], directory: Path | None = None, n: int = 0) -> dict[str, Any]:
    """The three data sets above; with ``directory``, also ``n`` samplegen cases (``at_scale``)."""
    load_before = os.getloadavg()
    warm_up()
    min_size = int(params.get("min_size", HybridClusterer().min_size))
    out: dict[str, Any] = {"params": params, "min_cluster_size (Leian min_size)": min_size}

    lv, lt, truth, uv, ut = real_data(cache)
    out["real labelled (456) vs domain"] = compare(
        methods_for(lv, lt, params, min_size), lambda lb: scores(truth, lb), "leian hybrid"
    )

    def joint_report(labels: np.ndarray) -> dict[str, Any]:
        return {
            "unassigned_unlabelled": round(float(np.mean(labels[: len(uv)] < 0)), 3),
            **{f"labelled {k}": v for k, v in scores(truth, labels[len(uv) :]).items()},
            "groups": len(np.unique(labels[labels >= 0])),
        }

    jv, jt = np.vstack([uv, lv]), [*ut, *lt]
    out["real joint (4,782), labelled inside vs domain"] = compare(
        methods_for(jv, jt, params, min_size), joint_report, "leian hybrid"
    )

    def lines(name: str) -> list[dict[str, Any]]:
        text = (REPO / "data/samples" / name).read_text(encoding="utf-8")
        return [json.loads(x) for x in text.splitlines() if x]

    cases, st = lines("cases.jsonl"), lines("truth.jsonl")
    texts = [f"{c['title']}。{c['content']}" if c.get("title") else c["content"] for c in cases]
    sv, stok = load(cache, "samples", texts)
    issue, topic = [r["issue_type"] for r in st], [r["topic"] for r in st]

    def samples_report(labels: np.ndarray) -> dict[str, Any]:
        by_topic = scores(topic, labels)
        return {**scores(issue, labels), "topic NMI": by_topic["NMI"], "topic purity": by_topic["purity"]}

    # The peer's m=3 groups are topic-sized (157 groups): Leian at threshold 0.6 gives as many, so
    # the two are also compared at the same granularity.
    out["samples (2,400) vs issue_type"] = compare(
        methods_for(sv, stok, params, min_size, matched=0.6), samples_report, "leian hybrid"
    )
    if directory is not None:
        out[f"samplegen {n:,} (hashing-256 vectors), vs issue_type"] = at_scale(cache, directory, n, params, min_size)
    out["load_average_before_after"] = [round(x, 1) for x in (*load_before, *os.getloadavg())]
    return out
