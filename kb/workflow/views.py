"""Read views of the workflow tables: repeat links, warning flags, litigation tracks and lists."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

from kb.errors import NotFoundError
from kb.privacy import mask_personal
from kb.scope import PROVINCE, Scope
from kb.storage.db import Database
from kb.workflow import evaluations, lifecycle_store, store
from kb.workflow.litigation import STATUS_LABELS

LINK_LABELS = {"repeat": "重复信访", "exact": "重复提交（内容相同）", "joint": "疑似联名/群体信访"}
# What a reader sees of a linked case outside its scope: that it exists, not which one it is.
OTHER_UNIT_CASE = "其他单位案件"

Visible = Callable[[Collection[int]], set[int]]


def _everything(ids: Collection[int]) -> set[int]:
    return set(ids)


def masked_other(row: dict[str, Any], visible: set[int]) -> dict[str, Any]:
    """A link row with the other case's id and registry number masked when it is out of scope."""
    if row["other_id"] in visible:
        return row | {"other_visible": True}
    return row | {"other_id": None, "other_external_no": OTHER_UNIT_CASE, "other_visible": False}


def links(db: Database, case_id: int, visible: Visible = _everything) -> list[dict[str, Any]]:
    rows = [
        dict(r) | {"label": LINK_LABELS[r["kind"]], "manual": bool(r["manual"]), "evidence": json.loads(r["evidence"])}
        for r in store.link_rows(db, case_id)
    ]
    seen = visible([r["other_id"] for r in rows])
    return [masked_other(r, seen) for r in rows]


def later_repeats(db: Database, case_id: int) -> int:
    return store.later_repeats(db, case_id)


def flags_for(db: Database, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    links_of, tracks_of = store.links_of(db, ids), store.tracks_of(db, ids)
    # Per case the link flags come before the litigation flag, as before the store existed.
    for r in links_of:
        label = LINK_LABELS[r["kind"]]
        out[r["case_id"]].append(f"{label}（第 {r['repeat_count'] + 1} 次）" if r["kind"] == "repeat" else label)
    for r in tracks_of:
        if r["status"] != "dismissed":
            out[r["case_id"]].append(f"涉法涉诉（{STATUS_LABELS[r['status']]}）")
    # 终结: the same petitioner's matter of this category was concluded; it is not accepted again.
    for case_id, day in lifecycle_store.concluded_matters(db, ids).items():
        out[case_id].append(f"已终结事项（同一信访人同类事项已于 {day} 终结）")
    # 不满意: the petitioner rated the reply the case stands at as unsatisfied (复查 / 复核 may follow).
    for case_id, hint in evaluations.review_flags(db, ids).items():
        out[case_id].append(hint)
    return out


def litigation_track(db: Database, case_id: int) -> dict[str, Any]:
    row, events = store.track(db, case_id)
    if row is None:
        raise NotFoundError(f"案件 {case_id} 未列入诉访分离跟踪")
    track = dict(row)
    track["evidence"] = json.loads(track["evidence"])
    track["status_label"] = STATUS_LABELS[track["status"]]
    track["events"] = [dict(e) | {"status_label": STATUS_LABELS[e["status"]]} for e in events]
    return track


def litigation_list(db: Database, status: str | None, limit: int, scope: Scope = PROVINCE) -> list[dict[str, Any]]:
    """Tracked cases within ``scope``; titles masked (IDs, phones, names) whatever the role."""
    rows = store.litigation_rows(db, status, limit, scope)
    return [masked_title(dict(r)) | {"status_label": STATUS_LABELS[r["status"]]} for r in rows]


def masked_title(row: dict[str, Any]) -> dict[str, Any]:
    """A list row with its title masked and the petitioner's name (used for masking) dropped."""
    name = row.pop("petitioner_name", None)
    return row | {"title": mask_personal(row.get("title"), [name])}


def repeat_list(
    db: Database, kind: str | None, limit: int, scope: Scope = PROVINCE, visible: Visible = _everything
) -> list[dict[str, Any]]:
    """Repeat links of cases within ``scope``; the earlier case is masked unless ``visible``."""
    rows = [
        dict(r) | {"label": LINK_LABELS[r["kind"]], "evidence": json.loads(r["evidence"])}
        for r in store.repeat_rows(db, kind, limit, scope)
    ]
    seen = visible([r["other_id"] for r in rows])
    return [masked_other(r, seen) for r in rows]
