"""Issue 20: a reviewer edit re-reads only the groups it changes, with the result of a full refresh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.domain import CaseUpdate
from kb.groups import families
from kb.groups.summary import summarize
from kb.service import LeianService
from tests.conftest import make_settings
from tests.kb.groups.test_group_pages import same, state

N_CASES = 360


@pytest.fixture
def pair(tmp_path: Path, segmenter: Segmenter, sample_rows: list) -> Iterator[tuple[LeianService, LeianService, list]]:
    """The same corpus twice, discovered: ``edited`` refreshes incrementally after edits, ``full``
    refreshes every group (the reference); ``reread`` collects what each edit refresh re-read."""
    out = []
    for name in ("edited", "full"):
        svc = LeianService(make_settings(tmp_path / name), encoder=HashingEncoder(), segmenter=segmenter)
        svc.ingest(sample_rows[:N_CASES])
        svc.groups.discover(mode="full")
        out.append(svc)
    edited, full = out
    reread: list[Any] = []
    incremental = edited.groups.discovery.refresh_edited

    def recording(conn: Any, model: Any, actor: str) -> set[int] | None:
        groups = incremental(conn, model, actor)
        reread.append(groups)
        return groups

    edited.groups.discovery.refresh_edited = recording  # type: ignore[method-assign]
    discovery = full.groups.discovery
    full.groups.discovery.refresh_edited = lambda conn, model, actor: discovery.refresh(conn, model, actor)  # type: ignore[method-assign]
    yield edited, full, reread
    for svc in out:
        svc.close()


def test_edits_refresh_only_their_groups_with_the_full_refresh_result(
    pair: tuple[LeianService, LeianService, list], sample_rows: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited, full, reread = pair
    clustered: list[int] = []  # groups handed to the family clustering, per call
    cluster = families.cluster_groups

    def counting(centroids: Any, threshold: float) -> Any:
        clustered.append(len(centroids))
        return cluster(centroids, threshold)

    monkeypatch.setattr(families, "cluster_groups", counting)
    same(state(edited), state(full))
    groups = [g.id for g in edited.groups.list_groups()]
    assert len(groups) >= 8
    n_groups = len(groups)
    pooled = [c for c in range(1, N_CASES + 1) if edited.groups.of_case(c) is None]
    a, b, c, d = groups[:4]
    member_b = edited.groups.repo.member_ids(b)[0]
    members_a = edited.groups.repo.member_ids(a)

    steps = [
        ("move a pooled case", lambda s: s.groups.move(pooled[0], a), {a}),
        ("move a member", lambda s: s.groups.move(member_b, c), {b, c}),
        ("merge", lambda s: s.groups.merge(c, [d]), {c}),
        ("split", lambda s: s.groups.split(a, members_a[:2], "拆出"), None),
        ("to the pool", lambda s: s.groups.move(members_a[-1], None), {a}),
        ("undo the merge", lambda s: s.groups.undo_last(c), {c, d}),
        ("move a case where it is", lambda s: s.groups.move(member_b, c), set()),
    ]
    pairs = []  # (groups the edit refresh clustered into families, groups the full refresh clustered)
    for label, step, expected in steps:
        counted = []
        for svc in (edited, full):
            start = len(clustered)
            step(svc)
            counted.append(sum(clustered[start:]))
        pairs.append((counted[0], counted[1]))
        same(state(edited), state(full))
        last = reread[-1]
        assert last is not None, f"{label}: the stored summaries were used"
        if expected is not None:
            assert last == expected, label
        else:  # the split: the group and the one split off it
            assert a in last and len(last) == 2, label
    # Families: only the groups an edit can reach are re-clustered (the full refresh takes all).
    assert all(a <= b for a, b in pairs) and any(a < b for a, b in pairs), pairs

    # Cases written since (a text edit, new cases placed on ingest) make their groups re-read too.
    member_c = edited.groups.repo.member_ids(c)[1]
    new_rows = sample_rows[N_CASES : N_CASES + 40]
    for svc in (edited, full):
        svc.update_case(member_c, CaseUpdate(category="劳动社保"))
        svc.ingest(new_rows)
        svc.groups.move(pooled[1], b)
    same(state(edited), state(full))
    joined = {r["group_id"] for r in edited.groups.repo.member_rows() if r["source"] == "assigned"}
    last = reread[-1]
    assert last is not None and {b, c} | joined <= last and len(last) < n_groups

    # A reindex leaves no trace of which cases changed: the next edit refreshes everything.
    for svc in (edited, full):
        svc.reindex()
        svc.groups.move(pooled[2], a)
    assert reread[-1] is None
    same(state(edited), state(full))


def _by_term(summary: Any) -> dict[str, Any]:
    """A summary's per-group counts and document counts, frequencies and names keyed by term."""
    rows = {g: k for k, g in enumerate(summary.sizes)}
    counts, docs = summary.counts.tocsr(), summary.docs.tocsr()

    def row(m: Any, k: int) -> dict[str, int]:
        lo, hi = m.indptr[k], m.indptr[k + 1]
        return {summary.terms[int(j)]: int(v) for j, v in zip(m.indices[lo:hi], m.data[lo:hi], strict=True) if v}

    return {
        "sizes": dict(sorted(summary.sizes.items())),
        "counts": {g: row(counts, k) for g, k in rows.items()},
        "docs": {g: row(docs, k) for g, k in rows.items()},
        "df": {t: int(n) for t, n in zip(summary.terms, summary.df, strict=True)},
        "family_df": {t: int(n) for t, n in zip(summary.terms, summary.family_df, strict=True)},
        "names": {g: summary.named[g].most_common(2) for g in rows},
        "families": sorted(summary.family_centroids),
    }


def test_stored_rows_combine_into_the_full_summary(pair: tuple[LeianService, LeianService, list]) -> None:
    """The counts, document frequencies (all members and the families' members), names and family
    centroids of stored rows plus re-read groups equal those of one pass over every member."""
    edited = pair[0]
    groups = [g.id for g in edited.groups.list_groups()]
    pooled = next(c for c in range(1, N_CASES + 1) if edited.groups.of_case(c) is None)
    edited.groups.move(pooled, groups[0])
    edited.groups.move(edited.groups.repo.member_ids(groups[1])[0], None)
    discovery, model = edited.groups.discovery, edited.groups.model()
    assert model is not None
    with edited.groups.db.transaction() as conn:
        whole = summarize(discovery.pages, model, discovery.repo.active_members(conn), set())
        reread = {groups[0], groups[2]}
        fresh_members = discovery.repo.active_members(conn, reread)
        fresh = summarize(discovery.pages, model, fresh_members, reread)
        changes = discovery.summaries.changes(conn)
        assert changes is not None and not changes.reread, "the edits left the stored rows current"
        discovery.summaries.write(conn, fresh, fresh_members.categories, changes.fingerprints, reread)
        combined, _ = discovery.summaries.combine(conn, fresh, set(whole.sizes) - reread, fresh_members.categories)
    assert _by_term(combined) == _by_term(whole)
    for g in whole.family_centroids:
        assert abs(combined.family_centroids[g] - whole.family_centroids[g]).max() < 1e-6
