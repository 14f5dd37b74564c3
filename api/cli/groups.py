"""`leian groups`: discover homogeneous case groups, inspect them, edit them, handle them in batch.

Every command acts as ``--as USER`` or the OS user (edits record who) and takes ``--json``.
"""

from __future__ import annotations

from typing import Any

import click

from api.cli.common import ACTOR_OPTION, friendly_errors, open_service
from api.cli.common import resolve_actor as _actor
from api.cli.output import emit_json, emit_record, emit_table, empty_result, json_option, percent
from kb.fields import STATUS_LABELS, Status

user_option = ACTOR_OPTION


def _status_counts(statuses: dict[str, int]) -> str:
    labels = {s.value: STATUS_LABELS[s] for s in Status}
    return "，".join(f"{labels.get(k, k)} {n}" for k, n in statuses.items()) or "无"


def _group_json(g: Any) -> Any:
    from api.schemas.groups import GroupOut

    return GroupOut.of(g)


def _done(as_json: bool, group: Any, message: str) -> None:
    """An edit's result: the group as JSON, or one line."""
    if as_json:
        emit_json(_group_json(group))
    else:
        click.echo(message)


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
@json_option
@click.pass_context
@friendly_errors
def discover(
    ctx: click.Context,
    mode: str,
    threshold: float | None,
    min_size: int | None,
    max_fit: int | None,
    username: str | None,
    as_json: bool,
) -> None:
    """发现类案组。

    auto（默认）：已有类案组时增量发现（现有组保留仍相符的成员，只对未归组、新增和偏离的案件聚类），
    否则全量；full 全量重新发现（按成员重合保留组编号和人工调整）；pool 只在未归组和近期案件中找新组。
    """
    chosen = (("threshold", threshold), ("min_size", min_size), ("max_fit", max_fit))
    params: dict[str, Any] = {k: v for k, v in chosen if v is not None}
    # Discovery reads stored vectors and tokens page by page, never the search index: not loading it
    # keeps its memory (the IVF-SQ8 index is ~570 MB at 1,000,000 cases) out of the run's peak.
    with open_service(ctx, open_index=False) as service:
        r = service.groups.discover(_actor(service, username), mode, **params)
    if as_json:
        emit_json(r)
        return
    click.echo(
        f"第 {r.run_id} 次发现（{r.mode}）：参与 {r.cases} 件，现有 {r.groups} 个组，未归组 {r.unassigned} 件；"
        f"保留 {len(r.kept)}、新建 {len(r.new)}、拆分 {len(r.split)}、合并 {len(r.merged)}、撤销 {len(r.retired)}"
    )


@groups.command("list")
@click.option("--all", "include_retired", is_flag=True, help="包括已合并/撤销的组")
@user_option
@json_option
@click.pass_context
@friendly_errors
def list_(ctx: click.Context, include_retired: bool, username: str | None, as_json: bool) -> None:
    """列出类案组（按规模）。"""
    with open_service(ctx, open_index=False) as service:
        found = service.groups.list_groups(_actor(service, username), include_retired)
    if as_json:
        emit_json([_group_json(g) for g in found])
        return
    if not found:
        click.echo(empty_result("类案组", qualifier="") + "（可先运行 leian groups discover）")
        return
    states = {"active": "", "merged": "已合并", "retired": "已撤销"}
    batches = {"handling": "批量处理中", "decided": "已决定"}
    rows = [
        [
            f"#{g.id}", g.size, g.name, "是" if g.locked else "", batches.get(g.batch_status or "", g.batch_status),
            states.get(g.state, g.state), "、".join(g.keywords[:6]),
        ]
        for g in found
    ]  # fmt: skip
    emit_table(["组", "件数", "名称", "锁定", "批量处理", "状态", "关键词"], rows)


@groups.command()
@click.argument("group_id", type=int)
@user_option
@json_option
@click.pass_context
@friendly_errors
def show(ctx: click.Context, group_id: int, username: str | None, as_json: bool) -> None:
    """查看类案组画像：关键词、地市/部门分布、时间跨度、重复信访占比、代表案件。"""
    from api.schemas.groups import GroupProfileOut

    with open_service(ctx, open_index=False) as service:
        p = GroupProfileOut.of(service.groups.profile(group_id, _actor(service, username)))
    if as_json:
        emit_json(p)
        return
    g = p.group
    click.echo(f"#{g.id} {g.name}")
    emit_record(
        [
            ("件数", p.size),
            ("时间跨度", f"{p.date_from} 至 {p.date_to}" if p.date_from else None),
            ("关键词", "、".join(p.keywords)),
            ("地市", "，".join(f"{c.name} {c.count}" for c in p.cities)),
            ("部门", "，".join(f"{d.name} {d.count}" for d in p.departments)),
            ("问题类别", "，".join(f"{c.name} {c.count}" for c in p.categories)),
            ("办理状态", _status_counts(p.statuses)),
            ("重复信访占比", percent(p.repeat_share)),
            ("涉法涉诉占比", percent(p.litigation_share)),
            ("锁定", "是" if g.locked else "否"),
            ("主责单位", g.lead_department),
            ("建议主责单位", p.suggested_lead.name if p.suggested_lead else None),
        ]
    )
    if p.representatives:
        emit_table(
            ["代表案件", "登记编号", "地市", "标题"],
            [[f"#{c.id}", c.external_no, c.city, c.title] for c in p.representatives],
        )


@groups.command()
@click.argument("group_id", type=int)
@click.argument("name")
@user_option
@json_option
@click.pass_context
@friendly_errors
def rename(ctx: click.Context, group_id: int, name: str, username: str | None, as_json: bool) -> None:
    """重命名类案组。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.rename(group_id, name, _actor(service, username))
    _done(as_json, g, f"已重命名：#{g.id} {g.name}")


@groups.command()
@click.argument("target_id", type=int)
@click.argument("source_ids", type=int, nargs=-1, required=True)
@user_option
@json_option
@click.pass_context
@friendly_errors
def merge(ctx: click.Context, target_id: int, source_ids: tuple[int, ...], username: str | None, as_json: bool) -> None:
    """把 SOURCE_IDS 并入 TARGET_ID。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.merge(target_id, list(source_ids), _actor(service, username))
    _done(as_json, g, f"已合并：#{g.id} {g.name}，现有 {g.size} 件")


@groups.command()
@click.argument("group_id", type=int)
@click.argument("case_ids", type=int, nargs=-1, required=True)
@click.option("--name", required=True, help="新组名称")
@user_option
@json_option
@click.pass_context
@friendly_errors
def split(
    ctx: click.Context, group_id: int, case_ids: tuple[int, ...], name: str, username: str | None, as_json: bool
) -> None:
    """把所选案件（内部编号）从 GROUP_ID 拆分为新组。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.split(group_id, list(case_ids), name, _actor(service, username))
    _done(as_json, g, f"已拆分出新组：#{g.id} {g.name}（{g.size} 件）")


@groups.command()
@click.argument("case_id", type=int)
@click.argument("group_id", type=int, required=False)
@user_option
@json_option
@click.pass_context
@friendly_errors
def move(ctx: click.Context, case_id: int, group_id: int | None, username: str | None, as_json: bool) -> None:
    """把一件案件移入指定类案组；不给 GROUP_ID 则移回未归组池（重新发现后保留）。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.move(case_id, group_id, _actor(service, username))
    if group_id is None:
        _done(as_json, g, f"案件 #{case_id} 已从 #{g.id} {g.name} 移回未归组池")
    else:
        _done(as_json, g, f"案件 #{case_id} 已移入 #{g.id} {g.name}")


@groups.command()
@click.argument("group_id", type=int)
@click.option("--unlock", is_flag=True, help="解除锁定")
@user_option
@json_option
@click.pass_context
@friendly_errors
def lock(ctx: click.Context, group_id: int, unlock: bool, username: str | None, as_json: bool) -> None:
    """锁定类案组：重新发现不再改动其成员和名称。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.lock(group_id, not unlock, _actor(service, username))
    _done(as_json, g, f"#{g.id} {'已锁定' if g.locked else '已解锁'}")


@groups.command()
@click.argument("group_id", type=int)
@click.option("--lead", "lead_department", required=True, help="主责单位")
@click.option("--policy", "policy_note", required=True, help="政策意见")
@user_option
@json_option
@click.pass_context
@friendly_errors
def batch(
    ctx: click.Context, group_id: int, lead_department: str, policy_note: str, username: str | None, as_json: bool
) -> None:
    """启动批量处理（同时锁定该组）。"""
    with open_service(ctx, open_index=False) as service:
        g = service.groups.start_batch(group_id, lead_department, policy_note, _actor(service, username))
    _done(as_json, g, f"#{g.id} 进入批量处理，主责单位：{g.lead_department}")


@groups.command()
@click.argument("group_id", type=int)
@click.option("--decision", required=True, help="批量决定内容")
@click.option("--status", type=click.Choice(["in_progress", "resolved", "unresolved", "closed"]), required=True)
@click.option(
    "--leave",
    "leave_alone",
    multiple=True,
    type=click.Choice(["pending", "in_progress", "resolved", "unresolved", "closed"]),
    help="保留不变的当前状态，可多次（如 --leave closed --leave unresolved）",
)
@click.option("--reply", help="给每件案件信访人的答复（默认同决定内容）")
@click.option("--yes", "apply", is_flag=True, help="确认应用（不加时只显示预览）")
@user_option
@json_option
@click.pass_context
@friendly_errors
def decide(
    ctx: click.Context,
    group_id: int,
    decision: str,
    status: str,
    leave_alone: tuple[str, ...],
    reply: str | None,
    apply: bool,
    username: str | None,
    as_json: bool,
) -> None:
    """批量决定：先预览将变更的案件；加 --yes 应用恰好这些案件（同一事务，逐案记录答复）。"""
    with open_service(ctx, open_index=False) as service:
        actor = _actor(service, username)
        seen = service.groups.preview(group_id, status, list(leave_alone), actor)
        if not apply:
            if as_json:
                emit_json(seen)
                return
            click.echo(seen.message)
            click.echo("确认无误后加 --yes 应用。")
            return
        out = service.groups.decide(
            group_id, decision, status, actor, token=seen.token, reply=reply, leave_alone=list(leave_alone)
        )
    if as_json:
        emit_json(out)
        return
    click.echo(f"批量决定 #{out['decision_id']}：{out['message']}")


@click.group("special-groups")
def special_groups() -> None:
    """专项小组：牵头单位、成员单位、政策文件与所辖类案组。"""


@special_groups.command("list")
@user_option
@json_option
@click.pass_context
@friendly_errors
def special_list(ctx: click.Context, username: str | None, as_json: bool) -> None:
    """列出专项小组。"""
    with open_service(ctx, open_index=False) as service:
        found = service.special_groups.list(_actor(service, username))
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo("暂无专项小组（可用 leian special-groups create 成立）")
        return
    emit_table(
        ["编号", "名称", "牵头单位", "成员单位", "政策文件", "类案组", "案件", "后加入", "状态"],
        [
            [
                f"#{x.id}",
                x.name,
                x.lead_unit,
                "、".join(x.member_units),
                f"{x.policy_title or ''} {x.policy_number or ''}".strip(),
                "、".join(f"#{g['id']}" for g in x.groups),
                x.cases,
                x.late,
                x.status_label,
            ]
            for x in found
        ],
    )


@special_groups.command("create")
@click.option("--name", required=True)
@click.option("--lead", "lead_unit", required=True, help="牵头单位")
@click.option("--member", "member_units", multiple=True, help="成员单位，可多次")
@click.option("--policy-title", required=True, help="政策文件标题")
@click.option("--policy-number", help="文号")
@click.option("--policy-date", help="成文日期 YYYY-MM-DD")
@click.option("--policy-text", help="政策文件内容")
@click.option("--group", "group_ids", type=int, multiple=True, required=True, help="所辖类案组，可多次")
@user_option
@json_option
@click.pass_context
@friendly_errors
def special_create(
    ctx: click.Context,
    name: str,
    lead_unit: str,
    member_units: tuple[str, ...],
    policy_title: str,
    policy_number: str | None,
    policy_date: str | None,
    policy_text: str | None,
    group_ids: tuple[int, ...],
    username: str | None,
    as_json: bool,
) -> None:
    """成立专项小组。"""
    with open_service(ctx, open_index=False) as service:
        made = service.special_groups.create(
            name=name,
            lead_unit=lead_unit,
            member_units=list(member_units),
            policy={"title": policy_title, "number": policy_number, "date": policy_date, "text": policy_text},
            group_ids=list(group_ids),
            actor=_actor(service, username),
        )
    if as_json:
        emit_json(made)
        return
    click.echo(f"已成立专项小组 #{made.id}：{made.name}，牵头单位 {made.lead_unit}，{made.cases} 件案件")


@special_groups.command("batch")
@click.argument("special_id", type=int)
@click.argument("group_id", type=int)
@user_option
@json_option
@click.pass_context
@friendly_errors
def special_batch(ctx: click.Context, special_id: int, group_id: int, username: str | None, as_json: bool) -> None:
    """以专项小组的牵头单位和政策文件启动类案组的批量处理。"""
    with open_service(ctx, open_index=False) as service:
        g = service.special_groups.start_batch(special_id, group_id, _actor(service, username))
    _done(as_json, g, f"#{g.id} 进入批量处理，主责单位：{g.lead_department}")
