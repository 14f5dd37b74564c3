"""Homogeneous case groups: the algorithm, stable ids, reviewer edits, batch decisions, API scoping."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import adjusted_rand_score

from api.app import create_app
from indexing.clustering import ENTITY_DIMS, HybridClusterer, assign, cluster_labels, ctfidf_keywords, match_groups
from indexing.encoders.hashing import HashingEncoder
from indexing.incremental import rediscover
from indexing.segment import Segmenter
from kb.errors import ConflictError, InvalidInputError
from kb.service import LeianService
from tests.conftest import auth, make_settings

N_CASES = 360


def blobs(seed: int = 0) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    """Three tight groups of 20 with their own words, plus 10 scattered outliers."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(3, 64))
    x, toks, truth = [], [], []
    for g, c in enumerate(centers):
        for _ in range(20):
            x.append(c + 0.15 * rng.normal(size=64))
            toks.append([f"词{g}a", f"词{g}b", f"共同{rng.integers(3)}"])
            truth.append(g)
    for k in range(10):
        x.append(rng.normal(size=64) * 3)
        toks.append([f"孤立{k}"])
        truth.append(-1)
    arr = np.asarray(x, np.float32)
    return arr / np.linalg.norm(arr, axis=1, keepdims=True), toks, np.asarray(truth)


def test_discovery_is_deterministic_and_keeps_an_unassigned_pool() -> None:
    x, toks, truth = blobs()
    a = HybridClusterer(threshold=0.4, min_size=3, lexical_dims=8).fit(x, toks)
    b = HybridClusterer(threshold=0.4, min_size=3, lexical_dims=8).fit(x, toks)
    assert np.array_equal(a.labels_, b.labels_)
    assert set(a.labels_[truth == -1].tolist()) == {-1}, "outliers go to the pool, not into groups"
    grouped = truth >= 0
    assert adjusted_rand_score(truth[grouped], a.labels_[grouped]) == 1.0
    assert a.centroids_.shape == (3, x.shape[1] + 8 + ENTITY_DIMS)  # dense, lexical, names (issue 19)
    assert np.array_equal(cluster_labels(x, toks, threshold=0.4, lexical_dims=8), a.labels_)


def test_finer_threshold_gives_more_groups_and_larger_pool() -> None:
    x, toks, _ = blobs(1)
    coarse = HybridClusterer(threshold=0.05, lexical_dims=8).fit(x, toks).labels_
    fine = HybridClusterer(threshold=0.9, lexical_dims=8).fit(x, toks).labels_
    assert (fine < 0).sum() > (coarse < 0).sum()
    assert coarse.max() < 3


def test_assign_uses_threshold() -> None:
    centroids = np.eye(3, dtype=np.float32)
    labels, scores = assign(np.array([[0.9, 0.1, 0], [0.3, 0.3, 0.3]], np.float32), centroids, 0.5)
    assert labels.tolist() == [0, -1]
    assert scores[0] == pytest.approx(0.9)


def test_ctfidf_keywords_skip_excluded_and_boilerplate() -> None:
    docs = [["欠薪", "工地", "广州市", "反映"]] * 5 + [["物业费", "小区", "广州市", "反映"]] * 5 + [["反映"]] * 20
    kw = ctfidf_keywords(docs, [0] * 5 + [1] * 5 + [-1] * 20, exclude={"广州市"}, max_df=0.5)
    assert [w for w, _ in kw[0]] == ["工地", "欠薪"]
    assert "反映" not in {w for w, _ in kw[1]} and -1 not in kw


def test_match_groups_records_lineage() -> None:
    old = {10: range(0, 10), 20: range(10, 20), 30: range(20, 30), 40: range(30, 34)}
    new = {0: [*range(0, 9)], 1: [*range(10, 16)], 2: [*range(16, 20)], 3: [*range(20, 30), *range(30, 33)]}
    m = match_groups({k: list(v) for k, v in old.items()}, new)
    assert m.ids == {0: 10, 1: 20, 2: None, 3: 30}
    assert m.split_from == {2: 20}
    assert m.merged_into == {40: 3}
    assert m.retired == []


# -- service -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, segmenter: Segmenter, sample_rows: list) -> Path:
    """One ingested and discovered data directory, copied for each test (ingest once per module)."""
    path = tmp_path_factory.mktemp("groups")
    svc = LeianService(make_settings(path), encoder=HashingEncoder(), segmenter=segmenter)
    svc.ingest(sample_rows[:N_CASES])
    svc.groups.discover()
    svc.close()
    return path


@pytest.fixture
def loaded(template: Path, tmp_path: Path, segmenter: Segmenter) -> Iterator[LeianService]:
    target = tmp_path / "svc"
    shutil.copytree(template, target)
    svc = LeianService(make_settings(target), encoder=HashingEncoder(), segmenter=segmenter)
    yield svc
    svc.close()


def memberships(service: LeianService) -> dict[int, int]:
    return {r["case_id"]: r["group_id"] for r in service.groups.repo.member_rows()}


def test_service_discovery_profiles_and_pool(loaded: LeianService) -> None:
    groups = loaded.groups.list_groups()
    assert len(groups) >= 5
    total_grouped = sum(g.size for g in groups)
    _, pooled = loaded.groups.unassigned()
    assert total_grouped + pooled == N_CASES
    prof = loaded.groups.profile(groups[0].id)
    assert prof["size"] == groups[0].size and prof["keywords"]
    assert not any(w.endswith("市") for w in prof["keywords"]), "place names must not be keywords"
    assert prof["representatives"] and prof["suggested_lead"]["name"]
    assert sum(prof["statuses"].values()) == prof["size"]


def test_same_input_gives_same_groups(
    loaded: LeianService, tmp_path: Path, segmenter: Segmenter, sample_rows: list
) -> None:
    other = LeianService(make_settings(tmp_path / "b"), encoder=HashingEncoder(), segmenter=segmenter)
    try:
        other.ingest(sample_rows[:N_CASES])
        other.groups.discover()
        assert memberships(other) == memberships(loaded)
    finally:
        other.close()


def test_ids_stay_stable_after_adding_cases(loaded: LeianService, sample_rows) -> None:
    before = memberships(loaded)
    old_ids = {g.id for g in loaded.groups.list_groups()}
    loaded.ingest(sample_rows[N_CASES : N_CASES + N_CASES // 10])
    assigned = [r for r in loaded.groups.repo.member_rows() if r["source"] == "assigned"]
    assert assigned, "new cases join existing groups on ingest without a refit"
    report = loaded.groups.discover()
    assert report.mode == "incremental", "re-discovery is incremental by default once groups exist"
    after = memberships(loaded)
    kept = old_ids & {g.id for g in loaded.groups.list_groups()}
    assert len(kept) / len(old_ids) >= 0.95
    old_cases = [c for c in before if c in after]
    assert len(old_cases) >= 0.9 * len(before)
    assert adjusted_rand_score([before[c] for c in old_cases], [after[c] for c in old_cases]) >= 0.9
    assert set(report.kept) == kept
    assert {r["source"] for r in loaded.groups.repo.member_rows()} <= {"discovered"}, "new cases are confirmed"
    # A second run with nothing new moves no member (pool cases may still join refreshed groups).
    again = loaded.groups.discover()
    final = memberships(loaded)
    assert {c: final.get(c) for c in after} == after and not again.new and not again.retired
    assert loaded.groups.discover(mode="full").mode == "full"


def test_rediscover_keeps_groups_and_founds_new_ones() -> None:
    """Arrays only: old blobs keep their labels; a new blob becomes a new group; drifters leave."""
    x, toks, _ = blobs(2)
    first = HybridClusterer(threshold=0.4, lexical_dims=8).fit(x[:60], toks[:60])
    assert first.labels_.max() == 2
    rng = np.random.default_rng(7)
    extra_center = rng.normal(size=64)
    extra = np.asarray([extra_center + 0.15 * rng.normal(size=64) for _ in range(8)], np.float32)
    more_of_old = x[[0, 20, 40]] + 0.05 * rng.normal(size=(3, 64)).astype(np.float32)
    allx = np.vstack([x[:60], extra, more_of_old, x[60:]])
    allx /= np.linalg.norm(allx, axis=1, keepdims=True)
    tok = [*toks[:60], *[["新词a", "新词b"]] * 8, toks[0], toks[20], toks[40], *toks[60:]]
    feats = first.features_.transform(allx, tok)
    previous = np.concatenate([first.labels_, np.full(len(allx) - 60, -1)])
    drifter = 5  # a member of group first.labels_[5] whose features are replaced by an outlier
    feats[drifter] = feats[60 + 8 + 3]
    pinned = np.zeros(len(allx), bool)
    pinned[25] = True
    r = rediscover(feats, previous, HybridClusterer(threshold=0.4, lexical_dims=8), 0.3, fixed=pinned)
    old = np.arange(60) != drifter
    assert np.array_equal(r.labels[:60][old], first.labels_[old]), "old members keep their group index"
    assert r.kept == [0, 1, 2] and r.retired == [] and r.drifted == 1
    assert r.labels[drifter] != first.labels_[drifter]
    assert set(r.labels[60:68].tolist()) == {3}, "the new blob becomes one new group"
    assert r.labels[68:71].tolist() == first.labels_[[0, 20, 40]].tolist(), "new cases join their group"
    assert set(r.labels[71:].tolist()) == {-1}, "outliers stay in the pool"


def test_move_back_to_pool_survives_rediscovery(loaded: LeianService) -> None:
    group = loaded.groups.list_groups()[0]
    case_id = sorted(loaded.groups.repo.member_ids(group.id))[0]
    _, pooled_before = loaded.groups.unassigned()
    left = loaded.groups.move(case_id, None)
    assert left.id == group.id and left.size == group.size - 1
    assert case_id not in memberships(loaded)
    items, pooled = loaded.groups.unassigned(limit=500)
    assert pooled == pooled_before + 1 and case_id in {c.id for c in items}
    for mode in ("incremental", "full"):
        loaded.groups.discover(mode=mode)
        assert case_id not in memberships(loaded), f"{mode} re-discovery keeps the reviewer's choice"
    edits = loaded.groups.repo.history(group.id)["edits"]
    assert edits[-1]["kind"] == "unassign" and edits[-1]["detail"] == {"case_id": case_id}
    with pytest.raises(ConflictError):
        loaded.groups.move(case_id, None)
    loaded.groups.move(case_id, group.id)
    assert memberships(loaded)[case_id] == group.id
    assert not loaded.db.query("SELECT 1 FROM group_pool_pins WHERE case_id = ?", (case_id,))


def test_reviewer_edits_survive_rediscovery(loaded: LeianService) -> None:
    g1, g2, g3, g4 = (g.id for g in loaded.groups.list_groups()[:4])
    loaded.groups.rename(g1, "某平台拖欠工资")
    loaded.groups.lock(g2)
    locked_members = sorted(loaded.groups.repo.member_ids(g2))
    chosen = sorted(loaded.groups.repo.member_ids(g3))[:3]
    split_id = loaded.groups.split(g3, chosen, "拆出的小组").id
    moved = sorted(loaded.groups.repo.member_ids(g4))[0]
    loaded.groups.move(moved, g1)
    loaded.groups.discover()
    assert loaded.groups.get(g1).name == "某平台拖欠工资"
    assert sorted(loaded.groups.repo.member_ids(g2)) == locked_members
    # Incremental re-discovery may let similar pool cases join a reviewer's group; pins never leave.
    split_rows = {r["case_id"]: r["source"] for r in loaded.groups.repo.member_rows(split_id)}
    assert all(split_rows.get(c) == "manual" for c in chosen)
    assert memberships(loaded)[moved] == g1
    edits = loaded.groups.repo.history(g1)["edits"]
    assert [e["kind"] for e in edits] == ["rename", "move"] and all(e["actor"] and e["created_at"] for e in edits)


def test_merge_keeps_members_together(loaded: LeianService) -> None:
    a, b = (g.id for g in loaded.groups.list_groups()[:2])
    union = set(loaded.groups.repo.member_ids(a)) | set(loaded.groups.repo.member_ids(b))
    loaded.groups.merge(a, [b])
    loaded.groups.discover()
    assert union <= set(loaded.groups.repo.member_ids(a))
    assert loaded.groups.repo.get(b).state == "merged"  # type: ignore[union-attr]
    with pytest.raises(ConflictError):
        loaded.groups.rename(b, "x")


def test_batch_decision_applies_to_all_members_in_one_transaction(loaded: LeianService) -> None:
    gid = loaded.groups.list_groups()[0].id
    members = loaded.groups.repo.member_ids(gid)
    with pytest.raises(ConflictError):
        loaded.groups.decide(gid, "统一按政策补发", "resolved", token="x")
    with pytest.raises(InvalidInputError):
        loaded.groups.start_batch(gid, " ", "政策")
    with pytest.raises(InvalidInputError, match="未知单位“省人设厅”"):  # the lead unit is master data
        loaded.groups.start_batch(gid, "省人设厅", "政策")
    started = loaded.groups.start_batch(gid, "省人社厅", "按欠薪保障金先行垫付")
    assert started.lead_department == "省人力资源社会保障厅"
    # A failure on the last member must leave every case and the decision log untouched.
    before = {c.id: c.status for c in loaded.cases.get_many(members).values()}
    victim = max(m for m in members if before[m] in ("pending", "in_progress"))  # one the decision changes
    with loaded.db.transaction() as conn:
        conn.execute(
            f"CREATE TRIGGER fail_once BEFORE UPDATE OF status ON cases WHEN NEW.id = {victim} "
            "BEGIN SELECT RAISE(ABORT, 'boom'); END"
        )
    seen = loaded.groups.preview(gid, "resolved")
    with pytest.raises(Exception, match="boom"):
        loaded.groups.decide(gid, "统一按政策补发", "resolved", token=seen.token)
    assert {c.id: c.status for c in loaded.cases.get_many(members).values()} == before
    assert not loaded.db.query("SELECT 1 FROM group_decisions")
    with loaded.db.transaction() as conn:
        conn.execute("DROP TRIGGER fail_once")
    out = loaded.groups.decide(gid, "统一按政策补发", "resolved", token=seen.token)
    assert out["cases"] == len(members) - sum(s == "resolved" for s in before.values())
    assert {c.status for c in loaded.cases.get_many(members).values()} == {"resolved"}
    links = loaded.db.query("SELECT case_id FROM case_decisions WHERE decision_id = ?", (out["decision_id"],))
    assert sorted(r[0] for r in links) == sorted(members)
    assert loaded.groups.get(gid).batch_status == "decided" and loaded.groups.get(gid).locked


# -- API -----------------------------------------------------------------------------------------
def test_api_roles_and_city_scoping(loaded: LeianService) -> None:
    tokens = {
        role: loaded.users.create(f"u_{role}", role, "password-123")[1]
        for role in ("admin", "analyst", "handler", "reviewer")
    }
    tokens["gz_handler"] = loaded.users.create("u_gz", "handler", "password-123", unit="广州市", scope="city")[1]
    with TestClient(create_app(loaded), raise_server_exceptions=False) as client:
        client.headers.update(auth(tokens["admin"]))
        api_checks(loaded, client, tokens)


def api_checks(loaded: LeianService, client: TestClient, tokens: dict[str, str]) -> None:
    listed = client.get("/api/groups").json()
    assert listed and listed[0]["size"] >= listed[-1]["size"]
    gid = listed[0]["id"]
    assert client.get(f"/api/groups/{gid}/profile").status_code == 200
    analyst = auth(tokens["analyst"])
    assert client.get(f"/api/groups/{gid}", headers=analyst).status_code == 200
    assert client.post(f"/api/groups/{gid}/rename", json={"name": "x"}, headers=analyst).status_code == 403
    handler = auth(tokens["handler"])
    assert (
        client.post(
            f"/api/groups/{gid}/batch", json={"lead_department": "a", "policy_note": "b"}, headers=handler
        ).status_code
        == 403
    )
    reviewer = auth(tokens["reviewer"])
    r = client.post(f"/api/groups/{gid}/rename", json={"name": "审查员命名"}, headers=reviewer)
    assert r.status_code == 200 and r.json()["name"] == "审查员命名"
    assert (
        client.post(
            f"/api/groups/{gid}/decision", json={"decision": "d", "status": "resolved", "token": "x"}, headers=reviewer
        ).status_code
        == 409
    )

    gz = auth(tokens["gz_handler"])
    gz_groups = client.get("/api/groups", headers=gz).json()
    city_of = {c.id: c.city for c in loaded.cases.get_many(list(memberships(loaded))).values()}
    for g in gz_groups:
        page = client.get(f"/api/groups/{g['id']}/members?limit=500", headers=gz).json()
        assert page["total"] == g["size"] and {c["city"] for c in page["items"]} == {"广州市"}
        reps = client.get(f"/api/groups/{g['id']}/profile", headers=gz).json()["representatives"]
        assert all(c["city"] == "广州市" for c in reps)
    no_gz = [
        g.id
        for g in loaded.groups.list_groups()
        if "广州市" not in {city_of[c] for c in loaded.groups.repo.member_ids(g.id)}
    ]
    if no_gz:
        assert client.get(f"/api/groups/{no_gz[0]}/members", headers=gz).status_code == 404
    assert client.get("/api/groups").status_code == 200
    assert client.post("/api/groups/discover", json={"mode": "pool"}).status_code == 200
    assert client.post("/api/groups/discover", json={"mode": "pool"}, headers=gz).status_code == 403
    assert client.post("/api/groups/discover", json={}).json()["mode"] == "incremental"
    sampled = client.post("/api/groups/discover", json={"max_fit": 100})
    assert sampled.status_code == 200 and sampled.json()["mode"] == "incremental"
    run = loaded.db.query("SELECT params FROM group_runs ORDER BY id DESC LIMIT 1")[0][0]
    assert '"max_fit": 100' in run
    too_small = client.post("/api/groups/discover", json={"max_fit": 5})
    assert too_small.status_code == 422 and "max_fit" in too_small.text
    case_id = loaded.groups.repo.member_ids(gid)[0]
    r = client.post("/api/groups/move", json={"case_id": case_id}, headers=reviewer)
    assert r.status_code == 200 and r.json()["id"] == gid
    assert case_id not in memberships(loaded)
    assert client.post("/api/groups/move", json={"case_id": case_id}, headers=analyst).status_code == 403


@pytest.mark.slow
def test_notebook_runs_top_to_bottom() -> None:
    import nbformat
    from nbclient import NotebookClient

    from tests.conftest import REPO

    nb = nbformat.read(REPO / "notebooks" / "groups.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "groups, unassigned" in outputs


def test_groups_have_families_served_as_their_own_resource(loaded: LeianService) -> None:
    """Issue 19: matter-level groups sit in families (one issue type); both levels one request away."""
    groups = loaded.groups.list_groups()
    families = loaded.groups.families()
    assert families and all(g.family_id is not None for g in groups)
    assert len({f.name for f in families}) == len(families), [f.name for f in families]  # distinct names
    assert len(families) <= len(groups) and sum(f.groups for f in families) == len(groups)
    assert sum(f.size for f in families) == sum(g.size for g in groups)
    token = loaded.users.create("u_fam", "reviewer", "password-123")[1]
    with TestClient(create_app(loaded), raise_server_exceptions=False) as client:
        client.headers.update(auth(token))
        listed = client.get("/api/group-families").json()
        assert [f["id"] for f in listed] == [f.id for f in families] and listed[0]["name"]
        detail = client.get(f"/api/group-families/{listed[0]['id']}").json()
        assert {g["id"] for g in detail["members"]} == {g.id for g in groups if g.family_id == listed[0]["id"]}
        assert all(g["family_id"] == listed[0]["id"] for g in client.get("/api/groups").json() if g["id"] in
                   {m["id"] for m in detail["members"]})  # fmt: skip
        assert client.get("/api/group-families/99999").status_code == 404
    # Family ids are kept when groups are re-discovered with nothing new.
    loaded.groups.discover()
    after = {f.id for f in loaded.groups.families()}
    assert len(after & {f.id for f in families}) >= 0.8 * len(families), (after, [f.id for f in families])
