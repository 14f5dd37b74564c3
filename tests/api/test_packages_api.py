"""HTTP doors of 领导包案 and 专项小组: refusals in Chinese with the right status, roles, the report
export with its definition row, the batch preview token, the member list's 后加入 flag."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from kb.service import LeianService
from tests.conftest import auth

HOUSING = "小区开发商逾期两年未交房，业主多次找住建部门无果，请求督促开发商尽快交房。"


def ingest(service: LeianService, n: int, category: str, city: str = "深圳市") -> list[int]:
    rows = [
        {
            "external_no": f"{category}{i}",
            "title": "",
            "content": HOUSING + f"（{category}{i}）",
            "received_date": "2025-01-10",
            "category": category,
            "city": city,
        }
        for i in range(n)
    ]
    service.ingest([(None, r) for r in rows])
    found = service.case_ids_by_external([str(r["external_no"]) for r in rows])
    return [found[str(r["external_no"])] for r in rows]


def test_packages_over_http(service: LeianService, client: Any, tokens: dict[str, str]) -> None:
    ids = ingest(service, 4, "住房建设")
    sup = auth(tokens["supervisor"])
    r = client.post(
        "/api/workflow/leaders",
        json={"name": "王建华", "post": "副厅长", "unit": "省住建厅", "domains": ["住房建设"]},
        headers=sup,
    )
    assert r.status_code == 201 and r.json()["unit"] == "省住房城乡建设厅"
    leader = r.json()["id"]
    other = client.post(
        "/api/workflow/leaders", json={"name": "陈立", "post": "副厅长", "unit": "省住建厅", "domains": ["住房建设"]}
    ).json()["id"]
    made = client.post("/api/workflow/packages", json={"leader_id": leader, "case_ids": ids[:2]}, headers=sup)
    assert made.status_code == 201 and made.json()["status_label"] == "包案中"
    again = client.post("/api/workflow/packages", json={"leader_id": other, "case_ids": ids[1:3]}, headers=sup)
    assert again.status_code == 422 and "已由王建华包案" in again.text
    pid = made.json()["id"]
    step = client.post(f"/api/workflow/packages/{pid}/milestones", json={"title": "首次接访", "due_date": "2099-01-01"})
    assert step.status_code == 201 and step.json()["milestones"][0]["title"] == "首次接访"
    end = client.post(f"/api/workflow/packages/{pid}/end", json={"status": "concluded"})
    assert end.status_code == 409 and "尚有 2 件案件未办结" in end.text
    analyst = auth(tokens["analyst"])
    assert client.post("/api/workflow/packages", json={"leader_id": leader}, headers=analyst).status_code == 403
    report = client.get("/api/workflow/packages/report", headers=analyst).json()
    assert {r["leader"]: r["cases"] for r in report["rows"]} == {"王建华": 2, "陈立": 0}
    assert report["definition"].startswith("办结率 =")
    xlsx = client.get("/api/workflow/packages/report/export", params={"format": "xlsx"}, headers=analyst)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]  # type: ignore[union-attr]
    assert rows[0][0] == "领导" and rows[1][0] == "王建华" and "办结率 =" in str(rows[-1][0])
    gz = auth(tokens["gz_handler"])
    assert client.get(f"/api/workflow/packages/{pid}", headers=gz).status_code == 404  # 深圳市 cases


def test_special_group_and_previewed_decision_over_http(
    service: LeianService, client: Any, tokens: dict[str, str]
) -> None:
    ids = ingest(service, 3, "欠薪")
    repo = service.groups.repo
    with service.db.transaction() as conn:
        gid = repo.create(conn, "欠薪类案", "test")
        repo.set_members(conn, [(i, gid, "manual", None) for i in ids], "test")
    made = client.post(
        "/api/special-groups",
        json={
            "name": "欠薪专项小组",
            "lead_unit": "省人社厅",
            "member_units": ["深圳市"],
            "policy_title": "处理意见",
            "policy_number": "粤人社〔2026〕1号",
            "policy_date": "2026-01-15",
            "group_ids": [gid],
        },
    )
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    assert client.post(f"/api/special-groups/{sid}/groups/{gid}/batch").status_code == 200
    seen = client.post(f"/api/groups/{gid}/decision/preview", json={"status": "resolved"}).json()
    assert seen["message"] == "将把 3 件案件状态改为已化解"
    body = {"decision": "统一垫付", "status": "resolved", "reply": "已垫付"}
    stale = client.post(f"/api/groups/{gid}/decision", json={**body, "token": "0" * 32})
    assert stale.status_code == 409 and "请重新预览" in stale.text
    done = client.post(f"/api/groups/{gid}/decision", json={**body, "token": seen["token"]})
    assert done.status_code == 200 and sorted(done.json()["changed_ids"]) == sorted(ids)
    record = client.get(f"/api/groups/{gid}/decisions").json()[0]
    assert {c["reply"] for c in record["cases"]} == {"已垫付"} and record["special_group_id"] == sid
    (late,) = ingest(service, 1, "欠薪后")
    service.groups.move(late, gid)
    page = client.get(f"/api/groups/{gid}/members").json()
    assert page["late_ids"] == [late] and page["late_label"] == "后加入，待按同一政策处理"
    assert client.get(f"/api/special-groups/{sid}").json()["late"] == 1
    # The export: one row per member case (decision, new status, when, reply), the late one flagged,
    # personal data masked, the special group's units and policy document below the table.
    row = {"external_no": "欠薪电话", "title": "联系电话13812345678欠薪", "content": HOUSING + "（电话）",
           "received_date": "2025-01-12", "category": "欠薪", "city": "深圳市"}  # fmt: skip
    service.ingest([(None, row)])
    phone = service.case_ids_by_external(["欠薪电话"])["欠薪电话"]
    service.groups.move(phone, gid)
    xlsx = client.get(f"/api/special-groups/{sid}/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]  # type: ignore[union-attr]
    head = rows[0]
    assert head[:3] == ["类案组", "登记编号", "标题"]
    members = {r[1]: dict(zip(head, r, strict=False)) for r in rows[1:] if r[1]}
    assert len(members) == 5
    for cid in ids:
        row = members[service.cases.get(cid).external_no]
        assert (row["当前状态"], row["决定改为"], row["给信访人的答复"]) == ("已化解", "已化解", "已垫付")
        assert row["批量决定"] == "统一垫付" and str(row["状态变更时间"]).startswith(service.clock.today().isoformat())
    assert members["欠薪后0"]["备注"] == "后加入，待按同一政策处理" and not members["欠薪后0"]["批量决定"]
    assert "13812345678" not in str(members["欠薪电话"]["标题"])
    assert "政策文件：处理意见 粤人社〔2026〕1号（2026-01-15）" in [r[0] for r in rows]
    csv = client.get(f"/api/special-groups/{sid}/export", params={"format": "csv"})
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").startswith("类案组,登记编号")
    gz = auth(tokens["gz_handler"])  # 深圳市 cases only: not within a 广州市 account's scope
    assert client.get(f"/api/special-groups/{sid}/export", headers=gz).status_code == 404
