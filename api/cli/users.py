"""`leian users`: create, list, disable and enable users, issue, list and revoke their tokens.

None of these needs the vector index, so they open the service with ``open_index=False`` (and the
index file is left untouched: tests/kb/test_index_persistence.py). The rules (who may manage whom,
auditing) live in kb/accounts.py; ``--as`` names the acting account as other commands do.
"""

from __future__ import annotations

import click

from api.cli.common import friendly_errors, open_service, resolve_actor
from api.cli.output import emit_json, json_option
from kb.scope import KIND_LABELS
from kb.users import PERMISSIONS, ROLE_LABELS, Account

# Who acts (``--as``): its role and scope decide which accounts it may manage; recorded in the audit log.
ACTOR_OPTION = click.option(
    "--as",
    "actor_name",
    help="以该用户身份操作（按其角色与权限范围检查，并记为操作人）；默认为当前系统用户",
)


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
@click.option("--password", prompt="密码", hide_input=True, confirmation_prompt=True, help="网页登录密码")
@ACTOR_OPTION
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
    actor_name: str | None,
) -> None:
    """创建用户（绑定单位与权限范围）并签发一个 API 令牌（令牌只显示这一次）。"""
    listed = [c.strip() for item in cities for c in item.replace("，", ",").split(",") if c.strip()]
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, actor_name)
        principal, token = service.accounts.create(
            actor, username, role, password, unit=unit, scope=scope_kind, cities=listed, display_name=display_name
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


@users.command("list")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def list_users(ctx: click.Context, actor_name: str | None, as_json: bool) -> None:
    """列出账号（本单位权限范围内）：角色、范围、是否启用、有效令牌与会话数。"""
    with open_service(ctx, open_index=False) as service:
        accounts = service.accounts.list_accounts(resolve_actor(service, actor_name))
    if as_json:
        emit_json([_account_json(a) for a in accounts])
        return
    for a in accounts:
        p = a.principal
        state = "启用" if a.active else "停用"
        role = ROLE_LABELS.get(p.role, p.role)
        click.echo(f"{p.username}\t{role}\t{p.scope.label}\t{state}\t令牌 {a.tokens}\t会话 {a.sessions}")


@users.command("disable")
@click.argument("username")
@ACTOR_OPTION
@click.pass_context
@friendly_errors
def disable(ctx: click.Context, username: str, actor_name: str | None) -> None:
    """停用账号：不能再登录，其全部 API 令牌与网页会话立即失效（记入审计日志）。"""
    with open_service(ctx, open_index=False) as service:
        service.accounts.disable(resolve_actor(service, actor_name), username)
    click.echo(f"已停用用户 {username}（其令牌与会话已全部吊销）")


@users.command("enable")
@click.argument("username")
@ACTOR_OPTION
@click.pass_context
@friendly_errors
def enable(ctx: click.Context, username: str, actor_name: str | None) -> None:
    """重新启用账号（旧令牌仍失效；用 `leian users token` 签发新令牌）。"""
    with open_service(ctx, open_index=False) as service:
        service.accounts.enable(resolve_actor(service, actor_name), username)
    click.echo(f"已启用用户 {username}")


@users.command("tokens")
@click.argument("username")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def tokens(ctx: click.Context, username: str, actor_name: str | None, as_json: bool) -> None:
    """列出账号的 API 令牌与网页会话（只显示哈希前缀，不显示令牌本身）。"""
    with open_service(ctx, open_index=False) as service:
        found = service.accounts.credentials(resolve_actor(service, actor_name), username)
    if as_json:
        emit_json([c.__dict__ for c in found])
        return
    for c in found:
        kind = "API 令牌" if c.kind == "token" else "网页会话"
        state = "有效" if c.active else "已失效"
        click.echo(f"{kind}\t{c.id}\t{c.name}\t创建于 {c.created_at}\t{state}")


@users.command("revoke-tokens")
@click.argument("username")
@click.option(
    "--only", type=click.Choice(["token", "session"]), help="只吊销 API 令牌（token）或网页会话（session）；默认两者"
)
@ACTOR_OPTION
@click.pass_context
@friendly_errors
def revoke_tokens(ctx: click.Context, username: str, only: str | None, actor_name: str | None) -> None:
    """吊销账号的全部 API 令牌与网页会话（立即生效，记入审计日志）。"""
    with open_service(ctx, open_index=False) as service:
        kinds = (only,) if only else ("token", "session")
        counts = service.accounts.revoke_tokens(resolve_actor(service, actor_name), username, kinds)
    click.echo(f"已吊销用户 {username} 的 {counts['tokens']} 个 API 令牌、{counts['sessions']} 个网页会话")


def _account_json(a: Account) -> dict[str, object]:
    p = a.principal
    return {
        "username": p.username,
        "role": p.role,
        "unit": p.unit,
        "scope": p.scope.kind,
        "scope_label": p.scope.label,
        "active": a.active,
        "tokens": a.tokens,
        "sessions": a.sessions,
        "created_at": a.created_at,
    }
