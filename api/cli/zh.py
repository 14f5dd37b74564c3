"""Click's own messages in Chinese: usage errors, prompts and help headings, for the whole `leian` CLI.

Click marks every message it shows with ``gettext`` (``from gettext import gettext as _`` in each of its
modules). Python's gettext picks a compiled ``.mo`` catalog by the environment's language (LANGUAGE,
LC_ALL, LANG), so a zh_CN catalog would still show English on a server whose locale is C or en_US.
``install_catalog()`` instead binds those names in click's modules to the catalog below, once, before any command
is declared (click translates some words, such as ``文件`` in a path type, when the type is built).

``ChineseGroup``, the root group's class, then names the option in an error as the user spelled it
(``-o`` or ``--output``, not ``'-o' / '--output'``) and words a missing option in Chinese.
"""

from __future__ import annotations

import gettext
import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

#: Click's message ids and their Chinese. The ids are click's own text (an upgrade that adds or
#: rewords one fails tests/api/test_cli_messages.py, which names it). Keys of a format stay as they are.
CATALOG: dict[str, str] = {
    # usage errors (click.exceptions, click.parser, click.core)
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "查看帮助：{command} {option}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "未知选项：{name}",
    "No such command {name!r}.": "未知命令：{name}",
    "Missing command.": "缺少子命令。",
    "Option {name!r} does not take a value.": "选项 {name} 不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name} 需要 {nargs} 个值。",
    "Value must be an iterable.": "应为多个值。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "unknown error": "未知错误",
    "Aborted!": "已中止。",
    # parameter types (click.types)
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{filename!r} 是文件，此处应为{name}。",
    "{name} {filename!r} is a directory.": "{filename!r} 是目录，此处应为{name}。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "{value} is not in the range {range}.": "{value} 超出范围 {range}。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值（可用：{states}）",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "Choose from:\n\t{choices}": "可选值：{choices}",
    # help pages (click.core, click.formatting, click.decorators)
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "提示：命令 {name} 已弃用。{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "提示：{param_type} {name} 已弃用。{extra_message}"
    ),
    # prompts and terminal helpers (click.termui, click.decorators, click._termui_impl)
    "Do you want to continue?": "确定继续吗？",
    "Confirm the action without prompting.": "不经询问直接确认。",
    "Repeat for confirmation": "请再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
    "d": "天",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
    "Windows error: {error}": "Windows 错误：{error}",
    "Couldn't detect Bash version, shell completion is not supported.": "无法识别 Bash 版本，不支持命令补全。",
    "Shell completion is not supported for Bash versions older than 4.4.": "Bash 4.4 以下版本不支持命令补全。",
}

#: Click's singular/plural message pairs; Chinese has one form for both, or two where the count reads so.
PLURALS: dict[str, tuple[str, str]] = {
    "Did you mean {possibility}?": ("（是否要用 {possibility}？）", "（是否要用以下之一：{possibilities}？）"),
    "Got unexpected extra argument ({args})": ("多余的参数：{args}", "多余的参数：{args}"),
    "Takes {nargs} values but 1 was given.": ("需要 {nargs} 个值，只给了 1 个。", "需要 {nargs} 个值，给了 {len} 个。"),
    "Option {name!r} requires an argument.": ("选项 {name} 需要一个值。", "选项 {name} 需要 {nargs} 个值。"),
    "{value!r} is not {choice}.": ("{value!r} 不是可选值 {choice}。", "{value!r} 不在可选值之中：{choices}。"),
    "{value!r} does not match the format {format}.": (
        "{value!r} 不符合格式 {format}。",
        "{value!r} 不符合以下任一格式：{formats}。",
    ),
    "{len_type} values are required, but {len_value} was given.": (
        "需要 {len_type} 个值，给了 {len_value} 个。",
        "需要 {len_type} 个值，给了 {len_value} 个。",
    ),
}

#: Words click fills into a message untranslated (a type's or a parameter kind's English name).
TERMS: dict[str, dict[str, str]] = {
    "number_type": {"integer": "整数", "integer range": "整数", "float": "数", "float range": "数"},
    "param_type": {"option": "选项", "argument": "参数", "parameter": "参数"},
}


class _Template(str):
    """A translated message whose ``format`` also translates the English words click fills in."""

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:
        for key, words in TERMS.items():
            if isinstance(kwargs.get(key), str):
                kwargs[key] = words.get(kwargs[key], kwargs[key])
        return str.format(self, *args, **kwargs)


def translate(message: str) -> str:
    found = CATALOG.get(message)
    return message if found is None else _Template(found)


def translate_plural(singular: str, plural: str, n: int) -> str:
    forms = PLURALS.get(singular)
    if forms is None:
        return singular if n == 1 else plural
    return _Template(forms[0] if n == 1 else forms[1])


def install_catalog() -> None:
    """Bind click's message functions to the Chinese catalog (idempotent; before commands are declared)."""
    for lazy in ("click._termui_impl", "click.shell_completion"):  # click imports these when first needed
        importlib.import_module(lazy)

    for name, module in list(sys.modules.items()):
        if name != "click" and not name.startswith("click."):
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = translate  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = translate_plural  # type: ignore[attr-defined]


# -- the root group: the option as typed, a missing option in Chinese ---------------------------------

_ARGV = "leian.argv"


def spelling(param: click.Parameter, argv: Sequence[str]) -> str | None:
    """How the user wrote this option on the command line (the last time: click keeps the last value)."""
    names = [*param.opts, *param.secondary_opts]
    found = None
    for token in argv:
        if token == "--":
            break
        for name in names:
            long_with_value = name.startswith("--") and token.startswith(name + "=")
            short_with_value = len(name) == 2 and not token.startswith("--") and token.startswith(name)
            if token == name or long_with_value or short_with_value:
                found = name
    return found


def param_name(param: click.Parameter, argv: Sequence[str]) -> str:
    if isinstance(param, click.Option):
        return spelling(param, argv) or " / ".join(param.opts)
    return param.human_readable_name


def in_chinese(exc: click.UsageError, argv: Sequence[str]) -> click.UsageError:
    """The error to show: its parameter named as the user wrote it, a missing one worded in Chinese, close
    matches of an unknown option or command listed the Chinese way."""
    possibilities = getattr(exc, "possibilities", None)  # NoSuchOption, NoSuchCommand
    if possibilities:
        return click.UsageError(f"{exc.message}（是否要用：{'、'.join(possibilities)}）", exc.ctx)
    if not isinstance(exc, click.BadParameter) or exc.param is None or exc.param_hint is not None:
        return exc
    name = param_name(exc.param, argv)
    if isinstance(exc, click.MissingParameter):
        kind = "选项" if isinstance(exc.param, click.Option) else "参数"
        message = f"缺少{kind} {name}"
        if isinstance(exc.param.type, click.Choice):
            message += f"（可选值：{'、'.join(map(str, exc.param.type.choices))}）"
        if exc.message:
            message += f"：{exc.message}"
        return click.UsageError(message, exc.ctx)
    exc.param_hint = name
    return exc


class ChineseGroup(click.Group):
    """The root group: click's errors reach the user with the option as typed (see ``in_chinese``)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        argv = list(args)  # parsing consumes the list
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise in_chinese(exc, argv) from None
        ctx.meta[_ARGV] = argv
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise in_chinese(exc, ctx.meta.get(_ARGV, ())) from None
