"""Click's own messages reach the user in Chinese, naming the option as it was typed (api/cli/zh.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from api.cli import cli, register_commands
from api.cli.zh import CATALOG, PLURALS, translate, translate_plural

# Click messages only a developer declaring options can meet; they stay in click's English.
DEVELOPER_MESSAGES = {
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Invalid start character for option ({option})",
    "Unknown standard stream '{name}'",
    "Unknown color {colour!r}",
    "Choice({choices})",
}
ENGLISH = ("Error", "Usage", "Invalid", "Missing", "Try ", "No such", "Did you mean", "is not", "Aborted")


def run(tmp_path: Path, *args: str, stdin: str | None = None) -> Result:
    register_commands()
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "--encoder", "hashing", *args], input=stdin, prog_name="leian"
    )
    assert not data_dir.exists(), "a refused invocation must write nothing"
    return result


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["reindex", "--workers", "0"], "错误：--workers 的值无效：0 超出范围 x>=1。"),
        (["serve", "--workers=-2"], "错误：--workers 的值无效：-2 超出范围 x>=1。"),
        (["search", "-k", "五", "拖欠工资"], "错误：-k 的值无效：'五' 不是有效的整数。"),
        (
            ["search", "--mode", "fuzzy", "拖欠工资"],
            "错误：--mode 的值无效：'fuzzy' 不在可选值之中：'hybrid', 'dense', 'lexical'。",
        ),
        (["ingest", "不存在.csv"], "错误：PATHS 的值无效：文件 '不存在.csv' 不存在。"),
        (["groups", "batch", "3", "--policy", "意见"], "错误：缺少选项 --lead"),
        (["report", "weekly", "--output"], "错误：选项 --output 需要一个值。"),
        (["search", "--citty", "广州市"], "错误：未知选项：--citty（是否要用：--city）"),
        (["grops", "list"], "错误：未知命令：grops（是否要用：groups）"),
        (["search", "拖欠工资", "三个月"], "错误：多余的参数：三个月"),
    ],
)
def test_a_bad_invocation_is_refused_in_chinese_naming_the_option(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    result = run(tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert expected in result.output.splitlines(), result.output
    assert "用法: leian" in result.output or "需要一个值" in expected
    assert not any(word in result.output for word in ENGLISH), result.output


@pytest.mark.parametrize("spelled", ["-o", "--output"])
def test_the_option_is_named_as_the_user_spelled_it(tmp_path: Path, spelled: str) -> None:
    result = run(tmp_path, "report", "weekly", spelled, str(tmp_path))
    assert result.exit_code == 2
    assert f"错误：{spelled} 的值无效：'{tmp_path}' 是目录，此处应为文件。" in result.output, result.output


def test_help_pages_and_prompts_are_chinese(tmp_path: Path) -> None:
    page = run(tmp_path, "search", "--help")
    assert page.exit_code == 0
    assert page.output.startswith("用法: leian search [OPTIONS] [TEXT]")
    assert "选项:" in page.output and "返回条数  [默认：10]" in page.output
    assert "-h, --help" in page.output and "显示本帮助并退出。" in page.output

    # The two passwords differ, then the input ends: nothing is created.
    prompt = run(tmp_path, "users", "create", "gz", "--role", "handler", stdin="口令一\n口令二\n")
    assert prompt.exit_code == 1
    assert "密码: " in prompt.output and "请再输入一次以确认: " in prompt.output
    assert "错误：两次输入不一致。" in prompt.output and "已中止。" in prompt.output
    assert not any(word in prompt.output for word in ENGLISH), prompt.output


def click_messages() -> set[str]:
    """Every message id the installed click passes to gettext (its ``_`` and ``ngettext`` calls)."""
    found: set[str] = set()
    for source in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            called = (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext")
            )
            if called and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def test_every_message_click_can_show_a_user_has_a_chinese_form() -> None:
    messages = click_messages()
    assert len(messages) > 60  # the scan found click's messages
    untranslated = messages - CATALOG.keys() - PLURALS.keys() - DEVELOPER_MESSAGES
    assert not untranslated, f"click messages without Chinese (add them to api/cli/zh.py): {sorted(untranslated)}"
    # and every click module that shows messages goes through the catalog
    modules = [m for name, m in sys.modules.items() if name == "click" or name.startswith("click.")]
    assert all(getattr(m, "_", translate) is translate for m in modules)
    assert all(getattr(m, "ngettext", translate_plural) is translate_plural for m in modules)
