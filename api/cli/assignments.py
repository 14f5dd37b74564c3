"""`leian assign …`, `leian queue`, `leian workload`, `leian inbox`: dual assignment, signing, handlers, queues.

``--as USER`` acts as that account (its unit and scope decide, as over HTTP); without it the command
acts as the system (the provincial level), which may assign but signs for no unit.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from api.cli.common import friendly_errors, open_service
from kb.errors import NotFoundError
from kb.service import LeianService
from kb.users import SYSTEM, Principal
from kb.workflow.assignments import Assignment

AS_OPTION = click.option("--as", "as_user", metavar="USER", help="以该账号身份操作（按其单位与权限范围）")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="输出 JSON")


def _actor(service: LeianService, username: str | None) -> Principal:
    if username is None:
        return SYSTEM
    found = service.users.by_username(username)
    if found is None:
        raise NotFoundError(f"用户 {username} 不存在")
    return found


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _line(a: Assignment) -> str:
    state = a.status_label if a.active else f"已结束 {a.ended_at}（{a.end_reason or '重新交办'}）"
    lead = " 主责" if a.lead else ""
    handler = f" 经办人 {a.handler}" if a.handler else ""
    answer = a.outcome_text or a.guidance
    tail = f" 答复：{answer}" if answer else (f" 退回理由：{a.return_reason}" if a.return_reason else "")
    return (
        f"[{a.id}] {a.kind_label} {a.unit}{lead} {state} 签收期限 {a.sign_due or '—'} "
        f"交办 {a.assigning_level}/{a.assigned_by} {a.assigned_at}{handler}{tail}"
    )


class _AssignGroup(click.Group):
    """`leian assign CASE_ID --locality …` (the 交办 itself) keeps working beside the subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["case", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_AssignGroup)
def assign() -> None:
    """双向交办：交办（leian assign 案件号 --locality … --department …）、签收、退回、答复、移交经办人。"""


@assign.command("case")
@click.argument("case_id", type=int)
@click.option("--locality", help="属地（地市或区县）")
@click.option("--department", "departments", multiple=True, help="行业部门，可重复")
@click.option("--lead", help="主责单位（多个部门时必填）")
@click.option("--note", help="备注")
@AS_OPTION
@click.pass_context
@friendly_errors
def assign_case(
    ctx: click.Context,
    case_id: int,
    locality: str | None,
    departments: tuple[str, ...],
    lead: str | None,
    note: str | None,
    as_user: str | None,
) -> None:
    """交办：指定属地和行业部门（多个部门时指定主责单位），记录交办历史。"""
    with open_service(ctx, open_index=False) as service:
        rows = service.assignments.assign(
            case_id,
            locality=locality,
            departments=list(departments),
            lead=lead,
            note=note,
            actor=_actor(service, as_user),
        )
    for a in rows:
        click.echo(_line(a))


@assign.command("sign")
@click.argument("assignment_id", type=int)
@AS_OPTION
@click.pass_context
@friendly_errors
def sign(ctx: click.Context, assignment_id: int, as_user: str | None) -> None:
    """签收交办（须为被交办单位的账号；签收人默认为本单位经办人）。"""
    with open_service(ctx, open_index=False) as service:
        click.echo(_line(service.assignments.sign(assignment_id, _actor(service, as_user))))


@assign.command("return")
@click.argument("assignment_id", type=int)
@click.option("--reason", required=True, help="退回理由")
@AS_OPTION
@click.pass_context
@friendly_errors
def return_(ctx: click.Context, assignment_id: int, reason: str, as_user: str | None) -> None:
    """退回交办（须说明理由），回到交办单位重新交办。"""
    with open_service(ctx, open_index=False) as service:
        click.echo(_line(service.assignments.return_assignment(assignment_id, reason, _actor(service, as_user))))


@assign.command("answer")
@click.argument("assignment_id", type=int)
@click.option("--text", required=True, help="属地：化解情况；行业部门：指导意见")
@click.option("--resolved/--unresolved", default=None, help="属地答复：是否已化解")
@AS_OPTION
@click.pass_context
@friendly_errors
def answer(ctx: click.Context, assignment_id: int, text: str, resolved: bool | None, as_user: str | None) -> None:
    """答复交办：属地填写化解情况（--resolved / --unresolved），行业部门填写指导意见。"""
    with open_service(ctx, open_index=False) as service:
        click.echo(_line(service.assignments.answer(assignment_id, text, resolved, _actor(service, as_user))))


@assign.command("handler")
@click.argument("case_id", type=int)
@click.argument("username")
@click.option("--unit", help="经办单位（默认本账号所属单位）")
@AS_OPTION
@click.pass_context
@friendly_errors
def handler(ctx: click.Context, case_id: int, username: str, unit: str | None, as_user: str | None) -> None:
    """移交经办人：交给本单位的另一名经办人。"""
    with open_service(ctx, open_index=False) as service:
        found = service.assignments.set_handler(case_id, username, unit, _actor(service, as_user))
    for h in found:
        click.echo(f"{h.unit}：{h.username}（自 {h.since}，{h.by} 指定）")


@assign.command("history")
@click.argument("case_id", type=int)
@AS_OPTION
@JSON_OPTION
@click.pass_context
@friendly_errors
def history(ctx: click.Context, case_id: int, as_user: str | None, as_json: bool) -> None:
    """案件的交办及办理记录：交办、签收、退回、答复、经办人变更（谁、何时）。"""
    with open_service(ctx, open_index=False) as service:
        actor = _actor(service, as_user)
        rows, events = service.assignments.history(case_id, actor), service.assignments.events(case_id, actor)
    if as_json:
        _echo_json({"assignments": [asdict(a) for a in rows], "history": [asdict(e) for e in events]})
        return
    for a in rows:
        click.echo(_line(a))
    for e in events:
        click.echo(f"  {e.at} {e.actor_unit or '省级'}/{e.actor} {e.action_label} {e.unit or ''} {e.detail or ''}")


@click.command()
@AS_OPTION
@JSON_OPTION
@click.pass_context
@friendly_errors
def queue(ctx: click.Context, as_user: str | None, as_json: bool) -> None:
    """我的待办：待签收、待办、即将超期、已超期。"""
    with open_service(ctx, open_index=False) as service:
        found = service.assignments.queue(_actor(service, as_user))
    if as_json:
        _echo_json(asdict(found) | {"counts": found.counts})
        return
    labels = {"pending_sign": "待签收", "todo": "待办", "near_due": "即将超期", "overdue": "已超期"}
    for name, label in labels.items():
        items = getattr(found, name)
        click.echo(f"{label}（{len(items)}）")
        for q in items:
            click.echo(f"  #{q.case_id} {q.external_no} {q.unit} {q.deadline_label} {q.deadline or '—'} {q.title}")


@click.command()
@click.option("--by", type=click.Choice(["unit", "user"]), default="unit", show_default=True)
@AS_OPTION
@JSON_OPTION
@click.pass_context
@friendly_errors
def workload(ctx: click.Context, by: str, as_user: str | None, as_json: bool) -> None:
    """工作量：按单位（交办、签收、退回、答复、超期）或按经办人（在办、超期）。"""
    with open_service(ctx, open_index=False) as service:
        found = service.assignments.workload(by, _actor(service, as_user))
    if as_json:
        _echo_json(asdict(found))
        return
    for u in found.units:
        click.echo(
            f"{u.unit}（{u.kind_label}）现行 {u.active} 待签收 {u.pending_sign} 已签收 {u.signed} 退回 {u.returned} "
            f"已答复 {u.answered} 超期未签收 {u.sign_overdue} 在办 {u.open_cases} 超期 {u.overdue}"
        )
    for p in found.users:
        click.echo(f"{p.username}（{p.unit}）在办 {p.open_cases} 即将超期 {p.near_due} 已超期 {p.overdue}")


@click.command()
@AS_OPTION
@JSON_OPTION
@click.option("--unread", is_flag=True, help="只看未读")
@click.option("--mark-read", is_flag=True, help="将列出的事项标记为已读")
@click.pass_context
@friendly_errors
def inbox(ctx: click.Context, as_user: str | None, as_json: bool, unread: bool, mark_read: bool) -> None:
    """收件箱：待签收、交办被退回、即将超期、已超期（及催办、督办）事项。"""
    with open_service(ctx, open_index=False) as service:
        actor = _actor(service, as_user)
        items = service.inbox.items(actor, unread_only=unread)
        if mark_read and items:
            service.inbox.mark_read(actor, [i.key for i in items])
        summary = service.inbox.summary(actor)
    if as_json:
        _echo_json({"summary": asdict(summary), "items": [asdict(i) for i in items]})
        return
    click.echo(f"未读 {summary.unread} / 共 {summary.total}")
    for i in items:
        mark = " " if i.read else "●"
        due = f" 期限 {i.due}" if i.due else ""
        click.echo(f"{mark} [{i.kind_label}] #{i.case_id} {i.title} {i.unit or ''}{due} {i.detail}  ({i.key})")


COMMANDS: tuple[click.Command, ...] = (assign, queue, workload, inbox)
