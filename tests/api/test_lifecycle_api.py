"""The lifecycle over HTTP and the CLI: the full path, refusals, deadline filters, scope, masking, reports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli import cli, register_commands
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.service import LeianService
from tests.conftest import auth, make_settings

WAGES = "包工头拖欠三个月工资两万元，讨薪无果，请求责令支付。"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2025, 3, 3, 9, 0))


@pytest.fixture
def service(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> Iterator[LeianService]:
    """The conftest service with a fixed clock (``tokens`` and ``client`` build on it)."""
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter, clock=clock)
    yield svc
    svc.close()


def register(client: TestClient, no: str, day: str, **extra: Any) -> int:
    body = {"external_no": no, "content": f"{WAGES}（{no}）", "received_date": day, "city": "深圳市", **extra}
    res = client.post("/api/cases", json=body)
    assert res.status_code == 201, res.text
    return int(res.json()["id"])


def step(client: TestClient, case_id: int, action: str, **body: Any) -> dict[str, Any]:
    res = client.post(f"/api/cases/{case_id}/lifecycle", json={"action": action, **body})
    assert res.status_code == 200, res.text
    return dict(res.json())


def test_the_full_path_over_http(client: TestClient, clock: FixedClock) -> None:
    cid = register(client, "H-1", "2025-03-01")
    state = client.get(f"/api/cases/{cid}/lifecycle").json()
    assert {k: state[k] for k in ("stage", "stage_label", "due_date", "due_kind", "overdue", "extended")} == {
        "stage": "registered", "stage_label": "登记", "due_date": "2025-03-16", "due_kind": "acceptance",
        "overdue": False, "extended": False,
    }  # fmt: skip
    assert state["allowed"] == [
        {"action": "accept", "label": "受理", "needs": []},
        {"action": "reject", "label": "不予受理", "needs": ["text"]},
    ]
    assert state["transitions"][0] | {"at": None} == {
        "action": "import", "label": "登记（导入）", "from_stage": None, "from_stage_label": None,
        "to_stage": "registered", "to_stage_label": "登记", "actor": "u_admin", "actor_unit": None, "at": None,
        "reason": None, "text": None, "approver": None, "due_date_after": "2025-03-16", "request_until": None,
    }  # fmt: skip

    clock.advance(days=2)
    assert step(client, cid, "accept")["due_date"] == "2025-05-04"
    clock.advance(days=50)
    state = step(client, cid, "extend", reason="涉及多个部门，需会商", approver="李局长")
    assert (state["due_date"], state["extended"]) == ("2025-06-03", True)
    clock.advance(days=20)
    state = step(client, cid, "reply", text="答复意见书：已责令限期支付。")
    assert (state["stage"], state["request_until"], state["due_date"]) == ("replied", "2025-06-13", None)
    clock.advance(days=10)
    step(client, cid, "request_review", reason="对答复不满意")
    clock.advance(days=15)
    step(client, cid, "review_reply", text="复查意见书：维持。")
    clock.advance(days=31)
    state = step(client, cid, "conclude")
    assert state["stage_label"] == "终结" and state["allowed"] == []
    assert [t["at"][:10] for t in state["transitions"]] == [
        "2025-03-03", "2025-03-05", "2025-04-24", "2025-05-14", "2025-05-24", "2025-06-08", "2025-07-09",
    ]  # fmt: skip
    case = client.get(f"/api/cases/{cid}").json()
    assert (case["stage"], case["stage_label"], case["due_date"], case["overdue"]) == ("concluded", "终结", None, False)
    assert case["status"] == "closed"


def test_a_refused_step_is_422_with_the_allowed_steps_and_no_client_time(client: TestClient) -> None:
    cid = register(client, "H-2", "2025-03-01")
    res = client.post(f"/api/cases/{cid}/lifecycle", json={"action": "reply", "text": "答复"})
    assert res.status_code == 422
    detail = res.json()["error"]["details"][0]
    assert detail["field"] == "action" and detail["message"].endswith("可执行：受理、不予受理")
    # The server's clock dates every step: a client-given time is not accepted.
    at = client.post(f"/api/cases/{cid}/lifecycle", json={"action": "accept", "at": "2025-03-01T00:00:00+08:00"})
    assert at.status_code == 422
    extend = client.post(f"/api/cases/{cid}/lifecycle", json={"action": "accept"})
    assert extend.status_code == 200
    missing = client.post(f"/api/cases/{cid}/lifecycle", json={"action": "extend", "reason": "复杂"})
    assert missing.status_code == 422 and missing.json()["error"]["details"][0]["field"] == "approver"


def test_deadline_filters_on_list_export_and_search(client: TestClient) -> None:
    overdue = register(client, "F-1", "2025-02-10")  # due 02-25, today 03-03
    near = register(client, "F-2", "2025-02-20")  # due 03-07
    register(client, "F-3", "2025-03-01")  # due 03-16

    def ids(params: dict[str, str]) -> list[int]:
        return [c["id"] for c in client.get("/api/cases", params=params).json()["items"]]

    assert ids({"deadline": "overdue"}) == [overdue]
    assert ids({"deadline": "near"}) == [near]
    assert client.get("/api/cases", params={"deadline": "soon"}).status_code == 422
    item = client.get("/api/cases", params={"deadline": "overdue"}).json()["items"][0]
    assert item["overdue"] is True and item["stage_label"] == "登记" and item["due_date"] == "2025-02-25"
    exported = client.get("/api/cases/export", params={"deadline": "overdue"}).content.decode("utf-8-sig")
    assert [r[0] for r in csv.reader(io.StringIO(exported))][1:] == ["F-1"]
    body = {"text": WAGES, "filters": {"deadline": "near"}, "k": 10}
    hits = client.post("/api/search", json=body).json()["hits"]
    assert [h["case"]["id"] for h in hits] == [near]


def test_permission_and_scope_are_checked_on_the_door(client: TestClient, tokens: dict[str, str]) -> None:
    shenzhen = register(client, "X-1", "2025-03-01")
    guangzhou = register(client, "X-2", "2025-03-01", city="广州市")
    gz, analyst = auth(tokens["gz_handler"]), auth(tokens["analyst"])
    assert client.get(f"/api/cases/{shenzhen}/lifecycle", headers=gz).status_code == 404
    assert client.post(f"/api/cases/{shenzhen}/lifecycle", json={"action": "accept"}, headers=gz).status_code == 404
    assert client.get(f"/api/cases/{shenzhen}/lifecycle", headers=analyst).status_code == 200
    assert (
        client.post(f"/api/cases/{shenzhen}/lifecycle", json={"action": "accept"}, headers=analyst).status_code == 403
    )
    ok = client.post(f"/api/cases/{guangzhou}/lifecycle", json={"action": "accept"}, headers=gz)
    assert ok.status_code == 200 and ok.json()["transitions"][-1]["actor_unit"] == "广州市"
    assert client.get(f"/api/cases/{shenzhen}/lifecycle").json()["stage"] == "registered"


def test_reply_text_is_masked_unless_revealed(client: TestClient, tokens: dict[str, str]) -> None:
    cid = register(client, "M-1", "2025-03-01", status="in_progress")
    step(client, cid, "reply", text="请致电13812345678领取。")
    analyst = client.get(f"/api/cases/{cid}/lifecycle?reveal=true", headers=auth(tokens["analyst"])).json()
    assert "13812345678" not in analyst["transitions"][-1]["text"]
    admin = client.get(f"/api/cases/{cid}/lifecycle?reveal=true").json()
    assert admin["transitions"][-1]["text"] == "请致电13812345678领取。"


def test_period_report_carries_the_on_time_rates_and_their_definitions(client: TestClient) -> None:
    cid = register(client, "R-1", "2025-03-01")
    step(client, cid, "accept")
    report = client.get(
        "/api/workflow/reports/period", params={"group_by": "city", "date_from": "2025-03-01", "date_to": "2025-03-31"}
    ).json()
    assert report["total"]["acceptance_due"] == 1 and report["total"]["on_time_acceptance_rate"] == 1.0
    assert report["total"]["on_time_reply_rate"] is None
    assert "按期受理率" in report["definitions"] and "按期办结率" in report["definitions"]


def _cli(data_dir: Path, *args: str) -> Any:
    register_commands()
    return CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "--encoder", "hashing", *args], env={"LEIAN_PETITIONER_KEY": "k" * 32}
    )


def test_cli_show_and_do(tmp_path: Path) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_text(json.dumps({"external_no": "C-1", "content": WAGES, "received_date": "2025-03-01"}), "utf-8")
    assert _cli(tmp_path, "ingest", str(source), "--workers", "1").exit_code == 0
    shown = _cli(tmp_path, "lifecycle", "show", "1")
    # The CLI runs on the system clock: assert only what does not depend on today's date.
    assert shown.exit_code == 0 and "案件 1：登记" in shown.output and "可执行：受理（accept）" in shown.output
    done = _cli(tmp_path, "lifecycle", "do", "1", "accept", "--json")
    assert done.exit_code == 0 and json.loads(done.output)["stage"] == "accepted"
    again = _cli(tmp_path, "lifecycle", "do", "1", "accept")
    assert again.exit_code == 2 and "可执行：延期、答复" in again.output
    no_text = _cli(tmp_path, "lifecycle", "do", "1", "reply")
    assert no_text.exit_code == 2 and "答复须填写答复意见书" in no_text.output
    letter = tmp_path / "reply.txt"
    letter.write_text("答复意见书：已协调支付。", encoding="utf-8")
    replied = _cli(tmp_path, "lifecycle", "do", "1", "reply", "--text-file", str(letter), "--json")
    assert (
        replied.exit_code == 0 and json.loads(replied.output)["transitions"][-1]["text"] == "答复意见书：已协调支付。"
    )
