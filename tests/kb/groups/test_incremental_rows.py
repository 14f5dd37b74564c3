"""Issue 20: incremental re-discovery builds feature rows on demand (``rediscover_rows``) and gives
the same result as the computation over one in-memory feature matrix it replaced."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kb.groups.rediscovery as rediscovery_module
from indexing.clustering import HybridClusterer, assign, match_groups
from indexing.encoders.hashing import HashingEncoder
from indexing.incremental import Rediscovery, _bars, _names_agree, _one_level, rediscover, rediscover_rows
from indexing.segment import Segmenter
from kb.groups.discovery import GroupParams
from kb.service import LeianService
from tests.conftest import make_settings

N_FIRST, N_LATER = 300, 60


def reference(
    x: np.ndarray,
    previous: np.ndarray,
    clusterer: HybridClusterer,
    assign_threshold: float,
    free: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
) -> Rediscovery:
    """``rediscover`` as it was before issue 20 (every feature row in one matrix ``x``)."""
    x = np.asarray(x, np.float32)
    previous = np.asarray(previous, np.int64)
    n_existing = int(previous.max(initial=-1)) + 1
    fixed_ = np.zeros(len(x), bool) if fixed is None else np.asarray(fixed, bool)
    free_ = np.zeros(len(x), bool) if free is None else np.asarray(free, bool) & ~fixed_
    labels = np.where(free_, -1, previous)
    out = Rediscovery(labels, n_existing)

    def means(ks: list[int]) -> np.ndarray:
        return np.vstack([x[labels == k].mean(axis=0) for k in ks]).astype(np.float32)

    dissolved: dict[int, list[int]] = {}
    for g in range(n_existing):
        rows = np.flatnonzero(labels == g)
        if len(rows) == 0:
            dissolved[g] = np.flatnonzero(previous == g).tolist()
            continue
        mean = x[rows].mean(axis=0)
        stays = (x[rows] @ mean >= _bars(clusterer, mean[None, :], assign_threshold)) | fixed_[rows]
        stays |= _names_agree(clusterer, x[rows], mean, len(rows))
        if stays.sum() < clusterer.min_size and not fixed_[rows].any():
            dissolved[g] = rows.tolist()
            labels[rows] = -1
            continue
        labels[rows[~stays]] = -1
        out.drifted += int((~stays).sum())
    kept = [g for g in range(n_existing) if g not in dissolved]
    loose = np.flatnonzero((labels < 0) & ~fixed_)
    next_label = n_existing
    if len(loose):
        fitted = _one_level(clusterer).fit_features(x[loose])
        sub, sub_centroids = fitted.labels_, fitted.centroids_
        kept_centroids = means(kept) if kept else np.zeros((0, x.shape[1]))
        fresh: dict[int, list[int]] = {}
        for j in range(len(sub_centroids)):
            part = loose[sub == j]
            sims = kept_centroids @ sub_centroids[j] if len(kept) else np.zeros(0)
            if len(sims) and sims.max() >= clusterer.threshold:
                labels[part] = kept[int(sims.argmax())]
                out.joined += 1
            else:
                fresh[j] = part.tolist()
        heirs = match_groups(dissolved, fresh).ids if dissolved else {}
        for j, members in sorted(fresh.items()):
            heir = heirs.get(j)
            if heir is not None:
                labels[members] = heir
                kept.append(heir)
                continue
            labels[members] = next_label
            origin = Counter(int(previous[r]) for r in members if previous[r] >= 0).most_common(1)
            if origin and origin[0][1] * 2 > len(members):
                out.split_from[next_label] = origin[0][0]
            next_label += 1
        targets = sorted(kept) + list(range(n_existing, next_label))
        rest = loose[labels[loose] < 0]
        if len(rest) and targets:
            m = means(targets)
            near, _ = assign(x[rest], m, _bars(clusterer, m, assign_threshold), names=clusterer.name_rule())
            labels[rest] = np.where(near >= 0, np.asarray(targets)[np.maximum(near, 0)], -1)
    out.kept = sorted(kept)
    out.retired = sorted(g for g in dissolved if g not in kept)
    out.labels = labels
    return out


def outcome(r: Rediscovery) -> dict[str, Any]:
    return {
        "labels": r.labels.tolist(),
        "n_existing": r.n_existing,
        "kept": r.kept,
        "retired": r.retired,
        "split_from": r.split_from,
        "joined": r.joined,
        "drifted": r.drifted,
    }


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory, segmenter: Segmenter, sample_rows: list) -> Path:
    """Samplegen petitions: a full discovery over the first 300, then 60 more ingested (some placed
    on ingest: free rows) and one pooled case moved into a group by a reviewer (a fixed row)."""
    path = tmp_path_factory.mktemp("incremental")
    svc = LeianService(make_settings(path), encoder=HashingEncoder(), segmenter=segmenter)
    try:
        svc.ingest(sample_rows[:N_FIRST])
        svc.groups.discover(mode="full")
        svc.ingest(sample_rows[N_FIRST : N_FIRST + N_LATER])
        pooled = next(c for c in range(1, N_FIRST + 1) if svc.groups.of_case(c) is None)
        svc.groups.move(pooled, svc.groups.list_groups()[0].id)
    finally:
        svc.close()
    return path


@pytest.fixture(scope="module")
def arrays(grouped: Path, segmenter: Segmenter) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stored groups as ``run_incremental`` reads them: features, previous labels, free, fixed."""
    svc = LeianService(make_settings(grouped), encoder=HashingEncoder(), segmenter=segmenter)
    try:
        discovery = svc.groups.discovery
        model = svc.groups.model()
        assert model is not None
        ids = discovery.pages.with_vectors(svc.groups.kernel.cases.all_ids())
        x = discovery.pages.matrix(model, ids)
        rows = {int(r["case_id"]): (int(r["group_id"]), str(r["source"])) for r in svc.groups.repo.member_rows()}
    finally:
        svc.close()
    gids = sorted({g for g, _ in rows.values()})
    previous = np.array([gids.index(rows[c][0]) if c in rows else -1 for c in ids], np.int64)
    free = np.array([c in rows and rows[c][1] == "assigned" for c in ids])
    fixed = np.array([c in rows and rows[c][1] == "manual" for c in ids])
    return x, previous, free, fixed


def scenarios(previous: np.ndarray, fixed: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """The stored labels, and edited ones: four members of group 0 put back in the pool (they join
    it again), group 2 merged into group 1 and six scattered pooled rows labelled 2 (it dissolves)."""
    yield "stored", previous
    edited = previous.copy()
    edited[np.flatnonzero((edited == 0) & ~fixed)[:4]] = -1
    edited[edited == 2] = 1
    edited[np.flatnonzero(edited < 0)[::9][:6]] = 2
    yield "edited", edited


def counting(x: np.ndarray, sizes: list[int]) -> Callable[[np.ndarray], np.ndarray]:
    def rows(idx: np.ndarray) -> np.ndarray:
        sizes.append(len(idx))
        return x[idx]

    return rows


@pytest.mark.parametrize("batch", [10_000, 40, 7])  # one chunk; chunks of groups; groups read in slices
@pytest.mark.parametrize("max_fit", [100_000, 30])  # loose rows fitted directly; on a sample of 30
def test_rows_on_demand_equal_the_in_memory_computation(arrays, batch: int, max_fit: int) -> None:
    x, stored, free, fixed = arrays
    assert free.any() and fixed.any()
    seen: Counter[str] = Counter()
    for name, previous in scenarios(stored, fixed):
        clusterer = GroupParams(max_fit=max_fit).clusterer()
        want = outcome(reference(x, previous, clusterer, 0.6, free=free, fixed=fixed))
        sizes: list[int] = []
        got = rediscover_rows(counting(x, sizes), len(x), previous, clusterer, 0.6, free, fixed, batch=batch)
        assert outcome(got) == want, name
        assert outcome(rediscover(x, previous, clusterer, 0.6, free=free, fixed=fixed)) == want, name
        # Never every row at once: a chunk of groups (or one group's slice), the loose rows' fit
        # (their sample, its assignment batches), the pooled rest in batches.
        assert max(sizes) < len(x), (name, max(sizes))
        if batch < len(x):
            assert sizes[0] <= batch, "the first chunk of groups"
        seen.update({k for k in ("drifted", "joined", "retired") if want[k]})
        assert all(want["labels"][r] == previous[r] for r in np.flatnonzero(fixed)), "pins never move"
    # The scenarios exercise drift, dissolved groups and (fitted directly) joins; a split is
    # bookkeeping on labels only.
    assert set(seen) == {"drifted", "retired"} | ({"joined"} if max_fit >= len(x) else set()), seen


@pytest.fixture
def twins(grouped: Path, tmp_path: Path, segmenter: Segmenter) -> Iterator[tuple[LeianService, LeianService]]:
    out = []
    for name in ("rows", "matrix"):
        shutil.copytree(grouped, tmp_path / name)
        out.append(LeianService(make_settings(tmp_path / name), encoder=HashingEncoder(), segmenter=segmenter))
    yield out[0], out[1]
    for svc in out:
        svc.close()


def test_run_incremental_equals_the_in_memory_computation(
    twins: tuple[LeianService, LeianService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole run (members, lineage, pins) on two copies: rows on demand vs one feature matrix."""
    rows_svc, matrix_svc = twins
    by_rows = rows_svc.groups.discover()
    sizes: list[int] = []

    def whole(rows_features, n, previous, clusterer, assign_threshold, free=None, fixed=None) -> Rediscovery:
        sizes.append(n)
        return reference(rows_features(np.arange(n)), previous, clusterer, assign_threshold, free, fixed)

    monkeypatch.setattr(rediscovery_module, "rediscover_rows", whole)
    by_matrix = matrix_svc.groups.discover()
    assert sizes == [N_FIRST + N_LATER] and by_rows.mode == by_matrix.mode == "incremental"
    assert (by_rows.kept, by_rows.new, by_rows.split, by_rows.retired) == (
        by_matrix.kept,
        by_matrix.new,
        by_matrix.split,
        by_matrix.retired,
    )
    assert by_rows.groups == by_matrix.groups and by_rows.unassigned == by_matrix.unassigned
    members = [sorted(tuple(r) for r in svc.groups.repo.member_rows()) for svc in twins]
    assert members[0] == members[1]
    lineage = [svc.db.query("SELECT kind, group_id, other_id FROM group_lineage ORDER BY id") for svc in twins]
    assert [tuple(r) for r in lineage[0]] == [tuple(r) for r in lineage[1]]
    assert any(r[2] == "manual" for r in members[0]), "the reviewer's move is kept"
