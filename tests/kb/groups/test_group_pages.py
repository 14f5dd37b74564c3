"""Issue 20: discovery and refresh read cases a page at a time; the result does not depend on the page."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexing.clustering import HybridFeatures, ctfidf_keywords
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.groups.pages import CasePages
from kb.service import LeianService
from tests.conftest import make_settings

N_CASES = 360


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, segmenter: Segmenter, sample_rows: list) -> Path:
    path = tmp_path_factory.mktemp("pages")
    svc = LeianService(make_settings(path), encoder=HashingEncoder(), segmenter=segmenter)
    svc.ingest(sample_rows[:N_CASES])
    svc.close()
    return path


@pytest.fixture
def services(ingested: Path, tmp_path: Path, segmenter: Segmenter) -> Iterator[tuple[LeianService, LeianService]]:
    """The same ingested directory twice: one read 7 cases a page, one in a single page."""
    out = []
    for name, page in (("small", 7), ("single", 10_000)):
        shutil.copytree(ingested, tmp_path / name)
        svc = LeianService(make_settings(tmp_path / name), encoder=HashingEncoder(), segmenter=segmenter)
        svc.groups.discovery.pages = CasePages(svc.groups.kernel, page)
        out.append(svc)
    yield out[0], out[1]
    for svc in out:
        svc.close()


def state(svc: LeianService) -> dict[str, Any]:
    """Everything a refresh writes: members, names, keywords, representatives, centroids, families."""
    groups = svc.groups.list_groups()
    gids, centroids = svc.groups.repo.centroids()
    return {
        "members": sorted((r["case_id"], r["group_id"]) for r in svc.groups.repo.member_rows()),
        "groups": [(g.id, g.name, g.keywords, g.representatives, g.family_id) for g in groups],
        "families": [(f.id, f.name, f.keywords, f.size) for f in svc.groups.families()],
        "centroids": (gids, centroids),
    }


def same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["members"] == b["members"]
    assert a["groups"] == b["groups"]
    assert a["families"] == b["families"]
    assert a["centroids"][0] == b["centroids"][0]
    np.testing.assert_allclose(a["centroids"][1], b["centroids"][1], rtol=0, atol=1e-6)


@pytest.mark.parametrize("max_fit", [None, 100])  # direct fit; sampled (fit on 100, the rest assigned)
def test_paged_discovery_and_edits_equal_a_single_page(
    services: tuple[LeianService, LeianService], max_fit: int | None
) -> None:
    small, single = services
    for svc in services:
        svc.groups.discover(mode="full", max_fit=max_fit)
    first = state(single)
    assert len(first["groups"]) >= 5 and first["families"]
    assert all(kw and reps for _, _, kw, reps, _ in first["groups"])
    same(state(small), first)
    # A reviewer edit refreshes every group (and the families) page by page too.
    pooled = next(c for c in range(1, N_CASES + 1) if single.groups.of_case(c) is None)
    target = first["groups"][0][0]
    for svc in services:
        svc.groups.move(pooled, target)
    same(state(small), state(single))
    # Only the named groups: the others keep what they had.
    for svc in services:
        model = svc.groups.model()
        assert model is not None
        with svc.groups.db.transaction() as conn:
            svc.groups.discovery.refresh(conn, model, "reviewer", only={target})
    same(state(small), state(single))


def _listed_ctfidf(docs: list[list[str]], labels: np.ndarray, top_n: int, exclude: set[str]) -> dict:
    """The class-based TF-IDF over listed tokens as it was computed before the count matrix
    (dicts of counts, one Python float per term): the reference the matrix path must equal."""
    df: dict[str, int] = {}
    per_class: dict[int, dict[str, int]] = {}
    for tokens, label in zip(docs, labels.tolist(), strict=True):
        for t in set(tokens):
            df[t] = df.get(t, 0) + 1
        if label >= 0:
            counts = per_class.setdefault(label, {})
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
    limit = 0.3 * len(docs) if len(docs) >= 20 else float("inf")
    total: dict[str, int] = {}
    for counts in per_class.values():
        for t, c in counts.items():
            total[t] = total.get(t, 0) + c
    avg_words = sum(total.values()) / len(per_class)
    out = {}
    for label, counts in per_class.items():
        size = sum(counts.values()) or 1
        scored = [
            (t, c / size * math.log(1 + avg_words / total[t]))
            for t, c in counts.items()
            if len(t) >= 2 and t not in exclude and df[t] <= limit
        ]
        scored.sort(key=lambda ts: (-ts[1], ts[0]))
        out[label] = [(t, round(float(v), 6)) for t, v in scored[:top_n]]
    return out


def test_counted_ctfidf_equals_listed() -> None:
    rng = np.random.default_rng(3)
    vocab = [f"词{k}" for k in range(40)] + ["广州市", "a"]
    docs = [[vocab[int(j)] for j in rng.integers(0, len(vocab), size=int(rng.integers(0, 12)))] for _ in range(60)]
    labels = rng.integers(-1, 4, size=len(docs))
    counted = ctfidf_keywords(docs, labels, top_n=5, exclude={"广州市"})
    assert counted and counted == _listed_ctfidf(docs, labels, 5, {"广州市"})


def test_feature_model_fitted_on_pages_equals_one_fit() -> None:
    rng = np.random.default_rng(5)
    docs = [[f"词{int(j)}" for j in rng.integers(0, 30, size=8)] + ["快运通"] for _ in range(50)]
    whole = HybridFeatures(0.4, 8, entity_weight=0.3).fit(docs)
    paged = HybridFeatures(0.4, 8, entity_weight=0.3).fit_pages(lambda: (docs[k : k + 7] for k in range(0, 50, 7)))
    assert paged.vocab == whole.vocab and paged.entity_idf == whole.entity_idf
    np.testing.assert_array_equal(paged.idf, whole.idf)
    np.testing.assert_array_equal(paged.components, whole.components)
