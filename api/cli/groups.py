"""`leian groups`: discover homogeneous case groups, inspect them, edit them, handle them in batch."""

from __future__ import annotations

import json
from typing import Any

import click

from api.cli.common import friendly_errors, open_service
from kb.users import SYSTEM, Principal


def _actor(service: Any, username: str | None) -> Principal:
    """Act as a named user (so edits record who) or, by default, as the system administrator."""
    if not username:
        return SYSTEM
    principal: Principal | None = service.users.by_username(username)
    if principal is None:
        from kb.errors import NotFoundError

        raise NotFoundError(f"用户 {username} 不存在")
    return principal


user_option = click.option("--as", "username", help="以该用户身份操作（记录操作人；默认 system）")


@click.group()
def groups() -> None:
    """同质化类案：发现、查看、人工调整与批量处理。"""


@groups.command()
@click.option("--mode", type=click.Choice(["auto", "incremental", "full", "pool"]), default="auto", show_default=True)
@click.option("--threshold", type=float, help="粒度：组内平均相似度下限（越大组越细）")
@click.option("--min-size", type=int, help="最小组规模，更小的簇进入未归组池")
@click.option(
    "--max-fit", type=click.IntRange(min=1), help="超过该案件数时在随机样本上聚类，其余按最近组归入（默认 100000）"
)
@user_option
@click.pass_context
@friendly_errors
def discover(
    ctx: click.Context,
    mode: str,
    threshold: float | None,
    min_size: int | None,
    max_fit: int | None,
    username: str | None,
) -> None:
    """发现类案组。

    auto（默认）：已有类案组时增量发现（现有组保留仍相符的成员，只对未归组、新增和偏离的案件聚类），
    否则全量；full 全量重新发现（按成员重合保留组编号和人工调整）；pool 只在未归组和近期案件中找新组。
    """
    chosen = (("threshold", threshold), ("min_size", min_size), ("max_fit", max_fit))
    params: dict[str, Any] = {k: v for k, v in chosen if v is not None}
    with open_service(ctx) as service:
        r = service.groups.discover(_actor(service, username), mode, **params)
    click.echo(
        f"第 {r.run_id} 次发现（{r.mode}）：参与 {r.cases} 件，现有 {r.groups} 个组，未归组 {r.unassigned} 件；"
        f"保留 {len(r.kept)}、新建 {len(r.new)}、拆分 {len(r.split)}、合并 {len(r.merged)}、撤销 {len(r.retired)}"
    )


@groups.command("list")
@click.option("--all", "include_retired", is_flag=True, help="包括已合并/撤销的组")
@user_option
@click.pass_context
@friendly_errors
def list_(ctx: click.Context, include_retired: bool, username: str | None) -> None:
    """列出类案组（按规模）。"""
    with open_service(ctx, open_index=False) as service:
        for g in service.groups.list_groups(_actor(service, username), include_retired):
            flags = ("🔒" if g.locked else "") + (f"[{g.batch_status}]" if g.batch_status else "")
            state = "" if g.state == "active" else f"（{g.state}）"
            click.echo(f"#{g.id:<5} {g.size:>5} 件 {flags}{g.name}{state}  关键词：{'、'.join(g.keywords[:6])}")


@groups.command()
@click.argument("group_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@user_option
@click.pass_context
@friendly_errors
def show(ctx: click.Context, group_id: int, as_json: bool, username: str | None) -> None:
    """查看类案组画像：关键词、地市/部门分布、时间跨度、重复信访占比、代表案件。"""
    from api.schemas.groups import GroupProfileOut

    with open_service(ctx, open_index=False) as service:
        p = GroupProfileOut.of(service.groups.profile(group_id, _actor(service, username)))
    if as_json:
        click.echo(json.dumps(p.model_dump(), ensure_ascii=False, indent=2))
        return
    g = p.group
    click.echo(f"#{g.id} {g.name}（{p.size} 件，{p.date_from} 至 {p.date_to}）")
    click.echo(f"关键词：{'、'.join(p.keywords)}")
    click.echo("地市：" + "，".join(f"{c.name} {c.count}" for c in p.cities))
    click.echo("部门：" + "，".join(f"{d.name} {d.count}" for d in p.departments))
    click.echo(f"重复信访占比：{p.repeat_share:.1%}  状态：{p.statuses}")
    if p.suggested_lead:
        click.echo(f"建议主责单位：{p.suggested_lead.name}")
    for c in p.representatives:
        click.echo(f"  代表案件 #{c.id} {c.external_no} {c.city or ''} {c.title}")


@groups.command()
@click.argument("group_id", type=int)
@click.argument("name")
@user_option
@click.pass_context
@friendly_errors
def rename(ctx: click.Context, group_id: int, name: str, username: str | None) -> None:
    """重命名类案组。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.rename(group_id, name, _actor(service, username))
    click.echo(f"已重命名：#{g.id} {g.name}")


@groups.command()
@click.argument("target_id", type=int)
@click.argument("source_ids", type=int, nargs=-1, required=True)
@user_option
@click.pass_context
@friendly_errors
def merge(ctx: click.Context, target_id: int, source_ids: tuple[int, ...], username: str | None) -> None:
    """把 SOURCE_IDS 并入 TARGET_ID。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.merge(target_id, list(source_ids), _actor(service, username))
    click.echo(f"已合并：#{g.id} {g.name}，现有 {g.size} 件")


@groups.command()
@click.argument("group_id", type=int)
@click.argument("case_ids", type=int, nargs=-1, required=True)
@click.option("--name", required=True, help="新组名称")
@user_option
@click.pass_context
@friendly_errors
def split(ctx: click.Context, group_id: int, case_ids: tuple[int, ...], name: str, username: str | None) -> None:
    """把所选案件（内部编号）从 GROUP_ID 拆分为新组。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.split(group_id, list(case_ids), name, _actor(service, username))
    click.echo(f"已拆分出新组：#{g.id} {g.name}（{g.size} 件）")


@groups.command()
@click.argument("case_id", type=int)
@click.argument("group_id", type=int, required=False)
@user_option
@click.pass_context
@friendly_errors
def move(ctx: click.Context, case_id: int, group_id: int | None, username: str | None) -> None:
    """把一件案件移入指定类案组；不给 GROUP_ID 则移回未归组池（重新发现后保留）。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.move(case_id, group_id, _actor(service, username))
    if group_id is None:
        click.echo(f"案件 #{case_id} 已从 #{g.id} {g.name} 移回未归组池")
    else:
        click.echo(f"案件 #{case_id} 已移入 #{g.id} {g.name}")


@groups.command()
@click.argument("group_id", type=int)
@click.option("--unlock", is_flag=True, help="解除锁定")
@user_option
@click.pass_context
@friendly_errors
def lock(ctx: click.Context, group_id: int, unlock: bool, username: str | None) -> None:
    """锁定类案组：重新发现不再改动其成员和名称。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.lock(group_id, not unlock, _actor(service, username))
    click.echo(f"#{g.id} {'已锁定' if g.locked else '已解锁'}")


@groups.command()
@click.argument("group_id", type=int)
@click.option("--lead", "lead_department", required=True, help="主责单位")
@click.option("--policy", "policy_note", required=True, help="政策意见")
@user_option
@click.pass_context
@friendly_errors
def batch(ctx: click.Context, group_id: int, lead_department: str, policy_note: str, username: str | None) -> None:
    """启动批量处理（同时锁定该组）。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.start_batch(group_id, lead_department, policy_note, _actor(service, username))
    click.echo(f"#{g.id} 进入批量处理，主责单位：{g.lead_department}")


@groups.command()
@click.argument("group_id", type=int)
@click.option("--decision", required=True, help="批量决定内容")
@click.option("--status", type=click.Choice(["in_progress", "resolved", "unresolved", "closed"]), required=True)
@user_option
@click.pass_context
@friendly_errors
def decide(ctx: click.Context, group_id: int, decision: str, status: str, username: str | None) -> None:
    """记录批量决定，并在同一事务中更新全部成员案件的状态。"""
    with open_service(ctx, open_index=False) as service:
        out = service.groups.decide(group_id, decision, status, _actor(service, username))
    click.echo(f"批量决定 #{out['decision_id']} 已应用到 {out['cases']} 件案件（状态 {status}）")
