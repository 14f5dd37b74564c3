"""The README's command-line examples work as written (issue 15, "Done when").

Every ``leian …`` line of the README's bash blocks is run against a small data directory (hashing
encoder), in a folder holding the files the examples name. README notation is read as a person
would: ``a | b`` and ``x|y|z`` offer alternatives (the first is run), ``[…]`` is optional (left out).
Lines that need a value the reader supplies (ID, 案件号, CODE, F, …), start a server or prompt for a
password are listed in ``NOT_RUN`` with the reason; the test fails if a new example is neither run
nor listed, or if any run example fails.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import cli, register_commands
from kb.import_format import template_xlsx
from tests.conftest import REPO, SAMPLES

PLACEHOLDERS = {
    "ID",
    "案件号",
    "CODE",
    "F",
    "N",
    "名称",
    "目标",
    "源...",
    "案件...",
    "...",
    "[组]",
    "主责单位",
    "政策意见",
    "交办号",
    "用户",
}
NOT_RUN = {
    "serve": "starts a server",
    "demo": "loads the full samples and starts a server",
    "users": "prompts for a password",
    "eval": "needs evaluation files (F)",
}
ENV = {"LEIAN_PETITIONER_KEY": "readme-key", "LEIAN_THREADS": "1", "LEIAN_INGEST_WORKERS": "1"}


def readme_examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        lines += [ln.split("  #")[0].strip() for ln in block.splitlines() if ln.startswith("leian ")]
    return lines


def as_run(line: str) -> list[str] | None:
    """The argv a reader would type for ``line``, or None when it needs their own values."""
    first = re.sub(r"\s\[[^\]]*\]", "", line.split(" | ")[0])
    argv = [tok.split("|")[0] if "|" in tok and not tok.startswith("-") else tok for tok in shlex.split(first)][1:]
    if argv[0] in NOT_RUN or any(tok in PLACEHOLDERS for tok in argv):
        return None
    return argv


def prepare(folder: Path) -> None:
    """The files the examples name: cases.jsonl, exports/2025.csv (GBK, with 序号), book.xlsx."""
    with SAMPLES.open(encoding="utf-8") as fh:
        (folder / "cases.jsonl").write_text("".join(next(fh) for _ in range(300)), encoding="utf-8")
    (folder / "exports").mkdir()
    csv = "序号,登记编号,信访内容,登记日期,地市,备注\n1,CSV-1,小区电梯长期故障物业不修,2026/11/26,广州市,\n"
    (folder / "exports" / "2025.csv").write_bytes(csv.encode("gbk"))
    (folder / "book.xlsx").write_bytes(template_xlsx())
    (folder / "data").symlink_to(REPO / "data")  # data/samples/model_cases.json


def test_the_readme_command_examples_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare(tmp_path)
    monkeypatch.chdir(tmp_path)
    register_commands()
    runner = CliRunner()
    ran, skipped = [], []
    for line in readme_examples():
        argv = as_run(line)
        if argv is None:
            skipped.append(line)
            continue
        result = runner.invoke(
            cli, ["--data-dir", str(tmp_path / "leian-data"), "--encoder", "hashing", *argv], env=ENV
        )
        assert result.exit_code == 0, f"{line}\n{result.output}"
        assert result.output.strip(), f"{line} printed nothing"
        ran.append(" ".join(argv))
    assert "ingest cases.jsonl exports/2025.csv book.xlsx" in ran
    assert any(r.startswith("packages candidates --domain") for r in ran)
    assert any(r.startswith("report weekly") for r in ran) and (tmp_path / "周报.xlsx").is_file()
    assert len(ran) >= 12, (ran, skipped)
    assert all(line.split()[1] in NOT_RUN or any(p in line for p in PLACEHOLDERS) for line in skipped), skipped


def test_the_first_import_example_reports_ignored_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare(tmp_path)
    monkeypatch.chdir(tmp_path)
    register_commands()
    out = CliRunner().invoke(
        cli, ["--data-dir", "d", "--encoder", "hashing", "ingest", "exports/2025.csv", "book.xlsx"], env=ENV
    )
    assert out.exit_code == 0, out.output
    assert "已忽略列：序号、备注" in out.output and out.output.count("新增 1 件") == 2
