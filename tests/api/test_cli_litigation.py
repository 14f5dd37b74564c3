"""`leian litigation refer / act / checklist / aid-request / aid-decide / show / referrals` on a real
data directory: the court's account records the steps; the referring account cannot."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from api.cli import cli, register_commands
from indexing.encoders.hashing import HashingEncoder
from kb.service import LeianService
from kb.settings import Settings
from tests.handling_helpers import row

ENV = {"LEIAN_PETITIONER_KEY": "cli-test-key", "LEIAN_THREADS": "1", "LEIAN_INGEST_WORKERS": "1"}
TEXT = "法院判决生效后申请强制执行，被执行人拒不履行，执行法官一直未答复。"


def run(data_dir: Path, *args: str, code: int = 0) -> Result:
    register_commands()
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "--encoder", "hashing", *args], env=ENV)
    assert result.exit_code == code, result.output
    return result


def test_the_hand_over_on_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    service = LeianService(Settings(data_dir=data, petitioner_key="cli-test-key", threads=1), encoder=HashingEncoder())
    service.ingest([(None, row("GZ-1", TEXT, city="广州市", status="in_progress"))])
    service.users.create("gz", "handler", "Handling-2026!", unit="广州市", scope="city")
    service.users.create("court", "handler", "Handling-2026!", unit="广州市中级人民法院", scope="department")
    cid = service.case_ids_by_external(["GZ-1"])["GZ-1"]
    service.close()
    out = run(data, "litigation", "refer", str(cid), "--unit", "广州中院", "--days", "20", "--as", "gz").output
    assert "移交广州市中级人民法院" in out and "已移交待核查" in out
    listed = json.loads(run(data, "litigation", "referrals", "--json", "--as", "court").output)
    rid = listed[0]["id"]
    refused = run(data, "litigation", "act", str(rid), "check", "--text", "已核查", "--as", "gz", code=2)
    assert "只有接收单位（广州市中级人民法院）" in refused.output
    run(data, "litigation", "act", str(rid), "check", "--text", "执行程序合法", "--as", "court")
    run(
        data,
        "litigation",
        "checklist",
        str(cid),
        "--item",
        "unreasonable:done",
        "--item",
        "illegal:na",
        "--as",
        "court",
    )
    done = json.loads(
        run(data, "litigation", "aid-request", str(cid), "--applicant", "张三", "--amount", "5000",
            "--as", "court", "--json").output
    )  # fmt: skip
    run(data, "litigation", "aid-decide", str(done["judicial_aid"][0]["id"]), "refused", "--as", "court")
    out = run(data, "litigation", "act", str(rid), "conclude", "--text", "依法终结", "--as", "court").output
    assert "已依法终结" in out and "不予救助" in out and "诉求无理的思想教育到位：已到位" in out
    assert "已办结" in run(data, "litigation", "show", str(cid), "--as", "gz").output
