"""A reviewer undoes the last edit of a group; the merge dialog's similar groups; one-request reads."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.errors import ConflictError, PermissionDeniedError
from kb.service import LeianService
from tests.conftest import auth
from tests.kb.groups.test_groups import loaded, template  # noqa: F401 (fixtures)


def rows(service: LeianService, *group_ids: int) -> dict[int, tuple[int, str, float | None]]:
    """case id -> (group, source, score) of the members of ``group_ids``."""
    return {
        r["case_id"]: (r["group_id"], r["source"], r["score"])
        for gid in group_ids
        for r in service.groups.repo.member_rows(gid)
    }


def test_undo_a_merge_puts_both_groups_back(loaded: LeianService) -> None:  # noqa: F811
    a, b = (g.id for g in loaded.groups.list_groups()[:2])
    before = rows(loaded, a, b)
    size_a, size_b = loaded.groups.get(a).size, loaded.groups.get(b).size
    merged = loaded.groups.merge(a, [b])
    assert merged.size == size_a + size_b
    last = loaded.groups.undoable(a)
    assert last is not None and last.kind == "merge" and last.label == "合并"
    edit = loaded.groups.repo.history(a)["edits"][-1]
    assert edit["detail"]["counts"] == {str(b): size_b} and "undo" not in edit["detail"], "snapshot stays internal"

    back = loaded.groups.undo_last(a)
    assert back.size == size_a and loaded.groups.get(b).size == size_b
    assert loaded.groups.repo.get(b).state == "active"  # type: ignore[union-attr]
    assert rows(loaded, a, b) == before, "every member returns with its own source and score"
    assert loaded.groups.undoable(a) is None
    with pytest.raises(ConflictError, match="最近一次操作已撤销"):
        loaded.groups.undo_last(a)
    lineage = loaded.groups.repo.history(b)["lineage"]
    assert [(x["kind"], x["other_id"]) for x in lineage[-2:]] == [("merged", a), ("restored", a)]
    # The restored source takes part in discovery again.
    assert b in loaded.groups.repo.centroids()[0]


def test_undo_a_split_returns_the_cases_and_ends_the_new_group(loaded: LeianService) -> None:  # noqa: F811
    gid = loaded.groups.list_groups()[0].id
    before = rows(loaded, gid)
    chosen = sorted(before)[:3]
    new = loaded.groups.split(gid, chosen, "拆出的小组")
    assert set(loaded.groups.repo.member_ids(new.id)) == set(chosen)
    loaded.groups.undo_last(gid)
    assert rows(loaded, gid) == before
    assert loaded.groups.repo.get(new.id).state == "merged"  # type: ignore[union-attr]
    assert new.id not in {g.id for g in loaded.groups.list_groups()}


def test_undo_rename_lock_move_and_unassign(loaded: LeianService) -> None:  # noqa: F811
    g1, g2 = (g.id for g in loaded.groups.list_groups()[:2])
    name = loaded.groups.get(g1).name
    loaded.groups.rename(g1, "审查员改名")
    assert loaded.groups.undo_last(g1).name == name
    assert not loaded.groups.repo.get(g1).name_manual  # type: ignore[union-attr]
    loaded.groups.lock(g1)
    assert loaded.groups.undo_last(g1).locked is False

    case_id = sorted(loaded.groups.repo.member_ids(g2))[0]
    before = rows(loaded, g2)[case_id]
    loaded.groups.move(case_id, g1)
    loaded.groups.undo_last(g1)
    assert rows(loaded, g2)[case_id] == before, "the case is back where it was, as it was"

    loaded.groups.move(case_id, None)
    assert loaded.db.query("SELECT 1 FROM group_pool_pins WHERE case_id = ?", (case_id,))
    loaded.groups.undo_last(g2)
    assert rows(loaded, g2)[case_id] == before
    assert not loaded.db.query("SELECT 1 FROM group_pool_pins WHERE case_id = ?", (case_id,))


def test_undo_is_refused_in_words_when_things_moved_since(loaded: LeianService) -> None:  # noqa: F811
    a, b, c = (g.id for g in loaded.groups.list_groups()[:3])
    loaded.groups.merge(a, [b])
    moved = sorted(loaded.groups.repo.member_ids(a))[0]
    loaded.groups.move(moved, c)  # recorded on c: a's last edit is still the merge
    with pytest.raises(ConflictError, match=f"案件 {moved} 已被移动"):
        loaded.groups.undo_last(a)
    loaded.groups.undo_last(c)
    loaded.groups.discover()
    with pytest.raises(ConflictError, match="已重新发现类案组"):
        loaded.groups.undo_last(a)
    loaded.groups.start_batch(c, "省人力资源社会保障厅", "统一口径")
    with pytest.raises(ConflictError, match="“启动批量处理”不能撤销"):
        loaded.groups.undo_last(c)


def test_undo_needs_write_permission_and_every_touched_group_in_scope(loaded: LeianService) -> None:  # noqa: F811
    tokens = {r: loaded.users.create(f"u_{r}", r, "password-123")[1] for r in ("reviewer", "analyst")}
    gz = loaded.users.create("u_gz", "reviewer", "password-123", unit="广州市", scope="city")[0]
    a, b = (g.id for g in loaded.groups.list_groups()[:2])
    loaded.groups.merge(a, [b])
    with pytest.raises(PermissionDeniedError):
        loaded.groups.undo_last(a, gz)  # the groups hold other cities' cases
    with TestClient(create_app(loaded), raise_server_exceptions=False) as client:
        r = client.post(f"/api/groups/{a}/undo", headers=auth(tokens["analyst"]))
        assert r.status_code == 403
        prof = client.get(f"/api/groups/{a}/profile", headers=auth(tokens["reviewer"])).json()
        assert prof["undoable"]["kind"] == "merge" and prof["undoable"]["label"] == "合并"
        r = client.post(f"/api/groups/{a}/undo", headers=auth(tokens["reviewer"]))
        assert r.status_code == 200 and r.json()["id"] == a
        again = client.post(f"/api/groups/{a}/undo", headers=auth(tokens["reviewer"]))
        assert again.status_code == 409 and "已撤销" in again.json()["error"]["message"]


def test_similar_groups_come_first_and_reads_take_one_request(loaded: LeianService) -> None:  # noqa: F811
    groups = loaded.groups.list_groups()
    gid = groups[0].id
    similar = loaded.groups.similar(gid)
    assert gid not in {g.id for g, _ in similar} and len(similar) == len(groups) - 1
    scores = [s for _, s in similar if s is not None]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]

    token = loaded.users.create("u_rev", "reviewer", "password-123")[1]
    gz_token = loaded.users.create("u_gz", "handler", "password-123", unit="广州市", scope="city")[1]
    with TestClient(create_app(loaded), raise_server_exceptions=False) as client:
        client.headers.update(auth(token))
        listed = client.get("/api/groups", params={"spread": "true"}).json()
        for g in listed:
            assert sum(x["count"] for x in g["spread"]["cities"]) == g["size"]
            assert sum(x["count"] for x in g["spread"]["months"]) == g["size"]
        assert client.get("/api/groups").json()[0]["spread"] is None
        member = loaded.groups.repo.member_ids(gid)[0]
        assert client.get(f"/api/groups/by-case/{member}").json()["id"] == gid
        _, total = loaded.groups.unassigned()
        if total:
            pooled = loaded.groups.unassigned(limit=1)[0][0].id
            r = client.get(f"/api/groups/by-case/{pooled}")
            assert r.status_code == 200 and r.json() is None
        # Matter-level groups (issue 19) often lie in one city: any grouped case outside 广州市 will do.
        cases = loaded.cases.get_many([int(r["case_id"]) for r in loaded.groups.repo.member_rows()]).values()
        elsewhere = next(c for c in cases if c.city != "广州市")
        assert client.get(f"/api/groups/by-case/{elsewhere.id}", headers=auth(gz_token)).status_code == 404
        gz_list = client.get("/api/groups", params={"spread": "true"}, headers=auth(gz_token)).json()
        assert all({x["name"] for x in g["spread"]["cities"]} == {"广州市"} for g in gz_list)
        ranked = client.get(f"/api/groups/{gid}/similar").json()
        assert [x["group"]["id"] for x in ranked] == [g.id for g, _ in similar]
