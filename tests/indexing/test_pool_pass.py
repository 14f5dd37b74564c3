"""The pool pass (issue 19): cases left over after both levels meet the groups again, the family
remainders at ``remainder_floor``, matter groups at their own bar.

Features written for the test on top of ``test_family_remainder.corpus`` (family A: three matters
and two one-offs; family B: twelve one-offs, one remainder group): three stray B-like cases whose
average similarity to B is ~0.35 (below the family threshold 0.4, so outside every family) and one
unrelated case.
"""

from __future__ import annotations

import numpy as np

from indexing.clustering import HybridClusterer, cluster_levels, row_families
from indexing.incremental import rediscover
from kb.groups.discovery import GroupParams
from tests.indexing.test_family_remainder import DIM, corpus


def strays(x: np.ndarray, kinds: list[str]) -> tuple[np.ndarray, list[str]]:
    basis = np.linalg.qr(np.random.default_rng(0).standard_normal((DIM, DIM)))[0].T  # corpus(0)'s axes
    b = basis[1]  # issue type B; axes 60-63 are used by no other case
    extra = [np.sqrt(0.25) * b + np.sqrt(0.75) * basis[60 + i] for i in range(3)] + [basis[63]]
    rows = np.vstack([x, *extra]).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True), [*kinds, "stray", "stray", "stray", "unrelated"]


def clusterer(floor: float | None) -> HybridClusterer:
    return HybridClusterer(
        threshold=0.6, entity_weight=0.0, family_threshold=0.4, remainder_share=0.5, remainder_floor=floor
    )


def test_pool_pass_joins_strays_to_the_family_remainder_only_above_the_floor() -> None:
    x, kinds = strays(*corpus())
    k = np.asarray(kinds)
    before = clusterer(None).fit_features(x).labels_
    assert (before[k == "stray"] == -1).all()  # outside every family at 0.4: pooled
    labels = clusterer(0.3).fit_features(x).labels_
    b_group = int(labels[k == "B"][0])
    assert (labels[k == "stray"] == b_group).all()  # ~0.35 >= 0.3: they join B's remainder
    assert labels[k == "unrelated"][0] == -1  # nothing resembles it
    assert (labels[k == "A-oneoff"] == -1).all()  # ~0.5 to A's matters: matter groups keep 0.6
    for m in ("A0", "A1", "A2", "B"):  # groups otherwise unchanged
        assert len(set(labels[k == m].tolist())) == 1
        assert (labels[k == m] == labels[k == m][0]).all() and (before[k == m] >= 0).all()
    assert (clusterer(0.45).fit_features(x).labels_[k == "stray"] == -1).all()  # a floor above 0.37: pooled


def test_ingest_and_rediscovery_use_the_floor() -> None:
    x, kinds = corpus()
    k = np.asarray(kinds)
    model = clusterer(0.3).fit_features(x)
    b_group = int(model.labels_[k == "B"][0])
    a_group = int(model.labels_[k == "A0"][0])
    ingest = np.asarray(GroupParams(remainder_share=0.5, remainder_floor=0.3).bars(model.centroids_))
    assert ingest[b_group] == np.float32(0.3) and ingest[a_group] == np.float32(0.6)
    rows, kinds2 = strays(x, kinds)  # the strays arrive later, as new cases
    previous = np.concatenate([model.labels_, [-1] * 4])
    free = np.arange(len(rows)) >= len(x)
    r = rediscover(rows, previous, clusterer(0.3), 0.6, free=free)
    k2 = np.asarray(kinds2)
    assert (r.labels[k2 == "stray"] == b_group).all() and r.labels[k2 == "unrelated"][0] == -1
    assert (r.labels[: len(x)] == model.labels_).all()  # ids and members kept
    r0 = rediscover(rows, previous, clusterer(None), 0.6, free=free)
    assert (r0.labels[k2 == "stray"] == -1).all()


def test_cluster_levels_gives_every_row_its_group_family() -> None:
    x, kinds = corpus()
    k = np.asarray(kinds)
    model = clusterer(None).fit_features(x)
    fam = row_families(model, x)
    a = {int(f) for f in fam[np.isin(k, ["A0", "A1", "A2"])]}
    assert len(a) == 1 and fam[k == "B"][0] not in a  # A's three matters are one family, B another
    assert (fam[model.labels_ < 0] == -1).all()
    labels, families = cluster_levels(x, None, threshold=0.6, entity_weight=0.0, remainder_share=0.5)
    assert len(set(labels[labels >= 0].tolist())) == 4 and len(set(families[families >= 0].tolist())) == 2


def test_the_product_default_floor_reaches_ingest() -> None:
    x, kinds = corpus()
    model = HybridClusterer(threshold=0.6, entity_weight=0.0, remainder_share=0.5).fit_features(x)
    b_group = int(model.labels_[np.asarray(kinds) == "B"][0])
    assert model.remainder_floor == GroupParams().remainder_floor == 0.25
    assert np.asarray(GroupParams(remainder_share=0.5).bars(model.centroids_))[b_group] == np.float32(0.25)
