"""Petition workflow on real storage: repeats, 诉访分离, dual assignment, routing, packages, reports, API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import replace
from typing import Any

import pytest
from openpyxl import load_workbook

from kb.domain import CaseUpdate, Status
from kb.errors import ConflictError, InvalidInputError, NotFoundError
from kb.routing_features import FeatureConfig
from kb.service import LeianService
from kb.workflow.litigation import detect
from kb.workflow.repeats import norm_hash
from kb.workflow.routing import RouterConfig
from kb.workflow.suggest import LiveRouter
from tests.conftest import auth

WAGES = "某某建筑公司拖欠我们农民工工资三个月，共计八万元，包工头失联，请求劳动监察部门责令公司支付工资。"
NOISE = "小区楼下烧烤店每天营业到凌晨两点，油烟和噪音严重影响居民休息，多次投诉无果，请求环保部门查处。"
SCHOOL = "孩子今年秋季入学被划到离家很远的学校，学区划分不合理，请求教育局重新核定学位安排。"
COURT = "法院判决对方赔偿我十万元，判决生效后对方拒不履行，申请强制执行一年多仍没有结果，请求督促执行。"


def row(no: str, content: str, day: str, **extra: Any) -> dict[str, Any]:
    return {"external_no": no, "title": "", "content": content, "received_date": day, **extra}


def ingest(service: LeianService, *rows: dict[str, Any]) -> list[int]:
    service.ingest([(None, r) for r in rows])
    ids = service.case_ids_by_external([r["external_no"] for r in rows])
    return [ids[r["external_no"]] for r in rows]


def links(service: LeianService, case_id: int) -> dict[str, dict[str, Any]]:
    return {link["kind"]: link for link in service.workflow.links(case_id)}


# -- repeats ---------------------------------------------------------------------------------------------
def test_same_petitioner_same_matter_is_linked_with_a_count(service: LeianService) -> None:
    a, b, c, other, late = ingest(
        service,
        row("R1", WAGES, "2025-01-05", petitioner_id="440101199001011234"),
        row("R2", WAGES.replace("三个月", "四个月"), "2025-02-10", petitioner_id="440101199001011234"),
        row("R3", "再次反映：" + WAGES, "2025-03-01", petitioner_id="440101199001011234"),
        row("R4", SCHOOL, "2025-03-02", petitioner_id="440101199001011234"),
        row("R5", WAGES, "2027-01-01", petitioner_id="440101199001011234"),
    )
    assert "repeat" not in links(service, a)
    assert links(service, b)["repeat"]["other_id"] == a
    assert links(service, b)["repeat"]["repeat_count"] == 1
    assert links(service, c)["repeat"]["repeat_count"] == 2
    assert "repeat" not in links(service, other)  # a different matter
    assert "repeat" not in links(service, late)  # outside the one-year window
    view = service.workflow.case_workflow(c)
    assert any("重复信访（第 3 次）" in f for f in view["flags"])
    assert service.workflow.case_workflow(a)["later_repeats"] == 2


def test_exact_resubmission_is_kept_and_linked(service: LeianService) -> None:
    first, again = ingest(
        service,
        row("E1", NOISE, "2025-05-01"),
        row("E2", NOISE.replace("，", " ").replace("。", "!!"), "2025-05-03"),
    )
    assert norm_hash(NOISE) == norm_hash(NOISE.replace("，", " "))
    assert service.cases.count() == 2
    assert links(service, again)["exact"]["other_id"] == first
    assert "exact" not in links(service, first)


def test_near_identical_cases_of_different_petitioners_are_joint(service: LeianService) -> None:
    ingest(service, row("J1", WAGES, "2025-06-01", petitioner_id="440101199001011111"))
    # A later import, so the first case is found through the vector index rather than the batch.
    (second,) = ingest(service, row("J2", WAGES + "恳请", "2025-06-02", petitioner_id="440101199202022222"))
    assert links(service, second)["joint"]["other_id"] == service.case_ids_by_external(["J1"])["J1"]
    assert "repeat" not in links(service, second)


def test_reimport_recomputes_links(service: LeianService) -> None:
    a, b = ingest(
        service, row("X1", WAGES, "2025-01-01", petitioner_id="1"), row("X2", WAGES, "2025-01-02", petitioner_id="1")
    )
    assert links(service, b)["repeat"]["other_id"] == a
    ingest(service, row("X2", SCHOOL, "2025-01-02", petitioner_id="1"))
    assert links(service, b) == {}


# -- 诉访分离 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        (COURT, True),
        ("我向派出所报案三个月，公安机关一直不予立案。", True),
        ("申请再审被驳回后，向检察院申请监督。", True),
        ("请求依法处理违法建设，维护合法权益。", False),
        ("政策执行不到位，希望有关部门依法依规办理。", False),
        ("我们没钱打官司，希望政府出面协调。", False),
    ],
)
def test_litigation_rules(text: str, flagged: bool) -> None:
    found = detect(text)
    assert found.flagged is flagged
    if flagged:
        assert found.phrases and all(p in text.replace("，", ",") for p in found.phrases)


def test_litigation_is_flagged_on_ingest_and_tracked(service: LeianService) -> None:
    court, plain = ingest(service, row("L1", COURT, "2025-01-01"), row("L2", NOISE, "2025-01-01"))
    assert service.get_case(court).litigation and not service.get_case(plain).litigation
    track = service.workflow.litigation_track(court)
    assert track["status"] == "flagged" and any("强制执行" in e["phrase"] for e in track["evidence"])
    # 移交, 反馈 and 办结 belong to the hand-over (kb/zhengfa; tests/kb/zhengfa): a free-text step is refused.
    for status in ("handed_over", "feedback", "concluded"):
        with pytest.raises(InvalidInputError, match="诉访分离移交"):
            service.workflow.litigation_step(court, status, note=status)
    service.workflow.litigation_step(court, "dismissed", note="经核实不属于涉法涉诉")
    track = service.workflow.litigation_track(court)
    assert [e["status"] for e in track["events"]] == ["flagged", "dismissed"]
    assert track["status_label"] == "已排除" and not service.get_case(court).litigation
    with pytest.raises(ConflictError):
        service.workflow.litigation_step(court, "dismissed")
    with pytest.raises(NotFoundError):
        service.workflow.litigation_track(plain)
    service.workflow.litigation_step(plain, "flagged", note="人工标记")  # a handler may flag a missed case
    assert service.get_case(plain).litigation


# -- dual assignment ------------------------------------------------------------------------------------
def test_dual_assignment_with_lead_and_history(service: LeianService) -> None:
    (cid,) = ingest(service, row("A1", WAGES, "2025-01-01", city="广州市"))
    with pytest.raises(InvalidInputError):
        service.workflow.assign(cid, locality="广州市", departments=["省人力资源社会保障厅", "省住房城乡建设厅"])
    service.workflow.assign(
        cid, locality="广州市", departments=["省人力资源社会保障厅", "省住房城乡建设厅"], lead="省人力资源社会保障厅"
    )
    assert service.get_case(cid).department == "省人力资源社会保障厅"
    service.workflow.assign(cid, locality="广州市", departments=["省住房城乡建设厅"])
    history = service.workflow.assignments(cid)
    active = {(a.kind, a.unit, a.lead) for a in history if a.active}
    assert active == {("locality", "广州市", False), ("department", "省住房城乡建设厅", True)}
    ended = [a for a in history if not a.active]
    assert [a.unit for a in ended] == ["省人力资源社会保障厅"] and ended[0].ended_by == "system"
    # 省住房城乡建设厅 stays assigned (it keeps its 签收); only its lead flag changed, on the record.
    assert len([a for a in history if a.unit == "省住房城乡建设厅"]) == 1
    assert [e.detail for e in service.assignments.events(cid) if e.action == "lead"] == ["改为主责单位"]
    assert service.get_case(cid).department == "省住房城乡建设厅"


# -- routing --------------------------------------------------------------------------------------------
def handled(no: str, text: str, dept: str, city: str) -> dict[str, Any]:
    return row(no, text, "2025-01-01", department=dept, city=city, status="resolved", resolved_date="2025-02-01")


def test_routing_learns_from_handled_cases(service: LeianService) -> None:
    empty = service.workflow.suggest(text=WAGES)
    assert empty["department"].value is None and empty["department"].low_confidence
    rows = []
    for i in range(6):
        rows.append(handled(f"W{i}", WAGES.replace("八万", f"{i + 2}万"), "省人力资源社会保障厅", "广州市"))
        rows.append(handled(f"N{i}", NOISE.replace("两点", f"{i + 1}点"), "省生态环境厅", "深圳市"))
        rows.append(handled(f"S{i}", SCHOOL.replace("秋季", f"第{i}学期"), "省教育厅", "佛山市"))
    ingest(service, *rows)
    found = service.workflow.suggest(text="建筑工地老板拖欠工资不给，农民工讨薪无门")
    dept = found["department"]
    assert dept.value == "省人力资源社会保障厅" and not dept.low_confidence
    assert len(dept.alternatives) <= 3 and all(v != "省人力资源社会保障厅" for v, _ in dept.alternatives)
    assert found["city"].value == "广州市"
    model = service.workflow.router.linear("department")
    # kNN part is current at once; the linear part is refitted only after 10 % growth.
    ingest(service, handled("W9", WAGES, "省人力资源社会保障厅", "广州市"))
    assert service.workflow.router.linear("department") is model
    ingest(service, *[handled(f"T{i}", "出租车司机反映平台抽成过高" * 3, "省交通运输厅", "珠海市") for i in range(3)])
    assert service.workflow.router.linear("department") is not model
    taxi = service.workflow.suggest(text="出租车司机反映平台抽成过高，收入下降")
    assert taxi["department"].value == "省交通运输厅"


# Every case names both matters; the title says which one it is about.
MATTERS = {
    "省人力资源社会保障厅": ["公司拖欠工资", "工资被拖欠半年"],
    "省住房城乡建设厅": ["物业乱收费", "物业服务太差"],
}
FILLER = ["多次反映没有结果", "请求尽快处理", "希望领导重视", "家里生活困难"]


def test_routing_uses_the_case_title(service: LeianService) -> None:
    rng = random.Random(5)
    rows = []
    for (dept, own), other in zip(MATTERS.items(), reversed(MATTERS.values()), strict=True):
        for i in range(12):
            body = "，".join([other[i % 2], *rng.sample(FILLER, 2)]) + "。"
            rows.append({**handled(f"{dept}{i}", body, dept, "广州市"), "title": own[i % 2]})
    ingest(service, *rows)
    # The body is about 物业 like half of the training bodies; the title says 工资.
    (case,) = ingest(service, row("Q1", "物业乱收费，多次反映没有结果。", "2025-03-01", title="公司拖欠工资"))
    assert service.workflow.suggest(case_id=case)["department"].value == "省人力资源社会保障厅"
    assert (
        service.workflow.suggest(text="物业乱收费\n工资被拖欠半年，物业乱收费")["department"].value
        == "省住房城乡建设厅"
    )
    # Its linear model alone, without the dense block (the hashing encoder sees the word order):
    # with the title features it is sure, without them it cannot tell.
    query, found = service.query_for_case(case), {}
    for name, config in (("titled", FeatureConfig()), ("blind", FeatureConfig(title_weight=0.0, mined_weight=0.0))):
        model = LiveRouter(service, RouterConfig(linear=replace(config, dense_scale=0.0))).linear("department")
        assert model is not None
        proba = model.proba([query.tokens], query.vector[None, :], [query.text])[0]
        found[name] = dict(zip(model.classes_, proba.tolist(), strict=True))["省人力资源社会保障厅"]
    assert found["titled"] > 0.9 and 0.3 < found["blind"] < 0.7


# -- packages and reports ---------------------------------------------------------------------------------
def test_leader_package_from_hard_backlog(service: LeianService) -> None:
    old, repeat, fresh = ingest(
        service,
        row("P1", WAGES, "2024-10-01", category="劳动保障", petitioner_id="9"),
        row("P2", WAGES, "2025-05-20", category="劳动保障", petitioner_id="9"),
        row("P3", SCHOOL, "2025-05-30", category="劳动保障"),
    )
    found = service.workflow.package_candidates("劳动保障", dt.date(2025, 6, 1))
    assert [c.case_id for c in found] == [old, repeat]
    assert any("长期未结" in r for r in found[0].reasons) and any("重复信访" in r for r in found[1].reasons)
    who = service.workflow.register_leader(name="张副厅长", post="副厅长", unit="省人社厅", domains=["劳动保障"])
    made = service.workflow.create_package(leader_id=who.id, as_of=dt.date(2025, 6, 1))
    assert made.total == 2 and made.concluded == 0
    service.update_case(old, CaseUpdate(status=Status.resolved))
    assert service.workflow.package_progress(made.id).concluded == 1
    assert fresh not in [c.case_id for c in service.workflow.package_candidates("劳动保障", dt.date(2025, 6, 1))]


def report_rows(service: LeianService) -> None:
    base = dt.date(2025, 3, 3)
    rows = []
    for i in range(8):
        day = (base + dt.timedelta(days=i % 7)).isoformat()
        ok = i < 6
        rows.append(
            row(
                f"G{i}",
                f"{WAGES}{i}",
                day,
                city="广州市",
                department="省人力资源社会保障厅",
                status="resolved" if ok else "pending",
                resolved_date=day if ok else None,
            )
        )
    for i in range(4):
        day = (base + dt.timedelta(days=i)).isoformat()
        rows.append(row(f"S{i}", f"{SCHOOL}{i}", day, city="深圳市", department="省教育厅", status="pending"))
    rows.append(row("OLD", NOISE, "2024-12-01", city="深圳市", department="省教育厅"))
    # previous week: 教育厅 resolved everything
    for i in range(3):
        rows.append(
            row(
                f"Q{i}",
                f"{SCHOOL}旧{i}",
                "2025-02-25",
                city="深圳市",
                department="省教育厅",
                status="resolved",
                resolved_date="2025-02-26",
            )
        )
    rows.append(row("RP", f"{SCHOOL}0", "2025-03-05", city="深圳市", department="省教育厅", petitioner_id="7"))
    rows.append(row("RP0", f"{SCHOOL}0", "2025-03-01", city="深圳市", department="省教育厅", petitioner_id="7"))
    ingest(service, *rows)


def test_period_and_weekly_reports(service: LeianService) -> None:
    report_rows(service)
    rep = service.workflow.period_report("department", dt.date(2025, 3, 3), dt.date(2025, 3, 9))
    by = {r.unit: r for r in rep.rows}
    assert (by["省人力资源社会保障厅"].received, by["省人力资源社会保障厅"].resolved) == (8, 6)
    edu = by["省教育厅"]
    # The repeat's earlier case (RP0) is still open: the link is no 再次信访 after a resolution.
    assert (edu.received, edu.resolved, edu.repeats) == (5, 0, 0)
    assert edu.backlog == 1  # the December case
    # None of these cases is due (received + 60 days) in the week: no 化解率, nobody ranked.
    assert rep.total.received == 13 and rep.total.due == 0 and rep.total.resolution_rate is None
    weekly = service.workflow.weekly_report("department", dt.date(2025, 3, 9), weeks=3)
    assert not any(r.lowest for r in weekly.rows)
    assert len(weekly.trend) == 3 and weekly.trend[-1].received == 13
    city = service.workflow.period_report("city", dt.date(2025, 3, 3), dt.date(2025, 3, 9))
    assert {r.unit for r in city.rows} == {"广州市", "深圳市"}


def test_weekly_report_single_pass_matches_period_reports(service: LeianService) -> None:
    """The weekly report computes all its weeks in one pass; each must equal its own period report."""
    report_rows(service)
    end = dt.date(2025, 3, 9)
    weekly = service.workflow.weekly_report("department", end, weeks=4)
    for back, point in zip(range(3, -1, -1), weekly.trend, strict=True):
        week_end = end - dt.timedelta(days=7 * back)
        alone = service.workflow.period_report("department", week_end - dt.timedelta(days=6), week_end)
        assert point.week_end == week_end.isoformat()
        assert (point.received, point.resolution_rate, point.repeat_rate) == (
            alone.total.received,
            alone.total.resolution_rate,
            alone.total.repeat_rate,
        )
    this_week = service.workflow.period_report("department", end - dt.timedelta(days=6), end)
    got = [(r.unit, r.received, r.resolved, r.cohort_resolved, r.repeats, r.backlog) for r in weekly.rows]
    want = [(r.unit, r.received, r.resolved, r.cohort_resolved, r.repeats, r.backlog) for r in this_week.rows]
    assert got == want and sum(p.received for p in weekly.trend) > weekly.total.received


def test_reports_reject_dates_out_of_range(client: Any) -> None:
    """A far-past week would underflow the date arithmetic: a 422 naming the field, never a 500."""
    for path in (
        "/api/workflow/reports/weekly?group_by=city&week_end=0001-01-03&weeks=104",
        "/api/workflow/reports/period?group_by=city&date_from=0001-01-01&date_to=0001-01-02",
        "/api/workflow/reports/period?group_by=city&date_from=2025-01-01&date_to=9999-12-31",
        "/api/workflow/packages/candidates?as_of=0001-01-01",
    ):
        r = client.get(path)
        assert r.status_code in (200, 422), (path, r.status_code, r.text[:200])
        if r.status_code == 422:
            assert r.json()["error"]["details"][0]["field"] in ("week_end", "date_from", "date_to", "as_of"), path


def test_report_exports(service: LeianService) -> None:
    from kb.workflow import exports

    report_rows(service)
    weekly = service.workflow.weekly_report("city", dt.date(2025, 3, 9), weeks=4)
    lines = list(csv.reader(io.StringIO(exports.to_csv(weekly).decode("utf-8-sig"))))
    assert lines[1][:3] == ["地市", "受理数", "本期化解数"] and ["指标", "口径"] in lines
    assert any(line[:1] == ["化解率"] for line in lines)
    book = load_workbook(io.BytesIO(exports.to_xlsx(weekly)))
    assert book["督查报表"]["A2"].value == "地市" and book["趋势"].max_row == 5
    assert exports.trend_png(weekly)[:8] == b"\x89PNG\r\n\x1a\n"
    caption = exports.chart_caption(weekly).replace("\n", "")  # the chart states both lines' definitions
    assert weekly.definitions["化解率"] in caption and weekly.definitions["再次信访率"] in caption


# -- API ------------------------------------------------------------------------------------------------
def test_api_workflow_endpoints_and_permissions(service: LeianService, client: Any, tokens: dict[str, str]) -> None:
    report_rows(service)
    court, *_ = ingest(service, row("L1", COURT, "2025-03-04", city="深圳市"))
    assert client.post("/api/workflow/route", json={"text": WAGES}).status_code == 200
    view = client.get(f"/api/workflow/cases/{court}").json()
    assert view["litigation"]["status"] == "flagged"
    analyst = auth(tokens["analyst"])
    r = client.post(f"/api/workflow/litigation/{court}", json={"status": "handed_over"}, headers=analyst)
    assert r.status_code == 403
    r = client.post(f"/api/workflow/litigation/{court}", json={"status": "concluded"})
    assert r.status_code == 422 and "/api/litigation/" in r.text  # the hand-over's step now
    done = client.post(f"/api/litigation/{court}/referrals", json={"unit": "深圳中院"})
    assert done.status_code == 201 and done.json()["unit"] == "深圳市中级人民法院"
    assert client.get("/api/workflow/litigation", params={"status": "handed_over"}).json()[0]["case_id"] == court
    r = client.put(
        f"/api/workflow/cases/{court}/assignments", json={"locality": "深圳市", "departments": ["法院", "公安厅"]}
    )
    assert r.status_code == 422
    gz = auth(tokens["gz_handler"])
    assert client.get(f"/api/workflow/cases/{court}", headers=gz).status_code == 404  # another city's case
    q = {"date_from": "2025-03-03", "date_to": "2025-03-09", "group_by": "city"}
    units = {r["unit"] for r in client.get("/api/workflow/reports/period", params=q, headers=gz).json()["rows"]}
    assert units == {"广州市"}
    assert client.get("/api/workflow/reports/weekly/export", params={"format": "csv"}, headers=gz).status_code == 403
    sup = auth(tokens["supervisor"])
    r = client.get(
        "/api/workflow/reports/weekly/export", params={"format": "xlsx", "week_end": "2025-03-09"}, headers=sup
    )
    assert r.status_code == 200 and r.content[:2] == b"PK"
    hard = client.get("/api/workflow/packages/candidates", params={"as_of": "2025-06-01"}, headers=sup).json()
    domains = sorted({c["category"] or c["department"] or "" for c in hard} - {""})
    leader = client.post(
        "/api/workflow/leaders",
        json={"name": "李局长", "post": "副厅长", "unit": "省教育厅", "domains": domains},
        headers=sup,
    )
    assert leader.status_code == 201, leader.text
    made = client.post(
        "/api/workflow/packages", json={"leader_id": leader.json()["id"], "as_of": "2025-06-01"}, headers=sup
    )
    assert made.status_code == 201 and made.json()["total"] > 0
    assert client.post("/api/workflow/packages", json={"leader_id": 1}, headers=analyst).status_code == 403
    assert client.get("/api/workflow/repeats", params={"kind": "repeat"}).json()[0]["label"] == "重复信访"


def test_search_hits_carry_workflow_flags(service: LeianService, client: Any) -> None:
    ingest(
        service,
        row("F1", WAGES, "2025-01-01", petitioner_id="5"),
        row("F2", WAGES + "再次反映", "2025-02-01", petitioner_id="5"),
        row("F3", COURT, "2025-02-01"),
    )
    hits = client.post("/api/search", json={"text": WAGES, "k": 3}).json()["hits"]
    flags = {h["case"]["external_no"]: h["flags"] for h in hits}
    assert flags["F2"] == ["重复信访（第 2 次）"] and flags["F1"] == []
    court = client.post("/api/search", json={"text": COURT, "k": 1}).json()["hits"][0]
    assert court["flags"] == ["涉法涉诉（已识别）"]
