"""`leian packages` (register, create, report) and `leian special-groups` / `leian groups decide`
(preview first, --yes applies exactly the previewed cases) on real storage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_cli_output import run
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("cli-packages")
    source = root / "cases.jsonl"
    with SAMPLES.open(encoding="utf-8") as fh:
        source.write_text("".join(line for _, line in zip(range(200), fh, strict=False)), encoding="utf-8")
    data = root / "data"
    run(data, "ingest", str(source))
    run(data, "groups", "discover")
    yield data


def test_packages_commands(data_dir: Path) -> None:
    pool = json.loads(run(data_dir, "packages", "candidates", "--limit", "50", "--json").output)
    category = next(c["category"] for c in pool if c["category"])
    out = run(data_dir, "packages", "leader-add", "--name", "王建华", "--post", "副厅长", "--unit", "省信访局",
              "--domain", category).output  # fmt: skip
    assert out.startswith("已登记领导 #1：王建华（省信访局副厅长）")
    made = json.loads(run(data_dir, "packages", "create", "--leader-id", "1", "--limit", "2", "--json").output)
    assert made["total"] >= 1 and {c["category"] for c in made["cases"]} == {category}
    first = made["cases"][0]["id"]
    run(
        data_dir,
        "packages",
        "leader-add",
        "--name",
        "陈立",
        "--post",
        "副厅长",
        "--unit",
        "省信访局",
        "--domain",
        category,
    )
    refused = run(data_dir, "packages", "create", "--leader-id", "2", "--case", str(first), ok=False)
    assert refused.exit_code != 0 and "已由王建华包案" in refused.output
    run(data_dir, "packages", "milestone", str(made["id"]), "--title", "首次接访", "--due", "2099-01-01")
    leaders = run(data_dir, "packages", "leaders").output
    assert "王建华" in leaders and category in leaders
    report = run(data_dir, "packages", "report").output
    assert "包案进展报告" in report and "办结率 =" in report


def test_groups_decide_previews_then_applies(data_dir: Path) -> None:
    groups = json.loads(run(data_dir, "groups", "list", "--json").output)
    gid = str(groups[-1]["id"])
    made = run(data_dir, "special-groups", "create", "--name", "测试专项小组", "--lead", "省信访局",
               "--policy-title", "统一处理意见", "--policy-number", "测〔2026〕1号", "--group", gid).output  # fmt: skip
    assert made.startswith("已成立专项小组 #1：测试专项小组")
    run(data_dir, "special-groups", "batch", "1", gid)
    preview = run(data_dir, "groups", "decide", gid, "--decision", "统一处理", "--status", "resolved",
                  "--leave", "closed").output  # fmt: skip
    assert preview.startswith("将把 ") and "加 --yes 应用" in preview
    applied = run(data_dir, "groups", "decide", gid, "--decision", "统一处理", "--status", "resolved",
                  "--leave", "closed", "--yes").output  # fmt: skip
    assert applied.split("：", 1)[1].strip() == preview.splitlines()[0].replace("将把", "已把", 1)
    assert "测试专项小组" in run(data_dir, "special-groups", "list").output
