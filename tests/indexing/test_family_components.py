"""Families by average linkage per connected component equal one linkage over every group."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from indexing.clustering import family_labels, threshold_components


def whole_linkage(c: np.ndarray, threshold: float) -> np.ndarray:
    """The previous computation: one average linkage over the full distance matrix."""
    d = np.clip(1.0 - c.astype(np.float64) @ c.astype(np.float64).T, 0.0, 2.0)
    np.fill_diagonal(d, 0.0)
    return fcluster(linkage(squareform(d, checks=False), method="average"), t=1.0 - threshold, criterion="distance")


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def centroids(seed: int, topics: int, per_topic: int, dim: int = 48, spread: float = 0.6) -> np.ndarray:
    """Unnormalised member means as the family view has them: topics of related groups."""
    rng = np.random.default_rng(seed)
    axes = rng.standard_normal((topics, dim))
    rows = [axes[t] + spread * rng.standard_normal(dim) for t in range(topics) for _ in range(per_topic)]
    c = np.asarray(rows)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    return (c * rng.uniform(0.6, 1.0, (len(c), 1))).astype(np.float32)


@pytest.mark.parametrize(("seed", "threshold"), [(0, 0.35), (1, 0.5), (2, 0.25), (3, 0.6)])
def test_per_component_linkage_equals_one_linkage_over_all(seed: int, threshold: float) -> None:
    c = centroids(seed, topics=12, per_topic=25)
    ours = family_labels(c, threshold)
    reference = whole_linkage(c, threshold)
    assert same_partition(ours, reference)
    assert 1 < len(set(ours.tolist())) < len(c)  # a real test: families form and not everything merges
    first = [int(np.flatnonzero(ours == k)[0]) for k in range(int(ours.max()) + 1)]
    assert first == sorted(first)  # labels in order of each family's first group


def test_components_equal_those_of_the_full_graph() -> None:
    c = centroids(4, topics=8, per_topic=30)
    for bar in (0.2, 0.4, 0.7):
        full = (c @ c.T) >= bar
        _, reference = connected_components(full, directed=False)
        for block in (1, 7, 64, 1024):
            ours = threshold_components(c, bar, block=block)
            assert same_partition(ours, reference)
    assert len(set(threshold_components(c, 0.7).tolist())) > 8  # many components at a high bar


def test_single_groups_and_an_empty_set() -> None:
    assert family_labels(np.zeros((0, 4), np.float32), 0.5).shape == (0,)
    assert family_labels(np.ones((1, 4), np.float32), 0.5).tolist() == [0]
    apart = np.eye(5, dtype=np.float32)
    assert family_labels(apart, 0.5).tolist() == [0, 1, 2, 3, 4]
