"""Homogeneous-group figures: quality vs labels, stability, unassigned share, speed at 100k.

    python -m bench.groups real              # ../shared/eval, USE-m3 vectors (KMeans k=7 reference)
    python -m bench.groups samples           # data/samples issue_type/topic + stability after +10 %
    python -m bench.groups scale --dir D     # 100k samplegen cases in D, hashing vectors
    python -m bench.groups sampled ...       # sampled fit + assignment vs full fit (bench.groups_sampled)
    python -m bench.groups peer              # vs UMAP + HDBSCAN (BERTopic-style), bench.groups_peer

``real`` and ``samples`` also report stability after adding 10 % new cases, for the default
incremental re-discovery and for cold re-clustering, in the same run. ``--threshold`` and
``--dense-weight`` override the granularity defaults.

Vectors and tokens are cached under --cache (default /tmp/leian-bench-groups), never in the repo.
Speeds are ratios against a reference timed in the same run; absolute seconds are context only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from threadpoolctl import threadpool_limits

from indexing.clustering import HybridClusterer, assign, match_groups
from indexing.incremental import rediscover

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "eval"


def singletons(labels: np.ndarray) -> np.ndarray:
    """Unassigned rows count as singletons (as in kb.evaluation.metrics)."""
    return np.where(labels >= 0, labels, -(np.arange(len(labels)) + 2))


def purity(truth: Sequence[str], labels: np.ndarray) -> float:
    truth_arr, hits = np.asarray(truth), 0
    grouped = labels >= 0
    for k in np.unique(labels[grouped]):
        hits += Counter(truth_arr[labels == k].tolist()).most_common(1)[0][1]
    return hits / max(int(grouped.sum()), 1)


def scores(truth: Sequence[str], labels: np.ndarray) -> dict[str, float]:
    lab = singletons(labels)
    return {
        "NMI": round(float(normalized_mutual_info_score(truth, lab)), 3),
        "ARI": round(float(adjusted_rand_score(truth, lab)), 3),
        "purity": round(purity(truth, labels), 3),
        "unassigned": round(float(np.mean(labels < 0)), 3),
        "groups": len(np.unique(labels[labels >= 0])),
    }


def cached(path: Path, build: Callable[[], Any]) -> Any:
    if path.suffix == ".npy":
        if not path.exists():
            np.save(path, build())
        return np.load(path)
    if not path.exists():
        path.write_text(json.dumps(build(), ensure_ascii=False), encoding="utf-8")
    return json.loads(path.read_text(encoding="utf-8"))


def encode_use(texts: list[str]) -> np.ndarray:
    from indexing.encoders.use import USEEncoder

    return USEEncoder(threads=2).encode(texts)


def segment(texts: list[str]) -> list[list[str]]:
    from indexing.segment import Segmenter

    return Segmenter().tokens_many(texts)


def load(cache: Path, name: str, texts: list[str]) -> tuple[np.ndarray, list[list[str]]]:
    vectors = cached(cache / f"{name}.npy", lambda: encode_use(texts))
    return vectors, cached(cache / f"{name}.tok.json", lambda: segment(texts))


def old_case_ari(before: np.ndarray, after: np.ndarray) -> dict[str, float]:
    """ARI of the old cases between two runs, three ways (pool handling changes the figure).

    ``ARI_old_cases``: pool rows as singletons (the project's convention, kb.evaluation.metrics);
    ``ARI_pool_as_one_cluster``: the pool as one big cluster, so pool cases that found a group
    count against stability; ``ARI_grouped_in_both``: only cases in a group in both runs.
    """
    both = (before >= 0) & (after >= 0)
    return {
        "ARI_old_cases": round(float(adjusted_rand_score(singletons(before), singletons(after))), 3),
        "ARI_pool_as_one_cluster": round(float(adjusted_rand_score(before, after)), 3),
        "ARI_grouped_in_both": round(float(adjusted_rand_score(before[both], after[both])), 3),
    }


def stability(vectors: np.ndarray, tokens: list[list[str]], params: dict[str, Any]) -> dict[str, Any]:
    """Cluster the first 90 %, add the last 10 %, re-discover; compare the old cases' groups.

    ``incremental`` is the default re-discovery (stored feature model, existing groups keep their
    members); ``cold`` re-clusters everything from scratch and matches groups by member overlap.
    """
    n_old = int(len(vectors) * 0.9)
    first = HybridClusterer(**params).fit(vectors[:n_old], tokens[:n_old])
    a = first.labels_
    old = {int(k): np.flatnonzero(a == k).tolist() for k in np.unique(a[a >= 0])}
    b = HybridClusterer(**params).fit(vectors, tokens).labels_
    new = {int(k): np.flatnonzero(b == k).tolist() for k in np.unique(b[b >= 0])}
    m = match_groups(old, new)
    cold = {
        **old_case_ari(a, b[:n_old]),
        "ids_preserved": round(sum(1 for v in m.ids.values() if v is not None) / max(len(old), 1), 3),
        "groups_after": len(new),
    }
    x = first.features_.transform(vectors, tokens)
    previous = np.concatenate([a, np.full(len(vectors) - n_old, -1)])
    free = np.arange(len(vectors)) >= n_old
    # The service's assign_threshold defaults to the granularity threshold.
    r = rediscover(x, previous, HybridClusterer(**params), first.threshold, free=free)
    c = r.labels
    return {
        "groups_before": len(old),
        "unassigned_before": round(float(np.mean(a < 0)), 3),
        "incremental": {
            **old_case_ari(a, c[:n_old]),
            "ids_preserved": round(len(r.kept) / max(len(old), 1), 3),
            "old_cases_same_group": round(float(np.mean(c[:n_old] == a)), 3),
            "groups_after": len(np.unique(c[c >= 0])),
            "new_groups": int(c.max(initial=-1) + 1 - r.n_existing),
            "drifted": r.drifted,
            "joined": r.joined,
            "new_cases_grouped": round(float(np.mean(c[n_old:] >= 0)), 3),
            "unassigned_after": round(float(np.mean(c < 0)), 3),
        },
        "cold": cold,
    }


def eval_rows(name: str) -> list[dict[str, Any]]:
    with gzip.open(EVAL / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def real_data(cache: Path) -> tuple[np.ndarray, list[list[str]], list[str], np.ndarray, list[list[str]]]:
    """Labelled vectors, tokens and domains, then unlabelled vectors and tokens (../shared/eval)."""
    lab, unl = eval_rows("gov_messages_labeled"), eval_rows("gov_messages_unlabeled")
    lv, lt = load(cache, "gov_labeled", [r["text"] for r in lab])
    uv, ut = load(cache, "gov_unlabeled", [r["text"] for r in unl])
    return lv, lt, [r["label"] for r in lab], uv, ut


def real(cache: Path, params: dict[str, Any]) -> dict[str, Any]:
    lv, lt, truth, uv, ut = real_data(cache)
    out: dict[str, Any] = {"rows": len(truth), "params": params}
    out["kmeans k=7 dense"] = scores(truth, KMeans(7, n_init=10, random_state=0).fit_predict(lv))
    out["leian hybrid"] = scores(truth, HybridClusterer(**params).fit(lv, lt).labels_)
    out["leian dense-only"] = scores(truth, HybridClusterer(**params).fit(lv).labels_)
    # Unlabelled: the labelled messages are clustered together with the 4,326 unlabelled ones, so
    # purity is measured on real dense data; the unassigned share is over the unlabelled rows.
    joint = HybridClusterer(**params).fit(np.vstack([uv, lv]), [*ut, *lt]).labels_
    out["unlabelled joint"] = {
        "unassigned_unlabelled": round(float(np.mean(joint[: len(uv)] < 0)), 3),
        "labelled_in_joint": scores(truth, joint[len(uv) :]),
        "groups": int(joint.max() + 1),
    }
    out["stability unlabelled +10%"] = stability(uv, ut, params)
    return out


def samples(cache: Path, params: dict[str, Any]) -> dict[str, Any]:
    cases = [json.loads(x) for x in (REPO / "data/samples/cases.jsonl").read_text(encoding="utf-8").splitlines() if x]
    truth = [json.loads(x) for x in (REPO / "data/samples/truth.jsonl").read_text(encoding="utf-8").splitlines() if x]
    texts = [f"{c['title']}。{c['content']}" if c.get("title") else c["content"] for c in cases]
    v, t = load(cache, "samples", texts)
    labels = HybridClusterer(**params).fit(v, t).labels_
    issue = [r["issue_type"] for r in truth]
    k = len(set(issue))
    return {
        "rows": len(cases),
        f"kmeans k={k} dense vs issue_type": scores(issue, KMeans(k, n_init=10, random_state=0).fit_predict(v)),
        "leian vs issue_type": scores(issue, labels),
        "leian vs topic": scores([r["topic"] for r in truth], labels),
        "stability +10%": stability(v, t, params),
    }


def scale_data(cache: Path, directory: Path, n: int) -> tuple[np.ndarray, list[list[str]], list[dict[str, Any]]]:
    """Hashing-256 vectors, segmenter tokens and truth rows of the first ``n`` samplegen cases.

    Cached per corpus directory name; texts are streamed (only read when a cache is missing) and
    tokens interned, so a million cases fit in a few GB.
    """
    from indexing.encoders.hashing import HashingEncoder

    key = f"scale_{directory.name}"
    text_cache: list[str] = []

    def texts() -> list[str]:
        if not text_cache:
            with (directory / "cases.jsonl").open(encoding="utf-8") as fh:
                for line, _ in zip(fh, range(n), strict=False):
                    c = json.loads(line)
                    text_cache.append(f"{c['title']}。{c['content']}" if c.get("title") else c["content"])
        return text_cache

    # Segmenting is the slow part of the setup: cached per 10k chunk, so smaller n reuse it.
    tokens: list[list[str]] = []
    for start in range(0, n, 10_000):
        size = min(10_000, n - start)
        path = cache / f"{key}_tok_{start}_{size}.json"
        chunk = cached(path, lambda start=start, size=size: segment(texts()[start : start + size]))
        tokens += [[sys.intern(t) for t in doc] for doc in chunk]
    vectors = cached(cache / f"{key}_{n}_hashing.npy", lambda: HashingEncoder(256).encode(texts()))
    text_cache.clear()
    with (directory / "truth.jsonl").open(encoding="utf-8") as fh:
        truth = [json.loads(line) for line, _ in zip(fh, range(n), strict=False)]
    return vectors, tokens, truth


def scale(cache: Path, directory: Path, params: dict[str, Any], n: int) -> dict[str, Any]:
    vectors, tokens, cases = scale_data(cache, directory, n)
    # CPU seconds (process_time) are reported too: on a shared host they bound what an idle
    # 2-core machine would take in wall time (between cpu/2 and cpu).
    start, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(2):
        km = KMeans(100, n_init=1, max_iter=30, random_state=0).fit(vectors)
    t_km, c_km = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    model = HybridClusterer(**params, threads=2).fit(vectors, tokens)
    t_ours, c_ours = time.perf_counter() - start, time.process_time() - cpu
    feats, cents = model.features_, model.centroids_
    # Incremental re-discovery timing: treat the last 10 % as newly arrived (free) cases.
    x = feats.transform(vectors, tokens)
    new_rows = np.arange(len(x)) >= int(len(x) * 0.9)
    start = time.perf_counter()
    with threadpool_limits(2):
        rediscover(x, np.where(new_rows, -1, model.labels_), HybridClusterer(**params), model.threshold, free=new_rows)
    t_incr = time.perf_counter() - start
    probe = range(0, min(200, n))
    start = time.perf_counter()
    for i in probe:
        assign(feats.transform(vectors[i : i + 1], [tokens[i]]), cents, model.threshold)
    t_assign = (time.perf_counter() - start) / len(probe)
    start = time.perf_counter()
    for i in probe:
        int(np.argmax(vectors @ vectors[i]))
    t_exact = (time.perf_counter() - start) / len(probe)
    return {
        "cases": len(cases),
        "vectors": "hashing-256 (no model), tokens from the project segmenter",
        "discover_s": round(t_ours, 1),
        "kmeans_k100_s": round(t_km, 1),
        "discover_vs_kmeans_k100": round(t_ours / t_km, 2),
        "discover_cpu_s": round(c_ours, 1),
        "kmeans_k100_cpu_s": round(c_km, 1),
        "discover_vs_kmeans_k100_cpu": round(c_ours / c_km, 2),
        "incremental_rediscover_s": round(t_incr, 1),
        "incremental_vs_full_discover": round(t_incr / t_ours, 3),
        "groups": int(model.labels_.max() + 1),
        "unassigned": round(float(np.mean(model.labels_ < 0)), 3),
        "assign_one_ms": round(t_assign * 1000, 2),
        "exact_search_one_ms": round(t_exact * 1000, 2),
        "assign_vs_exact_top1_over_all": round(t_assign / t_exact, 2),
        "kmeans_inertia": float(km.inertia_),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["real", "samples", "scale", "sampled", "peer"])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/leian-bench-groups"))
    ap.add_argument("--dir", type=Path, help="samplegen output directory (scale, sampled)")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--source", choices=["samplegen", "synth"], default="samplegen", help="sampled: data")
    ap.add_argument("--max-fit", type=int, nargs="+", default=[10_000], help="sampled: rows clustered directly")
    ap.add_argument("--no-full", action="store_true", help="sampled: skip the full-fit comparison")
    ap.add_argument("--seed-baseline", action="store_true", help="sampled: 2nd full fit, other seed")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--dense-weight", type=float)
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    chosen = (("threshold", args.threshold), ("dense_weight", args.dense_weight))
    params: dict[str, Any] = {k: v for k, v in chosen if v is not None}
    if args.part == "real":
        result = real(args.cache, params)
    elif args.part == "samples":
        result = samples(args.cache, params)
    elif args.part == "sampled":
        from bench.groups_sampled import run

        result = run(
            args.source, args.cache, args.dir, args.n, args.max_fit, params, not args.no_full, args.seed_baseline
        )
    elif args.part == "peer":
        from bench.groups_peer import peer

        result = peer(args.cache, params, args.dir, args.n)
    else:
        result = scale(args.cache, args.dir, params, args.n)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
