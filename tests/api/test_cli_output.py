"""The CLI people can read: headed tables, --json everywhere, "没有…（可选值：…）" for empty results,
attribution to --as USER or the OS user, report files never dropped into the current folder, and
progress for encoding and group discovery (issue 15, items 17, 18 and 20)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli import cli, register_commands
from api.cli.common import os_user
from api.cli.output import display_width, empty_result, format_table
from indexing.encoders.hashing import HashingEncoder
from kb.service import LeianService
from kb.settings import Settings
from tests.conftest import SAMPLES

ENV = {"LEIAN_PETITIONER_KEY": "cli-test-key", "LEIAN_THREADS": "1", "LEIAN_INGEST_WORKERS": "1"}


def run(data_dir: Path, *args: str, ok: bool = True) -> Result:
    register_commands()
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "--encoder", "hashing", *args], env=ENV)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("cli")
    source = root / "cases.jsonl"
    with SAMPLES.open(encoding="utf-8") as fh:
        source.write_text("".join(line for _, line in zip(range(300), fh, strict=False)), encoding="utf-8")
    data = root / "data"
    result = run(data, "ingest", str(source))
    assert "导入完成：新增 300 件" in result.output
    # Not a terminal here: the progress is printed as lines (and logged), not as an invisible bar.
    assert "已编码 300/300（100%）" in result.output
    # The stages after the encoding, each on its own line, in order.
    stages = [
        "写入数据库：300 件（新增或有变化）",
        "文件内近邻检索：300 件",
        "检测重复信访并归入类案组：0/300 件",
        "更新检索索引：300 件",
        "保存索引快照",
    ]
    where = [result.output.find(f"导入 cases.jsonl：{s}") for s in stages]
    assert -1 not in where and where == sorted(where), result.output
    run(data, "groups", "discover")
    yield data


def test_table_helper_aligns_chinese_and_says_what_an_empty_result_could_be() -> None:
    table = format_table(["地市", "受理数"], [["广州市", 12], ["东莞市", 3]]).splitlines()
    assert table[0].startswith("地市") and set(table[1]) <= {"-", " "}
    assert len({display_width(line) for line in table}) == 1  # every line as wide as the header
    assert table[2].endswith("12") and table[3].endswith(" 3")  # numbers right-aligned
    assert empty_result("包案候选", ["劳动保障", "城乡建设"]) == "没有符合条件的包案候选（可选值：劳动保障、城乡建设）"


def test_weekly_report_has_column_headers_and_changes_in_points(data_dir: Path) -> None:
    out = run(data_dir, "report", "weekly", "--by", "city").output.splitlines()
    assert out[0].startswith("周滚动督查报表（按地市）")
    assert out[1].split()[:6] == ["地市", "受理数", "本期化解数", "应化解数", "已化解数", "化解率"]
    assert "pp" not in "\n".join(out)
    table_end = out.index("口径：")
    assert out[table_end - 1].startswith("合计")
    assert any(line.strip().startswith("化解率：") for line in out[table_end:])  # each rate's definition
    data = json.loads(run(data_dir, "report", "weekly", "--by", "city", "--json").output)
    assert data["group_by"] == "city" and data["rows"]


def test_report_files_go_to_the_data_directory_with_distinct_names(data_dir: Path, tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        png = run(data_dir, "report", "weekly", "--format", "png").output
        city = run(data_dir, "report", "weekly", "--by", "city", "--format", "xlsx").output
        department = run(data_dir, "report", "weekly", "--format", "xlsx").output
    finally:
        os.chdir(cwd)
    assert list(tmp_path.iterdir()) == []  # nothing written into the current folder
    paths = [Path(o.strip().removeprefix("已导出：")) for o in (png, city, department)]
    assert all(p.parent == data_dir / "exports" and p.is_file() for p in paths)
    assert paths[1].name != paths[2].name and "city" in paths[1].name and "department" in paths[2].name


def test_groups_show_is_readable_not_a_python_dict(data_dir: Path) -> None:
    listing = json.loads(run(data_dir, "groups", "list", "--json").output)
    out = run(data_dir, "groups", "show", str(listing[0]["id"])).output
    assert "{" not in out and "'" not in out
    assert "办理状态：" in out and "代表案件" in out
    assert run(data_dir, "groups", "list").output.splitlines()[0].split()[:3] == ["组", "件数", "名称"]


def test_repeats_show_is_text_and_json_on_request(data_dir: Path) -> None:
    listed = json.loads(run(data_dir, "repeats", "list", "--kind", "repeat", "--json").output)
    case_id = listed[0]["case_id"]
    text = run(data_dir, "repeats", "show", str(case_id)).output
    assert not text.lstrip().startswith("{") and "重复信访与关联案件" in text and "重复信访" in text
    assert json.loads(run(data_dir, "repeats", "show", str(case_id), "--json").output)["case_id"] == case_id


def test_route_names_the_likely_city_even_with_low_confidence(data_dir: Path) -> None:
    out = run(data_dir, "route", "工地包工头拖欠工资三个月").output
    found = json.loads(run(data_dir, "route", "工地包工头拖欠工资三个月", "--json").output)
    city = found["city"]
    assert city["value"] and city["value"] in out
    if city["low_confidence"]:
        assert f"可能为：{city['value']}" in out and city["value"] in city["message"]


def test_readme_package_example_explains_an_empty_result(data_dir: Path) -> None:
    out = run(data_dir, "packages", "candidates", "--domain", "劳动保障").output.strip()
    prefix = "没有领域为“劳动保障”的包案候选（可选值："
    assert out.startswith(prefix) and out.endswith("）")
    assert json.loads(run(data_dir, "packages", "candidates", "--domain", "劳动保障", "--json").output) == []
    choice = out.removeprefix(prefix).split("、")[0].rstrip("）")
    header = run(data_dir, "packages", "candidates", "--domain", choice).output.splitlines()[0]
    assert header.split()[:3] == ["案件", "登记编号", "地市"]  # each offered value finds something


def test_writes_are_attributed_to_the_os_user_or_as_user(data_dir: Path) -> None:
    gid = json.loads(run(data_dir, "groups", "list", "--json").output)[0]["id"]
    run(data_dir, "groups", "rename", str(gid), "命令行改名")
    assert json.loads(run(data_dir, "groups", "list", "--json").output)[0]["updated_by"] == f"cli:{os_user()}"
    service = LeianService(
        Settings(data_dir=data_dir, threads=1, petitioner_key="cli-test-key"), encoder=HashingEncoder()
    )
    try:
        service.users.create("li_reviewer", "reviewer", "Rv-2026-quiet!")
    finally:
        service.close()
    run(data_dir, "groups", "rename", str(gid), "审查员改名", "--as", "li_reviewer")
    assert json.loads(run(data_dir, "groups", "list", "--json").output)[0]["updated_by"] == "li_reviewer"
    refused = run(data_dir, "groups", "rename", str(gid), "x", "--as", "nobody", ok=False)
    assert refused.exit_code == 2 and "用户 nobody 不存在" in refused.output
    audit = run(data_dir, "audit", "export").output
    assert f"cli:{os_user()},admin,,,cases.import" in audit  # the import, attributed (no city, no unit)


def test_every_data_command_accepts_json(data_dir: Path) -> None:
    for args in (
        ("search", "拖欠工资", "-k", "2"),
        ("repeats", "list", "--limit", "2"),
        ("litigation", "list", "--limit", "2"),
        ("litigation", "detect", "不服法院判决，要求再审"),
        ("packages", "show"),
        ("modelcases", "list"),
    ):
        json.loads(run(data_dir, *args, "--json").output)


def test_discovery_reports_progress_stages(data_dir: Path) -> None:
    service = LeianService(
        Settings(data_dir=data_dir, threads=1, petitioner_key="cli-test-key"), encoder=HashingEncoder()
    )
    stages: list[str] = []
    try:
        service.groups.discover(mode="full", progress=stages.append)
    finally:
        service.close()
    assert stages[0].startswith("类案发现：") and "正在计算特征" in stages[0]
    assert any("聚类 1/" in s for s in stages) and stages[-1] == "类案发现：保存类案组与关键词……"
