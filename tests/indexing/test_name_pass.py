"""The name pass (issue 19): a case below every bar joins the group whose members name what it
names (company, platform, estate), when its similarity to them still reaches ``name_floor``.

Features written for the test in the layout of ``HybridFeatures`` with names: 64 text columns
(weight 0.7) and the 128-column name block (weight 0.3). Six cases of one matter name 快运通 (text
similarity 0.8 to each other, 0.86 with names); strays are loosely related in wording (about 0.21)
and name 快运通, another platform, or nothing.
"""

from __future__ import annotations

import numpy as np

from indexing.centroids import NameRule, assign
from indexing.clustering import ENTITY_DIMS, HybridClusterer
from indexing.incremental import rediscover
from kb.groups.discovery import GroupParams

TEXT = 64
WEIGHT = 0.3
_BASIS = np.linalg.qr(np.random.default_rng(0).standard_normal((TEXT, TEXT)))[0].T


def row(text: np.ndarray, name: int | None) -> np.ndarray:
    named = np.zeros(ENTITY_DIMS, np.float32)
    if name is None:
        return np.concatenate([text, named]).astype(np.float32)
    named[name] = 1.0
    return np.concatenate([text * np.sqrt(1 - WEIGHT), named * np.sqrt(WEIGHT)]).astype(np.float32)


def corpus() -> tuple[np.ndarray, list[str]]:
    a = _BASIS[0]
    members = [row(np.sqrt(0.8) * a + np.sqrt(0.2) * _BASIS[1 + i], 0) for i in range(6)]
    near = np.sqrt(0.057) * a
    strays = [
        row(near + np.sqrt(0.943) * _BASIS[10], 0),  # names 快运通, wording loosely related
        row(near + np.sqrt(0.943) * _BASIS[11], 5),  # names another platform
        row(near + np.sqrt(0.943) * _BASIS[12], None),  # names nothing
        row(_BASIS[13], 0),  # names 快运通, wording unrelated
    ]
    return np.vstack(members + strays), ["M"] * 6 + ["same-name", "other-name", "no-name", "name-only"]


def clusterer(agreement: float | None) -> HybridClusterer:
    return HybridClusterer(
        threshold=0.6, entity_weight=WEIGHT, family_threshold=0.4, name_agreement=agreement, name_floor=0.35
    )


def test_assign_joins_by_names_only_above_the_agreement_and_the_floor() -> None:
    x, _ = corpus()
    centroid = x[:6].mean(axis=0, keepdims=True)
    rule = NameRule(ENTITY_DIMS, WEIGHT, 0.5, 0.35)
    plain, scores = assign(x[6:], centroid, 0.6)
    assert (plain == -1).all() and 0.4 < scores[0] < 0.5  # below the matter bar 0.6
    labels, _ = assign(x[6:], centroid, 0.6, names=rule)
    assert labels.tolist() == [0, -1, -1, -1]  # same name and >= 0.35; other name; no name; 0.3 < floor
    assert (assign(x[6:], centroid, 0.6, names=NameRule(ENTITY_DIMS, WEIGHT, 0.5, 0.5))[0] == -1).all()


def test_discovery_name_pass_attaches_the_named_stray_only() -> None:
    x, kinds = corpus()
    k = np.asarray(kinds)
    before = clusterer(None).fit_features(x).labels_
    assert len(set(before[k == "M"].tolist())) == 1 and before[k == "M"][0] >= 0
    assert (before[6:] == -1).all()
    labels = clusterer(0.5).fit_features(x).labels_
    assert labels[k == "same-name"][0] == labels[0]
    assert (labels[k != "same-name"][6:] == -1).all() and (labels[:6] == before[:6]).all()


def test_ingest_and_rediscovery_apply_the_name_pass_and_keep_what_it_joined() -> None:
    x, _ = corpus()
    model = clusterer(0.5).fit_features(x[:6])
    params = GroupParams(name_agreement=0.5, name_floor=0.35)
    labels, _ = assign(x[6:], model.centroids_, params.bars(model.centroids_), names=params.name_rule())
    assert labels.tolist() == [0, -1, -1, -1]  # on ingest as in discovery
    assert GroupParams().name_rule() == clusterer(None).name_rule()  # the defaults agree
    previous = np.concatenate([model.labels_, [-1] * 4])
    free = np.arange(len(x)) >= 6
    r = rediscover(x, previous, clusterer(0.5), 0.6, free=free)
    assert r.labels.tolist() == [0] * 7 + [-1, -1, -1] and r.kept == [0]
    again = rediscover(x, r.labels, clusterer(0.5), 0.6)  # the joined case stays a member
    assert again.labels.tolist() == r.labels.tolist() and again.drifted == 0
    off = rediscover(x, r.labels, clusterer(None), 0.6)  # without the pass it drifts out
    assert off.labels[6] == -1 and (off.labels[:6] == 0).all()
