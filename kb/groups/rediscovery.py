"""Incremental re-discovery run over the stored groups: ids kept by construction, lineage recorded."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from indexing.clustering import HybridFeatures
from indexing.incremental import rediscover_rows
from kb.groups.discovery import Discovery, GroupParams, RunReport


def run_incremental(discovery: Discovery, params: GroupParams, actor: str) -> RunReport:
    """Keep each group's members that still fit it; cluster only pool, new and drifted cases.

    Uses the feature model of the last full run (so similarities are comparable with the stored
    centroids). Locked groups and cases a reviewer pinned to the pool are left out entirely;
    manually placed members stay where they are. New cases (``assigned`` on ingest) are
    re-clustered and confirmed as ``discovered``.
    """
    repo, kernel = discovery.repo, discovery.kernel
    model = HybridFeatures.from_bytes(repo.latest_model() or b"")
    locked = {g.id for g in repo.list_groups() if g.locked}
    members = repo.member_rows()
    rows = [r for r in members if r["group_id"] not in locked]
    current = {int(r["case_id"]): int(r["group_id"]) for r in rows}
    source = {int(r["case_id"]): str(r["source"]) for r in rows}
    skip = repo.pool_pins() | {int(r["case_id"]) for r in members if r["group_id"] in locked}
    del members, rows
    candidates = [i for i in kernel.cases.all_ids() if i not in skip]
    # Feature rows are built for the rows rediscover_rows asks for (a chunk of groups, the loose
    # fit's sample, assignment batches), never for every candidate at once.
    ids = discovery.pages.with_vectors(candidates)
    gids = sorted({current[c] for c in ids if c in current})
    index = {g: k for k, g in enumerate(gids)}
    previous = np.array([index[current[c]] if c in current else -1 for c in ids], np.int64)
    free = np.array([source.get(c) == "assigned" for c in ids], bool)
    fixed = np.array([source.get(c) == "manual" for c in ids], bool)
    build = discovery.pages.rows(model, ids)
    clusterer, bar = params.clusterer(), params.assign_threshold
    result = rediscover_rows(build, len(ids), previous, clusterer, bar, free=free, fixed=fixed)

    with kernel.db.transaction() as conn:
        run_id = repo.record_run(conn, actor, asdict(params) | {"mode": "incremental"}, None)
        report = RunReport(run_id, "incremental", len(ids), 0, 0, kept=[gids[k] for k in result.kept])
        gid_of = {k: gids[k] for k in result.kept}
        for k in range(result.n_existing, int(result.labels.max(initial=-1)) + 1):
            gid_of[k] = repo.create(conn, "（待命名）", actor, run_id)
            origin = gids[result.split_from[k]] if k in result.split_from else None
            repo.lineage(conn, "split" if origin else "new", gid_of[k], origin, actor, run_id)
            (report.split.append((gid_of[k], origin)) if origin else report.new.append(gid_of[k]))
        upserts, leaving = [], []
        for case_id, label in zip(ids, result.labels.tolist(), strict=True):
            if label < 0:
                if case_id in current:
                    leaving.append(case_id)
            elif current.get(case_id) != gid_of[label] or source.get(case_id) == "assigned":
                upserts.append((case_id, gid_of[label], "discovered", None))
        repo.remove_members(conn, leaving)
        repo.set_members(conn, upserts, actor)
        for k in result.retired:
            report.retired.append(gids[k])
            discovery.retire(conn, gids[k], "retired", None, actor, run_id)
        discovery.refresh(conn, model, actor)
        discovery.close_run(conn, report, len(ids))
    return report
