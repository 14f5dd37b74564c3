"""`leian users`: create users (the first admin included) and issue API tokens."""

from __future__ import annotations

import click

from api.cli.common import friendly_errors, open_service
from kb.scope import KIND_LABELS
from kb.users import PERMISSIONS, ROLE_LABELS


@click.group()
def users() -> None:
    """用户与令牌管理（首个管理员用 `leian users create admin --role admin` 创建）。"""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(sorted(PERMISSIONS)), required=True, help="角色")
@click.option("--unit", help="所属单位（如 广州市、省交通运输厅、省委政法委）")
@click.option(
    "--scope",
    "scope_kind",
    type=click.Choice(list(KIND_LABELS)),
    help="权限范围：province 全省、city 本地市、cities 多个地市（督查片区）、department 本部门、zhengfa 涉法涉诉；"
    "不填时列了 --cities 为 cities，否则为 province",
)
@click.option("--cities", "cities", multiple=True, help="cities 范围内的地市（可重复，或用逗号分隔）")
@click.option("--name", "display_name", default="", help="显示名称")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="网页登录密码")
@click.pass_context
@friendly_errors
def create(
    ctx: click.Context,
    username: str,
    role: str,
    unit: str | None,
    scope_kind: str | None,
    cities: tuple[str, ...],
    display_name: str,
    password: str,
) -> None:
    """创建用户（绑定单位与权限范围）并签发一个 API 令牌（令牌只显示这一次）。"""
    listed = [c.strip() for item in cities for c in item.replace("，", ",").split(",") if c.strip()]
    with open_service(ctx, open_index=False) as service:
        principal, token = service.users.create(
            username, role, password, unit=unit, scope=scope_kind, cities=listed, display_name=display_name
        )
    click.echo(f"已创建用户 {principal.username}（{ROLE_LABELS[role]}，权限范围：{principal.scope.label}）")
    click.echo(f"API 令牌：{token}")


@users.command("token")
@click.argument("username")
@click.option("--label", default="cli", help="令牌用途说明")
@click.pass_context
@friendly_errors
def token(ctx: click.Context, username: str, label: str) -> None:
    """为已有用户签发新的 API 令牌。"""
    with open_service(ctx, open_index=False) as service:
        click.echo(service.users.issue_token(username, label))
