"""Read views of the workflow tables: repeat links, warning flags, litigation tracks and lists."""

from __future__ import annotations

import json
from typing import Any

from kb.errors import NotFoundError
from kb.storage.db import Database
from kb.workflow.litigation import STATUS_LABELS

LINK_LABELS = {"repeat": "重复信访", "exact": "重复提交（内容相同）", "joint": "疑似联名/群体信访"}


def links(db: Database, case_id: int) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT l.kind, l.other_id, o.external_no AS other_external_no, l.similarity, l.repeat_count "
        "FROM case_links l JOIN cases o ON o.id = l.other_id WHERE l.case_id = ? ORDER BY l.kind",
        (case_id,),
    )
    return [dict(r) | {"label": LINK_LABELS[r["kind"]]} for r in rows]


def later_repeats(db: Database, case_id: int) -> int:
    row = db.query_one("SELECT COUNT(*) FROM case_links WHERE other_id = ? AND kind = 'repeat'", (case_id,))
    return int(row[0]) if row else 0


def flags_for(db: Database, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for r in db.query(f"SELECT case_id, kind, repeat_count FROM case_links WHERE case_id IN ({marks})", chunk):
            label = LINK_LABELS[r["kind"]]
            out[r["case_id"]].append(f"{label}（第 {r['repeat_count'] + 1} 次）" if r["kind"] == "repeat" else label)
        for r in db.query(f"SELECT case_id, status FROM litigation_tracks WHERE case_id IN ({marks})", chunk):
            if r["status"] != "dismissed":
                out[r["case_id"]].append(f"涉法涉诉（{STATUS_LABELS[r['status']]}）")
    return out


def litigation_track(db: Database, case_id: int) -> dict[str, Any]:
    row = db.query_one("SELECT * FROM litigation_tracks WHERE case_id = ?", (case_id,))
    if row is None:
        raise NotFoundError(f"案件 {case_id} 未列入诉访分离跟踪")
    events = db.query("SELECT status, note, actor, at FROM litigation_events WHERE case_id = ? ORDER BY id", (case_id,))
    track = dict(row)
    track["evidence"] = json.loads(track["evidence"])
    track["status_label"] = STATUS_LABELS[track["status"]]
    track["events"] = [dict(e) | {"status_label": STATUS_LABELS[e["status"]]} for e in events]
    return track


def litigation_list(db: Database, status: str | None, limit: int, city: str | None) -> list[dict[str, Any]]:
    sql = (
        "SELECT t.case_id, c.external_no, c.title, c.city, t.status, t.score, t.channel, t.updated_at "
        "FROM litigation_tracks t JOIN cases c ON c.id = t.case_id WHERE 1=1"
    )
    params: list[Any] = []
    if status:
        sql, params = sql + " AND t.status = ?", [*params, status]
    if city is not None:
        sql, params = sql + " AND c.city = ?", [*params, city]
    rows = db.query(sql + " ORDER BY t.updated_at DESC, t.case_id DESC LIMIT ?", [*params, limit])
    return [dict(r) | {"status_label": STATUS_LABELS[r["status"]]} for r in rows]


def repeat_list(db: Database, kind: str | None, limit: int, city: str | None) -> list[dict[str, Any]]:
    sql = (
        "SELECT l.case_id, c.external_no, c.city, c.received_date, l.kind, l.other_id, "
        "o.external_no AS other_external_no, l.similarity, l.repeat_count "
        "FROM case_links l JOIN cases c ON c.id = l.case_id JOIN cases o ON o.id = l.other_id WHERE 1=1"
    )
    params: list[Any] = []
    if kind:
        sql, params = sql + " AND l.kind = ?", [kind]
    if city is not None:
        sql, params = sql + " AND c.city = ?", [*params, city]
    rows = db.query(sql + " ORDER BY c.received_date DESC, l.case_id DESC LIMIT ?", [*params, limit])
    return [dict(r) | {"label": LINK_LABELS[r["kind"]]} for r in rows]
