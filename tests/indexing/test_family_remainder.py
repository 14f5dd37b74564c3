"""Family remainders (issue 19): a family of one-off matters stays one group, not the pool.

Synthetic features written for the test: family A holds three matters of five tight cases
(similarity 0.9 inside a matter, 0.5 across) plus two one-offs; family B holds twelve one-off
cases of one issue type (similarity 0.5 to each other, no matter peer). Families are cut at 0.4,
matters at 0.6.
"""

from __future__ import annotations

import numpy as np

from indexing.centroids import assign, bars
from indexing.clustering import HybridClusterer
from indexing.incremental import rediscover
from kb.groups.discovery import GroupParams

DIM = 96


def _unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal(DIM)
    return v / np.linalg.norm(v)


def corpus(seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((DIM, DIM)))[0].T  # orthonormal rows
    a, b = basis[0], basis[1]
    rows, kinds = [], []
    for m in range(3):
        for _ in range(5):
            rows.append(np.sqrt(0.5) * a + np.sqrt(0.4) * basis[2 + m] + np.sqrt(0.1) * _unit(rng))
            kinds.append(f"A{m}")
    for i in range(2):
        rows.append(np.sqrt(0.5) * a + np.sqrt(0.5) * basis[10 + i])
        kinds.append("A-oneoff")
    for i in range(12):
        rows.append(np.sqrt(0.5) * b + np.sqrt(0.5) * basis[20 + i])
        kinds.append("B")
    x = np.vstack(rows).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), kinds


def clusterer(share: float | None) -> HybridClusterer:
    # remainder_floor None: the family's own bar (the pool pass is tests/indexing/test_pool_pass.py).
    return HybridClusterer(
        threshold=0.6, entity_weight=0.0, family_threshold=0.4, remainder_share=share, remainder_floor=None
    )


def test_a_family_of_one_offs_is_one_remainder_group_and_matters_stay_apart() -> None:
    x, kinds = corpus()
    labels = clusterer(0.5).fit_features(x).labels_
    k = np.asarray(kinds)
    b_labels = set(labels[k == "B"].tolist())
    assert len(b_labels) == 1 and -1 not in b_labels  # every B case in one group
    for m in ("A0", "A1", "A2"):
        assert len(set(labels[k == m].tolist())) == 1 and labels[k == m][0] >= 0
    assert len({int(labels[k == m][0]) for m in ("A0", "A1", "A2")} | b_labels) == 4  # matters not merged
    assert (labels[k == "A-oneoff"] == -1).all()  # a family that splits into matters keeps its pool


def test_without_remainders_the_one_offs_stay_in_the_pool() -> None:
    x, kinds = corpus()
    labels = clusterer(None).fit_features(x).labels_
    assert (labels[np.asarray(kinds) == "B"] == -1).all()


def test_a_remainder_group_keeps_the_family_bar() -> None:
    x, kinds = corpus()
    model = clusterer(0.5).fit_features(x)
    k = np.asarray(kinds)
    b_group = int(model.labels_[k == "B"][0])
    a_group = int(model.labels_[k == "A0"][0])
    per_group = np.asarray(model.bars(model.centroids_))
    assert per_group[b_group] == np.float32(0.4) and per_group[a_group] == np.float32(0.6)
    # One more B-like case joins the remainder (average similarity ~0.5 >= 0.4), an A one-off does not.
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.standard_normal((DIM, DIM)))[0].T
    probe = x[k == "B"].mean(axis=0) + 0.6 * basis[50]
    probe /= np.linalg.norm(probe)
    lab, score = assign(probe[None, :], model.centroids_, per_group)
    assert lab[0] == b_group and 0.4 <= score[0] < 0.6
    assert bars(model.centroids_, 0.6, None) == 0.6  # one level: one bar


def test_rediscovery_keeps_the_remainder_group_and_ingest_uses_its_bar() -> None:
    x, kinds = corpus()
    model = clusterer(0.5).fit_features(x)
    k = np.asarray(kinds)
    b_group = int(model.labels_[k == "B"][0])
    rng = np.random.default_rng(7)
    b = x[k == "B"].mean(axis=0)
    b /= np.linalg.norm(b)
    new = np.vstack([np.sqrt(0.5) * b + np.sqrt(0.5) * _unit(rng) for _ in range(3)]).astype(np.float32)
    new /= np.linalg.norm(new, axis=1, keepdims=True)  # three more one-offs of issue type B
    rows = np.vstack([x, new])
    previous = np.concatenate([model.labels_, [-1, -1, -1]])
    free = np.arange(len(rows)) >= len(x)
    r = rediscover(rows, previous, clusterer(0.5), 0.6, free=free)
    assert b_group in r.kept
    assert (r.labels[: len(x)][k == "B"] == b_group).all()  # no B member drifted out at the 0.6 bar
    assert (r.labels[len(x) :] == b_group).all()  # the new one-offs join it at the family's bar
    params = GroupParams(remainder_share=0.5, remainder_floor=None)
    ingest = np.asarray(params.bars(model.centroids_))
    assert ingest[b_group] == np.float32(0.4) and ingest[int(model.labels_[k == "A1"][0])] == np.float32(0.6)
