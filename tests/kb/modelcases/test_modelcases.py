"""The typical-case knowledge base: versions, publishing, promotion, guidance look-up, import/export, API."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexing.segment import Segmenter
from kb.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.modelcases import library
from kb.modelcases.domain import ModelCaseIn, ModelCaseUpdate
from kb.modelcases.guidance import look_up
from kb.scope import Scope
from kb.service import LeianService
from kb.users import Principal
from tests.conftest import auth, make_settings

HANDLER = Principal(10, "h", "handler", "经办人甲")
ANALYST = Principal(11, "a", "analyst")
REVIEWER = Principal(12, "r", "reviewer", "审查员乙")

FREIGHT = ModelCaseIn(
    code="T-001",
    title="货运平台拖欠司机运费",
    summary="某网络货运平台以结算周期为由拖欠三十余名货车司机运费，司机多次到平台办公地点讨要。",
    category="货运平台拖欠运费",
    lead_department="省交通运输厅",
    approach="交通运输部门牵头约谈平台，核实运单和结算记录，督促限期支付。",
    steps=["核实运单与结算记录", "约谈平台负责人", "督促限期支付并回访"],
    tags=["网络货运", "运费"],
)


def resolved_case(no: str, **extra: object) -> dict:
    row = {
        "external_no": no,
        "title": "小区物业公共收益去向不明",
        "content": "业主张三丰反映小区电梯广告和停车收益多年未公开，联系电话13812345678，要求物业公布账目。",
        "received_date": "2024-03-01",
        "city": "广州市",
        "department": "省住房城乡建设厅",
        "category": "物业管理纠纷",
        "status": "resolved",
        "resolution_note": "街道召集业委会和物业公司座谈；聘请第三方审计公共收益；审计结果在小区公示并按比例返还业主。",
        "resolved_date": "2024-04-10",
        "petitioner_name": "张三丰",
    }
    row.update(extra)
    return row


@pytest.fixture
def library_loaded(service: LeianService) -> LeianService:
    library.load_samples(service.modelcases)
    return service


# -- versions, publishing ----------------------------------------------------------------------
def test_every_edit_is_a_version_with_history_and_diff(service: LeianService) -> None:
    mcs = service.modelcases
    mc = mcs.create(FREIGHT, HANDLER)
    assert (mc.version, mc.status, mc.data.author) == (1, "draft", "经办人甲")
    mcs.update(mc.id, ModelCaseUpdate(steps=[*FREIGHT.steps, "纳入信用监管"], note="补充步骤"), HANDLER)
    same = mcs.update(mc.id, ModelCaseUpdate(title=FREIGHT.title), HANDLER)
    assert same.version == 2  # an edit that changes nothing is not a version
    mcs.update("T-001", ModelCaseUpdate(approach="交通运输部门与人社部门联合约谈平台。"), HANDLER)
    versions, events = mcs.history("T-001", HANDLER)
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[1].note == "补充步骤" and [e.action for e in events] == ["create", "edit", "edit"]
    fields = {f.field: f for f in mcs.diff(mc.id, 1, 3, HANDLER)}
    assert set(fields) == {"steps", "approach"}
    assert "+4. 纳入信用监管" in fields["steps"].lines
    assert mcs.get(mc.id, HANDLER, version=1).data.approach == FREIGHT.approach
    with pytest.raises(PermissionDeniedError):
        mcs.history(mc.id, ANALYST)


def test_publish_flow_serves_only_published_versions(service: LeianService) -> None:
    mcs = service.modelcases
    draft = mcs.create(FREIGHT.model_copy(update={"steps": []}), HANDLER)
    with pytest.raises(PermissionDeniedError):
        mcs.publish(draft.id, HANDLER)
    with pytest.raises(InvalidInputError) as exc:
        mcs.publish(draft.id, REVIEWER)
    assert exc.value.problems[0].field == "steps"
    with pytest.raises(NotFoundError):
        mcs.get(draft.id, ANALYST)
    assert look_up(mcs, text="货运平台拖欠运费")[1] == []
    mcs.update(draft.id, ModelCaseUpdate(steps=FREIGHT.steps), HANDLER)
    published = mcs.publish(draft.id, REVIEWER)
    assert (published.status, published.published_version, published.published_by) == ("published", 2, "r")
    # A later edit needs the write permission and stays unpublished until the reviewer publishes it.
    with pytest.raises(PermissionDeniedError):
        mcs.update(draft.id, ModelCaseUpdate(title="改"), HANDLER)
    mcs.update(draft.id, ModelCaseUpdate(title="网络货运平台拖欠运费的处置"), REVIEWER)
    seen = mcs.get(draft.id, ANALYST)
    assert (seen.version, seen.data.title, seen.unpublished_changes) == (2, FREIGHT.title, True)
    assert mcs.get(draft.id, REVIEWER).version == 3
    hit = look_up(mcs, text="货运平台拖欠司机运费")[1][0]
    assert hit.model_case.data.title == FREIGHT.title
    assert [m.code for m in mcs.page(ANALYST)[0]] == ["T-001"]
    with pytest.raises(PermissionDeniedError):
        mcs.page(ANALYST, ["draft"])
    mcs.publish(draft.id, REVIEWER)
    assert look_up(mcs, text="货运平台拖欠司机运费")[1][0].model_case.version == 3
    mcs.retire(draft.id, REVIEWER, "政策调整")
    assert look_up(mcs, text="货运平台拖欠司机运费")[1] == []
    with pytest.raises(NotFoundError):
        mcs.get(draft.id, ANALYST)
    with pytest.raises(ConflictError):
        mcs.create(FREIGHT, HANDLER)


def test_handlers_read_the_published_version_not_the_reviewers_draft(
    service: LeianService, client: TestClient, tokens: dict[str, str]
) -> None:
    """Issue 15 #10: handlers can draft, yet a published model case shows them what was published."""
    mcs = service.modelcases
    mc = mcs.create(FREIGHT, HANDLER)
    assert mcs.get(mc.id, HANDLER).version == 1, "a drafter opens a never-published draft"
    mcs.publish(mc.id, REVIEWER)
    mcs.update(mc.id, ModelCaseUpdate(cautions=["审查中：尚未发布的注意事项"], note="审查修改"), REVIEWER)
    seen = mcs.get(mc.id, HANDLER)
    assert (seen.version, seen.data.cautions, seen.unpublished_changes) == (1, [], True)
    assert mcs.get(mc.id, REVIEWER).version == 2
    with pytest.raises(NotFoundError):
        mcs.get(mc.id, HANDLER, version=2)
    with pytest.raises(NotFoundError):
        mcs.diff(mc.id, 1, 2, HANDLER)
    assert [m.version for m in mcs.page(HANDLER)[0]] == [1]
    versions, events = mcs.history(mc.id, HANDLER)
    assert [v.version for v in versions] == [1] and "审查修改" not in {v.note for v in versions}
    assert all(e.version in (None, 1) for e in events)
    assert [v.version for v in mcs.history(mc.id, REVIEWER)[0]] == [1, 2]
    # The same rule over HTTP.
    got = client.get(f"/api/modelcases/{mc.id}", headers=auth(tokens["handler"])).json()
    assert got["version"] == 1 and "尚未发布" not in json.dumps(got, ensure_ascii=False)
    assert client.get(f"/api/modelcases/{mc.id}?version=2", headers=auth(tokens["handler"])).status_code == 404
    assert client.get(f"/api/modelcases/{mc.id}", headers=auth(tokens["reviewer"])).json()["version"] == 2


# -- promotion -----------------------------------------------------------------------------------
def test_promote_resolved_case_to_masked_draft_and_find_it_by_case(service: LeianService) -> None:
    service.ingest([(1, resolved_case("P-1")), (2, resolved_case("P-2", status="pending", resolved_date=None))])
    case_id = service.case_ids_by_external(["P-1", "P-2"])
    mcs = service.modelcases
    draft = mcs.promote_case(case_id["P-1"], HANDLER)
    d = draft.data
    assert draft.status == "draft" and d.source_case_ids == [case_id["P-1"]]
    assert (d.category, d.lead_department, d.locality) == ("物业管理纠纷", "省住房城乡建设厅", "广州市")
    assert "张三丰" not in d.summary and "13812345678" not in d.summary and "张**" in d.summary
    assert d.approach.startswith("街道召集") and len(d.steps) == 3
    with pytest.raises(InvalidInputError):
        mcs.promote_case(case_id["P-2"], HANDLER)
    with pytest.raises(NotFoundError):
        mcs.promote_case(case_id["P-1"], Principal(13, "sz", "handler", unit="深圳市", scope=Scope.city_of("深圳市")))
    mcs.publish(draft.id, REVIEWER)
    _, hits = look_up(mcs, case_id=case_id["P-1"], actor=HANDLER)
    assert hits[0].model_case.id == draft.id
    assert "本案即该典型案例的来源案件" in hits[0].reasons and "同类别（物业管理纠纷）" in hits[0].reasons


def test_promote_group_decision_and_look_up_by_group(service: LeianService) -> None:
    groups = getattr(service, "groups", None)
    if groups is None:
        pytest.skip("groups feature not attached")
    rows = [(i, resolved_case(f"G-{i}", status="pending", resolved_date=None, resolution_note=None)) for i in range(3)]
    service.ingest(rows)
    ids = sorted(service.case_ids_by_external([f"G-{i}" for i in range(3)]).values())
    with service.db.transaction() as conn:
        gid = groups.repo.create(conn, "某小区公共收益不公开", "test")
        groups.repo.update(conn, gid, "test", keywords=["公共收益", "物业"], representatives=ids[:1])
        groups.repo.set_members(conn, [(c, gid, "manual", None) for c in ids], "test")
    mcs = service.modelcases
    with pytest.raises(InvalidInputError):
        mcs.promote_group(str(gid), HANDLER)  # no batch decision yet
    groups.start_batch(gid, "省住房城乡建设厅", "统一审计公共收益并公示", REVIEWER)
    seen = groups.preview(gid, "resolved", actor=REVIEWER)
    groups.decide(gid, "委托第三方审计，按户返还公共收益", "resolved", REVIEWER, token=seen.token)
    draft = mcs.promote_group(str(gid), HANDLER)
    d = draft.data
    assert d.group_ids == [str(gid)] and d.source_case_ids == ids and "第三方审计" in d.approach
    assert "张三丰" not in d.summary and d.category == "物业管理纠纷"
    mcs.update(draft.id, ModelCaseUpdate(steps=["审计", "公示", "返还"]), HANDLER)
    mcs.publish(draft.id, REVIEWER)
    for kwargs in ({"group_id": str(gid)}, {"case_id": ids[1]}):
        _, hits = look_up(mcs, actor=HANDLER, **kwargs)
        assert hits[0].model_case.id == draft.id and "同一类案组" in hits[0].reasons
    with pytest.raises(NotFoundError):
        mcs.promote_group(str(gid), Principal(13, "sz", "handler", unit="深圳市", scope=Scope.city_of("深圳市")))


# -- guidance look-up ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("货运平台拖欠司机运费好几个月", "货运平台拖欠运费"),
        ("企业改制后养老保险断缴，档案缺失", "企业改制养老保险断缴"),
        ("网贷平台爆雷，出借人本金拿不回来", "网贷平台爆雷"),
        ("报案后公安不予立案，要求追究对方诈骗", "公安不予立案"),
    ],
)
def test_guidance_for_short_descriptions(library_loaded: LeianService, text: str, category: str) -> None:
    _, hits = look_up(library_loaded.modelcases, text=text, k=3)
    assert category in [h.model_case.data.category for h in hits]
    top = hits[0]
    assert top.matched_terms and top.reasons[0].startswith("共同关键词")
    assert top.model_case.data.steps and top.model_case.status == "published"


def test_guidance_for_a_full_letter_uses_category_of_similar_cases(library_loaded: LeianService) -> None:
    svc = library_loaded
    letter = (
        "尊敬的领导：我们是在某网络货运平台上接单的货车司机，共有四十多人。去年下半年开始，平台以资金周转困难、"
        "结算系统升级为由，一直拖欠我们的运费，每人少则两三万元，多则七八万元。我们多次到平台在本市的办公地点讨要，"
        "工作人员只是让我们等待通知，后来干脆联系不上负责人。我们自己垫付了油费、过路费，还要还车贷，生活非常困难。"
    ) * 3
    rows = [
        (
            i,
            resolved_case(
                f"F-{i}",
                title="平台拖欠运费",
                content=f"货车司机反映网络货运平台拖欠运费第{i}批。",
                category="货运平台拖欠运费",
                department="省交通运输厅",
            ),
        )
        for i in range(1, 7)
    ]
    svc.ingest(rows)
    query, hits = look_up(svc.modelcases, text=letter, k=3)
    assert query.category == "货运平台拖欠运费" and query.category_guessed
    assert {h.model_case.data.category for h in hits[:2]} == {"货运平台拖欠运费"}
    assert any("据相似案件推断" in r for r in hits[0].reasons)
    dense_only = look_up(svc.modelcases, text=letter, k=3, mode="dense")[1]
    lexical_only = look_up(svc.modelcases, text=letter, k=3, mode="lexical")[1]
    assert dense_only[0].lexical_score is None and lexical_only[0].dense_score is None


@pytest.mark.slow
def test_guidance_with_the_real_encoder_on_the_sample_library(tmp_path: Path, segmenter: Segmenter) -> None:
    svc = LeianService(make_settings(tmp_path, encoder="use-m3"), segmenter=segmenter)
    try:
        library.load_samples(svc.modelcases)
        probes = {
            "电子厂老板失联，工人工资三个月没发": "拖欠农民工工资",
            "小区物业撤场，新物业进不来，业主和旧物业对峙": "物业管理纠纷",
            "健身房突然关门，预付的会员卡钱退不回来": "预付卡商家跑路",
            "法院判决生效两年了一直执行不到赔偿款": "法院执行难",
        }
        for text, category in probes.items():
            hits = look_up(svc.modelcases, text=text, k=3)[1]
            assert category in [h.model_case.data.category for h in hits], text
            assert hits[0].dense_score is not None
    finally:
        svc.close()


# -- import / export -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "md", "xlsx"])
def test_export_import_round_trip(library_loaded: LeianService, tmp_path: Path, segmenter, fmt: str) -> None:  # type: ignore[no-untyped-def]
    from indexing.encoders.hashing import HashingEncoder

    data = library.export(library_loaded.modelcases, fmt)
    other = LeianService(make_settings(tmp_path / "other"), encoder=HashingEncoder(), segmenter=segmenter)
    try:
        report = library.import_rows(other.modelcases, library.read_library(data, fmt))
        assert (report.created, report.published) == (32, 32)
        for code in ("MC-2025-001", "MC-2025-016", "MC-2025-029"):
            assert other.modelcases.get(code).data == library_loaded.modelcases.get(code).data
        again = library.import_rows(other.modelcases, library.read_library(data, fmt))
        assert (again.created, again.updated, again.unchanged) == (0, 0, 32)
    finally:
        other.close()


def test_markdown_is_readable_and_hand_edits_become_a_version(library_loaded: LeianService) -> None:
    mcs = library_loaded.modelcases
    with zipfile.ZipFile(io.BytesIO(library.export(mcs, "md"))) as zf:
        doc = zf.read("MC-2025-003.md").decode("utf-8")
    assert doc.startswith("# 网络货运平台") and "## 操作步骤" in doc and "## 政策法规依据" in doc
    edited = doc.replace("## 注意事项\n", "## 注意事项\n\n- 先核实运单真实性。\n", 1)
    report = library.import_rows(mcs, library.read_library(edited.encode("utf-8"), "md"))
    assert report.updated == 1
    mc = mcs.get("MC-2025-003", ANALYST)  # the document said 已发布, so the edit is published too
    assert mc.data.cautions[0] == "先核实运单真实性。" and mc.version == 2
    assert [f.field for f in mcs.diff("MC-2025-003", 1, 2)] == ["cautions"]
    draft_doc = edited.replace("状态：已发布", "状态：草稿").replace("先核实运单真实性。", "先核实运单。")
    library.import_rows(mcs, library.read_library(draft_doc.encode("utf-8"), "md"))
    assert mcs.get("MC-2025-003", ANALYST).version == 2 and mcs.get("MC-2025-003").unpublished_changes


def test_import_is_all_or_nothing(service: LeianService) -> None:
    rows = [(1, FREIGHT.model_dump(mode="json")), (2, {"title": "", "authority": "最高"})]
    with pytest.raises(InvalidInputError) as exc:
        library.import_rows(service.modelcases, rows)
    assert {(p.row, p.field) for p in exc.value.problems} >= {(2, "title"), (2, "authority")}
    assert service.modelcases.stats()["draft"] == 0


# -- HTTP API ------------------------------------------------------------------------------------
def test_api_roles_and_flow(client: TestClient, tokens: dict[str, str], service: LeianService) -> None:
    body = FREIGHT.model_dump(mode="json")
    assert client.post("/api/modelcases", json=body, headers=auth(tokens["analyst"])).status_code == 403
    created = client.post("/api/modelcases", json=body, headers=auth(tokens["handler"]))
    assert created.status_code == 201 and created.json()["status"] == "draft"
    assert client.get("/api/modelcases/T-001", headers=auth(tokens["analyst"])).status_code == 404
    assert client.post("/api/modelcases/T-001/publish", headers=auth(tokens["handler"])).status_code == 403
    published = client.post("/api/modelcases/T-001/publish", headers=auth(tokens["reviewer"]))
    assert published.status_code == 200 and published.json()["status_label"] == "已发布"
    patch = {"cautions": ["注意核实运单"], "note": "补充"}
    assert client.patch("/api/modelcases/T-001", json=patch, headers=auth(tokens["handler"])).status_code == 403
    assert client.patch("/api/modelcases/T-001", json=patch, headers=auth(tokens["reviewer"])).json()["version"] == 2
    diff = client.get("/api/modelcases/T-001/diff?from=1&to=2", headers=auth(tokens["reviewer"])).json()
    assert [f["field"] for f in diff["fields"]] == ["cautions"]
    got = client.post(
        "/api/modelcases/guidance", json={"text": "货运平台拖欠运费", "k": 3}, headers=auth(tokens["analyst"])
    )
    assert got.status_code == 200
    hit = got.json()["hits"][0]
    assert hit["model_case"]["code"] == "T-001" and hit["model_case"]["guidance"]["steps"] == FREIGHT.steps
    assert hit["model_case"]["guidance"]["cautions"] == []  # handlers get the published version
    assert client.post("/api/modelcases/guidance", json={}, headers=auth(tokens["analyst"])).status_code == 422


def test_api_promote_scope_masking_import_export(
    client: TestClient, tokens: dict[str, str], service: LeianService
) -> None:
    service.ingest([(1, resolved_case("P-1", city="深圳市"))])
    case_id = service.case_ids_by_external(["P-1"])["P-1"]
    assert (
        client.post(
            "/api/modelcases/promote", json={"case_id": case_id}, headers=auth(tokens["gz_handler"])
        ).status_code
        == 404
    )
    promoted = client.post("/api/modelcases/promote", json={"case_id": case_id}, headers=auth(tokens["handler"]))
    assert promoted.status_code == 201 and "13812345678" not in promoted.text
    upload = {"file": ("lib.json", library.SAMPLE_LIBRARY.read_bytes(), "application/json")}
    assert client.post("/api/modelcases/import", files=upload, headers=auth(tokens["handler"])).status_code == 403
    imported = client.post("/api/modelcases/import?publish=true", files=upload, headers=auth(tokens["reviewer"]))
    assert imported.json() == {"created": 32, "updated": 0, "unchanged": 0, "published": 32, "total": 32}
    listed = client.get("/api/modelcases", headers=auth(tokens["analyst"])).json()
    assert listed["total"] == 32
    drafts = client.get("/api/modelcases?status=draft", headers=auth(tokens["handler"])).json()
    assert drafts["total"] == 1
    xlsx = client.get("/api/modelcases/export?format=xlsx", headers=auth(tokens["analyst"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    exported = json.loads(client.get("/api/modelcases/export", headers=auth(tokens["analyst"])).content)
    assert len(exported["model_cases"]) == 32 and exported["notice"]
    history = client.get("/api/modelcases/MC-2025-001/history", headers=auth(tokens["reviewer"])).json()
    assert [e["action"] for e in history["events"]] == ["create", "publish"]


@pytest.mark.parametrize("ref", ["³5", "²", "１２"])
def test_non_ascii_digits_are_codes_not_ids(client: TestClient, ref: str) -> None:
    # str.isdigit() accepts superscript and full-width digits that int() refuses: once a 500.
    for path in (f"/api/modelcases/{ref}", f"/api/modelcases/{ref}/history", f"/api/modelcases/{ref}/diff?from=1&to=2"):
        assert client.get(path).status_code == 404, path


def test_a_publish_through_one_worker_is_matched_by_another(
    service: LeianService, tmp_path: Path, segmenter: Segmenter, request: pytest.FixtureRequest
) -> None:
    """``leian serve --workers N``: each worker keeps its own match index; a publish or retire
    through one is seen by the next look-up on another, without a restart."""
    worker = LeianService(make_settings(tmp_path), encoder=service.encoder, segmenter=segmenter, open_index=False)
    request.addfinalizer(worker.close)
    other = worker.modelcases
    mcs = service.modelcases
    assert look_up(other, text="货运平台拖欠司机运费")[1] == []  # the other worker's index is built, empty
    mc = mcs.create(FREIGHT, HANDLER)
    mcs.publish(mc.id, REVIEWER)
    assert look_up(mcs, text="货运平台拖欠司机运费")[1][0].model_case.code == "T-001"
    assert look_up(other, text="货运平台拖欠司机运费")[1][0].model_case.code == "T-001"
    mcs.update(mc.id, ModelCaseUpdate(title="网络货运平台拖欠运费的处置"), REVIEWER)
    mcs.publish(mc.id, REVIEWER)
    assert look_up(other, text="货运平台拖欠司机运费")[1][0].model_case.data.title == "网络货运平台拖欠运费的处置"
    other.retire(mc.id, REVIEWER, "政策调整")  # and the other way round
    assert look_up(mcs, text="货运平台拖欠司机运费")[1] == []
    # The publishing worker's own writes update its index in place (no rebuild).
    rebuilds = []
    original = mcs.index.rebuild
    mcs.index.rebuild = lambda: rebuilds.append(1) or original()  # type: ignore[method-assign]
    second = mcs.create(FREIGHT.model_copy(update={"code": "T-002"}), HANDLER)
    mcs.publish(second.id, REVIEWER)
    assert look_up(mcs, text="货运平台拖欠司机运费")[1][0].model_case.code == "T-002" and rebuilds == []
