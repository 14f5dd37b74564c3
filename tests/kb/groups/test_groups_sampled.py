"""Group discovery at scale: fit on a seeded sample, assign the rest by nearest group (indexing.sampled)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

from api.cli import cli, register_commands
from indexing.clustering import HybridClusterer, assign, match_groups
from indexing.encoders.hashing import HashingEncoder
from indexing.incremental import rediscover
from indexing.sampled import fit_sampled, sample_rows
from indexing.segment import Segmenter
from kb.service import LeianService
from tests.conftest import make_settings

N_GROUPS, PER_GROUP, N_OUTLIERS, DIM = 30, 60, 60, 64


def planted(seed: int = 0) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    """30 tight groups of 60 (own words) and 60 scattered outliers, rows shuffled."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(N_GROUPS, DIM))
    x = [c + 0.2 * rng.normal(size=(PER_GROUP, DIM)) for c in centers]
    x.append(rng.normal(size=(N_OUTLIERS, DIM)) * 3)
    truth = np.concatenate([np.repeat(np.arange(N_GROUPS), PER_GROUP), np.full(N_OUTLIERS, -1)])
    toks = [[f"词{g}a", f"词{g}b", f"共同{k % 3}"] if g >= 0 else [f"孤立{k}"] for k, g in enumerate(truth)]
    order = rng.permutation(len(truth))
    arr = np.vstack(x)[order].astype(np.float32)
    return arr / np.linalg.norm(arr, axis=1, keepdims=True), [toks[i] for i in order], truth[order]


def groups_of(labels: np.ndarray) -> dict[int, list[int]]:
    return {int(k): np.flatnonzero(labels == k).tolist() for k in np.unique(labels[labels >= 0])}


def ari(a: np.ndarray, b: np.ndarray) -> float:
    return float(adjusted_rand_score(a, b))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    return planted()


def test_sampled_fit_recovers_planted_groups_like_a_full_fit(data) -> None:
    x, toks, truth = data
    full = HybridClusterer(lexical_dims=32, max_fit=None).fit(x, toks)
    sampled = HybridClusterer(lexical_dims=32, max_fit=400).fit(x, toks)
    assert sampled.sample_ is not None and len(sampled.sample_) == 400
    assert full.sample_ is None
    grouped = truth >= 0
    assert ari(truth[grouped], full.labels_[grouped]) == 1.0
    assert ari(truth[grouped], sampled.labels_[grouped]) >= 0.98
    assert ari(full.labels_, sampled.labels_) >= 0.95
    assert set(sampled.labels_[~grouped].tolist()) == {-1}, "outliers stay unassigned"
    # Ids carry over from a full run to a sampled one (and back) by member overlap.
    members = [groups_of(full.labels_), groups_of(sampled.labels_)]
    match = match_groups(members[0], members[1])
    assert sum(v is not None for v in match.ids.values()) >= 0.95 * len(members[0])


def test_every_other_row_follows_the_assignment_rule(data) -> None:
    x, toks, _ = data
    model = HybridClusterer(lexical_dims=32, max_fit=300, threshold=0.5).fit(x, toks)
    rows = model.sample_
    assert rows is not None
    feats = model.features_.transform(x, toks)
    on_sample = HybridClusterer(lexical_dims=32, max_fit=None, threshold=0.5).fit_features(feats[rows])
    assert np.array_equal(model.labels_[rows], on_sample.labels_)
    rest = np.setdiff1d(np.arange(len(x)), rows)
    expected, scores = assign(feats[rest], on_sample.centroids_, 0.5)
    assert np.array_equal(model.labels_[rest], expected)
    assert ((scores >= 0.5) == (model.labels_[rest] >= 0)).all(), "labelled iff the threshold is met"
    for k in range(len(model.centroids_)):  # centroids are member means over all rows, as in a full fit
        np.testing.assert_allclose(model.centroids_[k], feats[model.labels_ == k].mean(axis=0), atol=1e-5)


def test_sampled_fit_is_deterministic_and_seeded(data) -> None:
    x, toks, _ = data
    a = HybridClusterer(lexical_dims=32, max_fit=500, seed=3).fit(x, toks)
    b = HybridClusterer(lexical_dims=32, max_fit=500, seed=3).fit(x, toks)
    c = HybridClusterer(lexical_dims=32, max_fit=500, seed=4).fit(x, toks)
    assert np.array_equal(a.labels_, b.labels_) and np.array_equal(a.centroids_, b.centroids_)
    assert a.sample_ is not None and c.sample_ is not None and not np.array_equal(a.sample_, c.sample_)
    assert ari(a.labels_, c.labels_) >= 0.95


def test_batches_do_not_change_the_result(data) -> None:
    x, _, _ = data
    whole = HybridClusterer(max_fit=500).fit_features(x)
    rows = sample_rows(len(x), 500)
    assert rows is not None and whole.sample_ is not None and np.array_equal(rows, whole.sample_)
    small = HybridClusterer(max_fit=500)
    fit_sampled(small, lambda idx: x[idx], len(x), rows, batch=37)
    assert np.array_equal(small.labels_, whole.labels_)
    np.testing.assert_allclose(small.centroids_, whole.centroids_, atol=1e-5)


def test_below_max_fit_nothing_changes(data) -> None:
    x, toks, _ = data
    base = HybridClusterer(lexical_dims=32, max_fit=None).fit(x, toks)
    for max_fit in (len(x), 10 * len(x)):
        same = HybridClusterer(lexical_dims=32, max_fit=max_fit).fit(x, toks)
        assert same.sample_ is None
        assert np.array_equal(same.labels_, base.labels_) and np.array_equal(same.centroids_, base.centroids_)
    default = HybridClusterer(lexical_dims=32).fit(x, toks)
    assert np.array_equal(default.labels_, base.labels_), "the default max_fit (100,000) is far above this"


def test_recent_window_and_bad_mode(data) -> None:
    x, _, _ = data
    model = HybridClusterer(max_fit=700, sample="recent").fit_features(x)
    assert model.sample_ is not None and model.sample_.tolist() == list(range(len(x) - 700, len(x)))
    assert ((model.labels_ >= 0) | (model.labels_ == -1)).all()
    with pytest.raises(ValueError):
        HybridClusterer(sample="oldest")
    with pytest.raises(ValueError):
        HybridClusterer(max_fit=0)


def test_incremental_rediscovery_with_a_sampled_clusterer(data) -> None:
    x, _, truth = data
    old = (truth >= 0) & (truth < 20)
    first = HybridClusterer(max_fit=300).fit_features(x[old])
    order = np.concatenate([np.flatnonzero(old), np.flatnonzero(~old)])
    previous = np.concatenate([first.labels_, np.full(int((~old).sum()), -1)])
    # 660 loose rows > max_fit 200: the loose rows are clustered on a sample and assigned.
    r = rediscover(x[order], previous, HybridClusterer(max_fit=200), 0.4)
    n_old = int(old.sum())
    assert r.kept == list(range(r.n_existing)) and r.retired == []
    assert np.array_equal(r.labels[:n_old], first.labels_), "existing groups keep their index"
    new_truth, new_labels = truth[order][n_old:], r.labels[n_old:]
    planted_new = new_truth >= 0
    assert (new_labels[planted_new] >= r.n_existing).all()
    assert ari(new_truth[planted_new], new_labels[planted_new]) >= 0.95
    outliers = new_labels[~planted_new]
    assert (outliers < r.n_existing).all() and (outliers < 0).mean() >= 0.9, "outliers found no group"


def test_service_discovery_samples_large_corpora(tmp_path: Path, segmenter: Segmenter, sample_rows) -> None:
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
    try:
        svc.ingest(sample_rows[:300])
        report = svc.groups.discover(mode="full", max_fit=120)
        assert report.mode == "full" and report.groups >= 3
        members = {r["case_id"]: r["group_id"] for r in svc.groups.repo.member_rows()}
        assert len(members) + report.unassigned == 300
        run = svc.db.query("SELECT params FROM group_runs ORDER BY id DESC LIMIT 1")[0][0]
        assert '"max_fit": 120' in run
        svc.ingest(sample_rows[300:330])
        again = svc.groups.discover(max_fit=120)
        assert again.mode == "incremental"
        kept = {r["group_id"] for r in svc.groups.repo.member_rows()} & set(members.values())
        assert len(kept) >= 0.9 * len(set(members.values()))
    finally:
        svc.close()
    register_commands()
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(tmp_path),
            "--encoder",
            "hashing",
            "groups",
            "discover",
            "--mode",
            "full",
            "--max-fit",
            "100",
        ],
        env={"LEIAN_PETITIONER_KEY": "test-secret-key"},
    )
    assert result.exit_code == 0 and "（full）" in result.output, result.output
    again = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
    try:
        assert '"max_fit": 100' in again.db.query("SELECT params FROM group_runs ORDER BY id DESC LIMIT 1")[0][0]
    finally:
        again.close()
