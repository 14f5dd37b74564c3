"""Group discovery runs: cluster, keep ids by member overlap, respect reviewer pins, record lineage."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from indexing.centroids import NameRule, bars
from indexing.clustering import (
    NAME_AGREEMENT,
    NAME_FLOOR,
    REMAINDER_FLOOR,
    REMAINDER_SHARE,
    HybridClusterer,
    HybridFeatures,
    ctfidf_matrix,
    match_groups,
    name_rule,
    remainder_bar,
)
from indexing.sampled import DEFAULT_MAX_FIT, sample_rows
from kb.groups.families import FamilyChange, refresh_families
from kb.groups.pages import FEATURE_PAGE, CasePages
from kb.groups.profile import excluded_terms, group_name
from kb.groups.store import GroupRepository
from kb.groups.summary import MemberSummary, summarize
from kb.groups.summary_store import SummaryStore, fingerprints
from kb.kernel import Kernel

log = logging.getLogger(__name__)
# Progress of a discovery run, one Chinese line per stage (the demo prints them and logs them).
StageFn = Callable[[str], None]


def report_stage(progress: StageFn | None, message: str) -> None:
    log.info("%s", message)
    if progress is not None:
        progress(message)


@dataclass(frozen=True)
class GroupParams:
    """Granularity and thresholds; ``threshold`` is the mean member similarity a group must keep."""

    # Issue 19: groups at the grain of one matter (0.4, the issue-4 value, is now the family level).
    threshold: float = 0.6
    min_size: int = 3
    dense_weight: float = 0.4
    lexical_dims: int = 256
    # Average similarity to a group's members needed to join it on ingest, and for a member to stay
    # in its group on incremental re-discovery (the same bar the clusterer uses for its pool).
    assign_threshold: float = 0.6
    min_overlap: float = 0.5
    # Scale: above max_fit cases, discovery (and the feature model fit) runs on a seeded random
    # sample ("recent": the newest max_fit cases) and the rest joins the nearest group >= threshold.
    max_fit: int = DEFAULT_MAX_FIT
    sample: str = "random"
    # Issue 19: share of the similarity given to the names a text mentions (companies, platforms,
    # estates, projects: indexing.entities), and the looser threshold of the level above a group,
    # the family (one issue type); None = one level, as before.
    entity_weight: float = 0.3
    family_threshold: float | None = 0.4
    # A family of mostly one-off matters keeps them as one remainder group at the family's bar
    # (indexing.clustering.REMAINDER_SHARE; None = they stay in the pool).
    remainder_share: float | None = REMAINDER_SHARE
    # Bar to join a family remainder group: the pool pass after discovery, ingest and re-discovery
    # (indexing.clustering.REMAINDER_FLOOR; None = family_threshold).
    remainder_floor: float | None = REMAINDER_FLOOR
    # Name pass: a case below every bar joins the group whose members' names it shares (average
    # name cosine >= name_agreement) at similarity >= name_floor (indexing.centroids.NameRule;
    # indexing.clustering.NAME_AGREEMENT; None = off).
    name_agreement: float | None = NAME_AGREEMENT
    name_floor: float = NAME_FLOOR

    def clusterer_options(self) -> dict[str, Any]:
        """The keyword arguments of ``HybridClusterer`` (and ``cluster_levels``) these parameters set."""
        return {
            "threshold": self.threshold,
            "min_size": self.min_size,
            "dense_weight": self.dense_weight,
            "lexical_dims": self.lexical_dims,
            "max_fit": self.max_fit,
            "sample": self.sample,
            "entity_weight": self.entity_weight,
            "family_threshold": self.family_threshold,
            "remainder_share": self.remainder_share,
            "remainder_floor": self.remainder_floor,
            "name_agreement": self.name_agreement,
            "name_floor": self.name_floor,
        }

    def clusterer(self) -> HybridClusterer:
        return HybridClusterer(**self.clusterer_options())

    def bars(self, centroids: np.ndarray) -> np.ndarray | float:
        """Per-group bar to join on ingest: ``assign_threshold``, the family's for family remainders."""
        fam = remainder_bar(self.family_threshold, self.remainder_share, self.remainder_floor)
        b = np.broadcast_to(np.asarray(bars(centroids, self.threshold, fam), np.float32), (len(centroids),))
        return np.where(b < self.threshold, np.minimum(b, self.assign_threshold), self.assign_threshold)

    def name_rule(self) -> NameRule | None:
        """The name pass on ingest (the clusterer's ``name_rule``)."""
        return name_rule(self.entity_weight, self.name_agreement, self.name_floor)

    def features(self) -> HybridFeatures:
        """An unfitted feature model with these weights."""
        return HybridFeatures(self.dense_weight, self.lexical_dims, entity_weight=self.entity_weight)


@dataclass
class RunReport:
    run_id: int
    mode: str
    cases: int
    groups: int
    unassigned: int
    kept: list[int] = field(default_factory=list)
    new: list[int] = field(default_factory=list)
    split: list[tuple[int, int]] = field(default_factory=list)  # (new id, from id)
    merged: list[tuple[int, int]] = field(default_factory=list)  # (old id, into id)
    retired: list[int] = field(default_factory=list)


class Discovery:
    def __init__(
        self, kernel: Kernel, repo: GroupRepository, family_threshold: float | None = 0.4, page: int = FEATURE_PAGE
    ) -> None:
        self.kernel, self.repo = kernel, repo
        # Cases are read ``page`` at a time (ids, vectors, tokens, feature rows): bounded memory at 1M.
        self.pages = CasePages(kernel, page)
        # Groups are clustered into families at this threshold after every run and edit (None: no families).
        self.family_threshold = family_threshold
        self.summaries = SummaryStore(repo.clock)

    def run(
        self, params: GroupParams, actor: str, mode: str, recent_days: int = 30, progress: StageFn | None = None
    ) -> RunReport:
        """``full``: re-cluster every unpinned case; ``pool``: only the unassigned pool and recent cases.

        Pinned cases (members of locked groups, manual moves/splits/merges, cases a reviewer moved
        back to the pool) are never re-clustered.
        """
        members = self.repo.member_rows()
        locked = {g.id for g in self.repo.list_groups() if g.locked}
        pinned = {r["case_id"] for r in members if r["source"] == "manual" or r["group_id"] in locked}
        pinned |= self.repo.pool_pins()
        current = {r["case_id"]: r["group_id"] for r in members}
        all_ids = self.kernel.cases.all_ids()
        if mode == "full" or self.repo.latest_model() is None:
            mode = "full"
            candidates = [i for i in all_ids if i not in pinned]
            # Large corpora: the feature model is fitted on a sample too (the clusterer samples again
            # over the cases that have vectors; both draws are seeded).
            sampled = sample_rows(len(candidates), params.max_fit, params.sample)
            fit_ids = candidates if sampled is None else [candidates[i] for i in sampled]
            model = params.features().fit_pages(self.pages.token_pages(fit_ids))
        else:
            since = (dt.date.today() - dt.timedelta(days=recent_days)).isoformat()
            recent = self.kernel.cases.ids_received_since(since)
            candidates = [i for i in all_ids if i not in pinned and (i not in current or i in recent)]
            model = HybridFeatures.from_bytes(self.repo.latest_model() or b"")
        report_stage(progress, f"类案发现：{len(candidates)} 件案件参与，正在计算特征……")
        ids = self.pages.with_vectors(candidates)
        clusterer = params.clusterer()
        clusterer.on_cell = lambda done, total: report_stage(progress, f"类案发现：聚类 {done}/{total} 块")
        # Features are built for the rows the clusterer asks for (the sample, then assignment batches).
        build = self.pages.rows(model, ids)
        labels = clusterer.fit_rows(build, len(ids)).labels_ if len(ids) else np.zeros(0, np.int64)
        report_stage(progress, "类案发现：保存类案组与关键词……")
        new_members = {
            int(k): [ids[i] for i in np.flatnonzero(labels == k)] for k in range(int(labels.max(initial=-1)) + 1)
        }
        in_run = set(ids)
        old_members: dict[int, list[int]] = {}
        for case_id, gid in current.items():
            if case_id in in_run and gid not in locked:
                old_members.setdefault(gid, []).append(case_id)
        match = match_groups(old_members, new_members, params.min_overlap)
        with self.kernel.db.transaction() as conn:
            run_id = self.repo.record_run(conn, actor, asdict(params) | {"mode": mode}, model.to_bytes())
            report = RunReport(run_id, mode, len(ids), 0, 0)
            label_to_gid: dict[int, int] = {}
            for label, heir in sorted(match.ids.items()):
                if heir is not None:
                    label_to_gid[label] = heir
                    report.kept.append(heir)
                    continue
                if mode == "pool" and all(c in current for c in new_members[label]):
                    continue  # only already-grouped recent cases: nothing new to found
                gid = self.repo.create(conn, "（待命名）", actor, run_id)
                label_to_gid[label] = gid
                origin = match.split_from.get(label)
                self.repo.lineage(conn, "split" if origin else "new", gid, origin, actor, run_id)
                (report.split.append((gid, origin)) if origin else report.new.append(gid))
            rows = []
            for label, gid in label_to_gid.items():
                for case_id in new_members[label]:
                    if mode == "full" or case_id not in current or current[case_id] == gid:
                        rows.append((case_id, gid, "discovered", None))
            if mode == "full":
                leaving = [c for c, lab in zip(ids, labels, strict=True) if lab < 0 and c in current]
                self.repo.remove_members(conn, leaving)
            self.repo.set_members(conn, rows, actor)
            if mode == "pool":  # older members are outside this run: no group ends in a pool run
                match.merged_into, match.retired = {}, []
            for old, label in match.merged_into.items():
                target = label_to_gid.get(label)
                report.merged.append((old, target or 0))
                self.retire(conn, old, "merged", target, actor, run_id)
            for old in match.retired:
                report.retired.append(old)
                self.retire(conn, old, "retired", None, actor, run_id)
            self.refresh(conn, model, actor)
            self.close_run(conn, report, len(ids))
        return report

    def close_run(self, conn: sqlite3.Connection, report: RunReport, n_cases: int) -> None:
        """Fill the run's totals (active groups, unassigned cases) into the report and its row."""
        report.groups, report.unassigned = self.repo.close_run(conn, report.run_id, n_cases)

    def retire(
        self, conn: sqlite3.Connection, gid: int, kind: str, into: int | None, actor: str, run_id: int | None
    ) -> None:
        """An unmatched group ends, unless reviewers pinned members in it (those keep it alive)."""
        if self.repo.release_members(conn, gid):
            return
        self.repo.update(conn, gid, actor, state=kind, centroid=None)
        self.repo.lineage(conn, kind, gid, into, actor, run_id)

    def refresh(
        self, conn: sqlite3.Connection, model: HybridFeatures, actor: str, only: set[int] | None = None
    ) -> None:
        """Recompute centroid, keywords, representatives and (unless renamed) name of active groups
        (``only``: of those groups; the families always), reading every member a page at a time,
        and store the per-group summaries the edit refresh (``refresh_edited``) starts from."""
        members = self.repo.active_members(conn)
        everything = {int(g) for g in np.unique(members.groups)}
        refreshed = everything if only is None else everything & set(only)
        summary = summarize(self.pages, model, members, refreshed)
        self._apply(conn, actor, summary, members.categories, refreshed, None)
        self.summaries.replace(conn, summary, members.categories, fingerprints(conn))

    def refresh_edited(self, conn: sqlite3.Connection, model: HybridFeatures, actor: str) -> set[int] | None:
        """The refresh after a reviewer edit: the same result as ``refresh`` (names, keywords,
        centroids, representatives, families), reading only the members of groups whose membership
        or member cases changed since the stored summaries (``kb.groups.summary_store``); the other
        groups' term counts and family centroids come from those rows. Keywords and families are
        relative to all groups, so they are recomputed from the combined counts (no member read)
        and written where they differ. Returns the groups re-read (None: a full refresh was needed)."""
        changes = self.summaries.changes(conn)
        if changes is None:
            self.refresh(conn, model, actor)
            return None
        if not changes.reread and not changes.gone:  # no member or member case changed: nothing to redo
            self.summaries.mark(conn, changes.generation)
            return set()
        fresh_members = self.repo.active_members(conn, changes.reread)
        fresh = summarize(self.pages, model, fresh_members, changes.reread)
        moved = changes.reread | changes.gone
        family_change = FamilyChange(moved, self.summaries.family_centroids(conn, moved))
        self.summaries.delete(conn, changes.gone)
        self.summaries.write(conn, fresh, fresh_members.categories, changes.fingerprints, fresh.sizes)
        summary, categories = self.summaries.combine(conn, fresh, changes.kept, fresh_members.categories)
        labels = self.repo.group_labels(conn)
        self._apply(conn, actor, summary, categories, set(fresh.sizes), labels, family_change)
        self.summaries.mark(conn, changes.generation)
        return set(fresh.sizes)

    def _apply(
        self,
        conn: sqlite3.Connection,
        actor: str,
        summary: MemberSummary,
        categories: dict[int, Counter[str]],
        refreshed: set[int],
        stored: dict[int, tuple[str, list[str], bool]] | None,
        family_change: FamilyChange | None = None,
    ) -> None:
        """Write what ``summary`` gives: every field of the ``refreshed`` groups; of the others (when
        ``stored`` names their current name and keywords) the keywords and name where they changed."""
        exclude = excluded_terms(summary.terms)
        n_docs = sum(summary.sizes.values())
        keywords = ctfidf_matrix(summary.counts, list(summary.sizes), summary.terms, summary.df, n_docs, 10, exclude)
        for gid, size in summary.sizes.items():
            if gid not in refreshed and stored is None:
                continue
            words = [w for w, _ in keywords.get(gid, [])]
            # A matter-level group is named by what most of its members name (快运通, 临港物流园).
            named = summary.named.get(gid, Counter())
            lead = [n for n, k in named.most_common(2) if k * 2 >= size and n not in exclude]
            values: dict[str, Any] = {"keywords": words}
            if gid in refreshed:
                values["representatives"] = summary.representatives.get(gid, [])
                values["centroid"] = summary.centroids.get(gid)
            shown = stored.get(gid) if stored is not None else None
            manual = shown[2] if shown is not None else self.repo.name_manual(conn, gid)
            if not manual:
                values["name"] = group_name(
                    [*lead, *(w for w in words if w not in lead)], categories.get(gid, Counter())
                )
            unchanged = shown is not None and shown[1] == words and values.get("name", shown[0]) == shown[0]
            if gid not in refreshed and unchanged:
                continue  # an unchanged group keeps its row (and its updated_at)
            self.repo.update(conn, gid, actor, **values)
        if self.family_threshold is not None:
            refresh_families(conn, self.repo, summary, categories, self.family_threshold, exclude, family_change)
