"""`leian users`: create users (the first admin included) and issue API tokens."""

from __future__ import annotations

import click

from api.cli.common import friendly_errors, open_service
from kb.users import PERMISSIONS, ROLE_LABELS


@click.group()
def users() -> None:
    """用户与令牌管理（首个管理员用 `leian users create admin --role admin` 创建）。"""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(sorted(PERMISSIONS)), required=True, help="角色")
@click.option("--city", help="绑定地市（不填为全省）")
@click.option("--name", "display_name", default="", help="显示名称")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="网页登录密码（至少 8 位）")
@click.pass_context
@friendly_errors
def create(ctx: click.Context, username: str, role: str, city: str | None, display_name: str, password: str) -> None:
    """创建用户并签发一个 API 令牌（令牌只显示这一次）。"""
    with open_service(ctx, open_index=False) as service:
        principal, token = service.users.create(username, role, password, city, display_name)
    click.echo(f"已创建用户 {principal.username}（{ROLE_LABELS[role]}，{city or '全省'}）")
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
