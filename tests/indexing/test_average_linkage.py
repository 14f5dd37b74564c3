"""Average linkage cut at a bar without the n x n matrix (indexing.average_linkage) equals scipy's."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from indexing.average_linkage import average_linkage_cut
from indexing.clustering import family_labels


def scipy_cut(x: np.ndarray, threshold: float) -> np.ndarray:
    dist = np.clip(1.0 - x @ x.T, 0.0, 2.0).astype(np.float64)
    np.fill_diagonal(dist, 0.0)
    return fcluster(linkage(squareform(dist, checks=False), method="average"), 1.0 - threshold, "distance")


def partition(labels: np.ndarray) -> list[tuple[int, ...]]:
    out: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        out.setdefault(label, []).append(i)
    return sorted(tuple(v) for v in out.values())


def centroids(seed: int, n: int, kinds: int, dim: int, noise: float) -> np.ndarray:
    """Group-centroid-like vectors: kinds of issue, noisy members, norms below 1 (member means)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(kinds, dim))
    x = centres[rng.integers(0, kinds, n)] + rng.normal(scale=noise, size=(n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return (x * rng.uniform(0.3, 1.0, size=(n, 1))).astype(np.float32)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.4, 0.6])
def test_the_cut_equals_scipys_average_linkage(seed: int, threshold: float) -> None:
    rng = np.random.default_rng(100 + seed)
    n, kinds, dim = int(rng.integers(2, 500)), int(rng.integers(3, 40)), int(rng.integers(8, 96))
    x = centroids(seed, n, kinds, dim, rng.uniform(0.3, 2.0))
    assert partition(average_linkage_cut(x, threshold)) == partition(scipy_cut(x, threshold))


def test_a_larger_set_with_long_merge_chains_and_many_reused_lists() -> None:
    # 3,000 points in 30 kinds: hundreds of rounds, clusters of ~100 whose members' neighbour lists
    # are reused after merges (the ``bound`` shortcut) and a compaction of the active columns.
    x = centroids(7, 3000, 30, 64, 0.7)
    ours, reference = average_linkage_cut(x, 0.15, block=256), scipy_cut(x, 0.15)
    assert len(set(reference.tolist())) < 300  # the bar really merges (not every point alone)
    assert partition(ours) == partition(reference)


def test_exact_ties_and_duplicates_still_merge() -> None:
    base = centroids(3, 20, 4, 16, 0.5)
    x = np.vstack([base, base, base[:5]])  # every point has an identical twin: all ties
    assert partition(average_linkage_cut(x, 0.5)) == partition(scipy_cut(x, 0.5))


def test_labels_are_numbered_by_first_row_and_edge_sizes() -> None:
    x = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], np.float32)
    assert average_linkage_cut(x, 0.9).tolist() == [0, 1, 0, 1]
    assert average_linkage_cut(x[:1], 0.5).tolist() == [0]
    assert average_linkage_cut(np.zeros((0, 2), np.float32), 0.5).tolist() == []
    assert average_linkage_cut(x, 1.5).tolist() == [0, 1, 2, 3]  # nothing reaches the bar


def test_families_use_it_and_hold_no_n_by_n_matrix() -> None:
    # 6,000 centroids of 768 dims: scipy's condensed matrix alone is 144 MB (and linkage copies it);
    # the cut holds the vectors, their means and one block of similarities.
    import tracemalloc

    x = centroids(11, 6000, 40, 768, 1.2)
    tracemalloc.start()
    labels = family_labels(x, 0.4)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 80 * 2**20, peak
    assert partition(labels) == partition(scipy_cut(x, 0.4))
