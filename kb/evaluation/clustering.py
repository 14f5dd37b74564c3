"""Clustering against gold labels: the project's grouping (if present) and baselines, per representation.

Representations: ``bm25`` (BM25-weighted token vectors), ``dense`` (encoder) and ``hybrid`` (cosine
similarities blended with the configured dense weight). The product's grouping function comes from
``indexing.clustering`` when that module provides ``cluster_labels(vectors, tokens, ...)``; otherwise an
average-linkage agglomerative baseline stands in and the report says so.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.preprocessing import normalize

from kb.errors import FieldProblem, InvalidInputError
from kb.evaluation.datasets import Row
from kb.evaluation.engine import Engine
from kb.evaluation.metrics import clustering_metrics
from kb.evaluation.report import Result, new_result


def bm25_vectors(tokens: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> sparse.csr_matrix:
    """Rows of BM25 term weights (idf × saturated tf), L2-normalised."""
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for r, toks in enumerate(tokens):
        for term, tf in Counter(toks).items():
            rows.append(r)
            cols.append(vocab.setdefault(term, len(vocab)))
            vals.append(tf)
    n = len(tokens)
    tf = sparse.csr_matrix((np.asarray(vals, np.float64), (rows, cols)), shape=(n, max(len(vocab), 1)))
    lengths = np.array([len(t) for t in tokens], dtype=np.float64)
    avg = max(lengths.mean(), 1.0) if n else 1.0
    df = np.bincount(cols, minlength=tf.shape[1])
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    norm = k1 * (1 - b + b * lengths / avg)
    tf.data = tf.data * (k1 + 1) / (tf.data + np.repeat(norm, np.diff(tf.indptr)))
    return normalize(tf @ sparse.diags(idf))


def agglomerative(similarity: np.ndarray, threshold: float = 0.5, min_size: int = 2) -> np.ndarray:
    """Average-linkage groups whose mean similarity is at least ``threshold``; small ones -> -1."""
    if similarity.shape[0] < 2:
        return -np.ones(similarity.shape[0], dtype=int)
    distance = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1 - threshold
    )
    labels = model.fit_predict(distance)
    sizes = Counter(labels.tolist())
    return np.array([lab if sizes[lab] >= min_size else -1 for lab in labels.tolist()])


def product_clusterer() -> Callable[..., Any] | None:
    """``indexing.clustering.cluster_levels`` (groups and families) or ``cluster_labels`` when present, else None."""
    try:
        from indexing import clustering
    except ImportError:
        return None
    for name in ("cluster_levels", "cluster_labels", "cluster", "discover_groups"):
        fn = getattr(clustering, name, None)
        if callable(fn) and len(inspect.signature(fn).parameters) >= 2:
            return fn
    return None


def product_params() -> dict[str, Any]:
    """The grouping parameters the service uses (``kb.groups.discovery.GroupParams``), not the search weight."""
    from kb.groups.discovery import GroupParams

    return GroupParams().clusterer_options()


# Above this many rows the baselines (average linkage needs an n x n matrix) run on a seeded sample
# of this size, labelled rows first; the product's grouping always clusters every row.
BASELINE_MAX = 2000


def baseline_rows(labelled: Sequence[bool], limit: int | None = None, seed: int = 0) -> np.ndarray:
    """Every row when there are at most ``limit`` (``BASELINE_MAX``); else a seeded sample, labelled rows first."""
    limit = BASELINE_MAX if limit is None else limit
    n = len(labelled)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    flags = np.asarray(labelled, bool)
    first, rest = rng.permutation(np.flatnonzero(flags)), rng.permutation(np.flatnonzero(~flags))
    return np.sort(np.concatenate([first, rest])[:limit])


def evaluate_clustering(
    rows: Sequence[Row], engine: Engine, dataset: str = "clustering", threshold: float = 0.5
) -> Result:
    """NMI/ARI/V-measure against ``label``, unassigned share and group count, per method.

    Every row is clustered; only rows with a non-empty ``label`` are scored (a partly labelled
    corpus is the realistic case: the unlabelled rows still shape the groups). The baselines run
    on at most ``BASELINE_MAX`` rows (a seeded sample above that, labelled rows first), so memory
    stays bounded; the product's grouping is itself bounded (cells and sampling, indexing.clustering).
    """
    labelled = [r.get("label") not in (None, "") for r in rows]
    if sum(labelled) < 2:
        raise InvalidInputError([FieldProblem("label", "至少需要 2 行带 label 的数据才能评测聚类")])
    texts = [r["text"] for r in rows]
    scored = np.flatnonzero(labelled)
    truth = [str(rows[i]["label"]) for i in scored.tolist()]
    dense = engine.encode(texts)
    tokens = engine.segment(texts)
    w = engine.settings.dense_weight  # the baselines' blend; the product grouping uses its own (GroupParams)
    n_labels = len(set(truth))
    external = product_clusterer()
    result = new_result("clustering", dataset, {**engine.describe(), "threshold": threshold}, "hybrid")
    sample = baseline_rows(labelled)
    s_scored = np.flatnonzero(np.asarray(labelled, bool)[sample])
    s_truth = [str(rows[i]["label"]) for i in sample[s_scored].tolist()]
    with engine.tracker("聚类", 7 if external else 6) as bar:
        if external is not None:
            out = external(dense, tokens, **product_params())
            families = np.asarray(out[1]) if isinstance(out, tuple) else None
            labels = np.asarray(out[0] if isinstance(out, tuple) else out)
            result["systems"]["product (indexing.clustering)"] = clustering_metrics(truth, labels[scored].tolist())
            result["configured"] = "product (indexing.clustering)"
            if families is not None:  # the level above matter groups (issue type): the fair level vs domains
                result["systems"]["product families"] = clustering_metrics(truth, families[scored].tolist())
            bar.update(1)
        lexical = bm25_vectors([tokens[i] for i in sample.tolist()])
        sub = dense[sample]
        sims = {"bm25": (lexical @ lexical.T).toarray(), "dense": sub @ sub.T}
        sims["hybrid"] = w * sims["dense"] + (1 - w) * sims["bm25"]
        feats = {"bm25": lexical, "dense": sparse.csr_matrix(sub)}
        feats["hybrid"] = sparse.hstack([np.sqrt(w) * feats["dense"], np.sqrt(1 - w) * lexical]).tocsr()
        for rep in ("bm25", "dense", "hybrid"):
            got = agglomerative(sims[rep], threshold)[s_scored]
            result["systems"][rep] = clustering_metrics(s_truth, got.tolist())
            bar.update(1)
        del sims
        for rep in ("bm25", "dense", "hybrid"):
            km = KMeans(n_clusters=n_labels, n_init=10, random_state=0).fit_predict(feats[rep])
            result["systems"][f"kmeans k={n_labels} {rep}"] = clustering_metrics(s_truth, km[s_scored].tolist())
            bar.update(1)
    who = "indexing.clustering (issue #4, matter groups and families, GroupParams)"
    if external is None:
        who = f"fallback average-linkage agglomerative (similarity ≥ {threshold}); indexing.clustering absent"
    result["notes"].append(
        f"{len(rows)} rows clustered, {len(scored)} labelled rows scored, {n_labels} labels; configured grouping: "
        f"{who}; unassigned rows count as singletons in NMI/ARI/V; unassigned = share of the scored rows."
    )
    if "product families" in result["systems"]:
        result["notes"].append(
            "product families: each row scored by the family of its group (the issue-type level above "
            "matter groups, as kb.groups.families derives it); a pooled row has no family."
        )
    if len(sample) < len(rows):
        result["notes"].append(
            f"baselines (average linkage, KMeans) on a seeded sample of {len(sample)} rows "
            f"({len(s_scored)} labelled) to bound memory; the product row clusters all {len(rows)}."
        )
    return result
