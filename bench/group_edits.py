"""Does the refresh after reviewer edits leave what a full refresh would? (docs/benchmarks.md, issue 20)

    python -m bench.group_edits check --dir /work/e200k-copy

Opens the data directory (no search index), reads every active group (name, keywords,
representatives, family, centroid) and family (name, keywords, size, groups), runs the full
``Discovery.refresh`` inside a transaction, reads again and prints how many differ. Run it on a
copy: the full refresh writes (the same values, when the edits left them right).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np


def snapshot(svc: Any) -> tuple[dict[int, Any], dict[int, np.ndarray], dict[int, Any]]:
    groups = {g.id: (g.name, g.keywords, g.representatives, g.family_id) for g in svc.groups.list_groups()}
    gids, centroids = svc.groups.repo.centroids()
    families = {f.id: (f.name, f.keywords, f.size, f.groups) for f in svc.groups.families()}
    return groups, dict(zip(gids, centroids, strict=True)), families


def check(data_dir: Path) -> int:
    from kb.service import LeianService
    from kb.settings import load_settings

    svc = LeianService(load_settings(data_dir=data_dir), open_index=False)
    before = snapshot(svc)
    model = svc.groups.model()
    if model is None:
        print("no groups")
        return 1
    with svc.groups.db.transaction() as conn:
        svc.groups.discovery.refresh(conn, model, "bench")
    after = snapshot(svc)
    svc.close()
    groups = [g for g in before[0] if before[0][g] != after[0].get(g)]
    families = [f for f in before[2] if before[2][f] != after[2].get(f)]
    shift = max((float(np.abs(before[1][g] - after[1][g]).max()) for g in before[1] if g in after[1]), default=0.0)
    print(f"groups {len(before[0])}, differing after a full refresh: {len(groups)} {groups[:10]}")
    print(f"centroids: same groups {set(before[1]) == set(after[1])}, largest difference {shift:.3g}")
    print(f"families {len(before[2])}, differing: {len(families)} {families[:10]}")
    return 0 if not groups and not families and shift <= 1e-6 else 1


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.group_edits")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="full refresh on a copy: does anything change?")
    c.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    return check(args.dir)


if __name__ == "__main__":
    raise SystemExit(main())
