"""`leian lifecycle show | do`: a case's stage, due date, allowed steps and transitions; one step."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from api.cli.common import friendly_errors, open_service
from kb.workflow.lifecycle import TRANSITIONS
from kb.workflow.lifecycle_service import LifecycleState


def _echo(state: LifecycleState, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(asdict(state), ensure_ascii=False, indent=2))
        return
    due = "无"
    if state.due_date:
        mark = "（已超期）" if state.overdue else "（即将超期）" if state.near_due else ""
        due = f"{state.due_kind_label} {state.due_date}{mark}{'，已延期' if state.extended else ''}"
    click.echo(f"案件 {state.case_id}：{state.stage_label}；期限：{due}")
    if state.request_until:
        click.echo(f"申请期限：信访人可在 {state.request_until} 前提出申请")
    steps = "、".join(f"{s.label}（{s.action}）" for s in state.allowed) or "无"
    click.echo(f"可执行：{steps}")
    for m in state.transitions:
        extra = "；".join(p for p in (m.reason and f"理由：{m.reason}", m.approver and f"批准人：{m.approver}") if p)
        unit = f"（{m.actor_unit}）" if m.actor_unit else ""
        due_after = f" 期限 {m.due_date_after}" if m.due_date_after else ""
        click.echo(f"  {m.at}  {m.label:<8} → {m.to_stage_label}  {m.actor}{unit}{due_after}  {extra}".rstrip())


@click.group()
def lifecycle() -> None:
    """办理流程与时限：登记、受理、延期、答复、复查、复核、终结。"""


@lifecycle.command("show")
@click.argument("case_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
@friendly_errors
def show(ctx: click.Context, case_id: int, as_json: bool) -> None:
    """查看案件的办理阶段、期限、可执行步骤和办理记录。"""
    with open_service(ctx, open_index=False) as service:
        state = service.lifecycle.state(case_id)
    _echo(state, as_json)


@lifecycle.command("do")
@click.argument("case_id", type=int)
@click.argument("action", type=click.Choice([t.action for t in TRANSITIONS]))
@click.option("--reason", help="理由（延期、复查/复核申请必填）")
@click.option("--text", help="文书内容（不予受理告知书、答复意见书、复查/复核意见书）")
@click.option(
    "--text-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="从 UTF-8 文件读取文书内容"
)
@click.option("--approver", help="批准人（延期必填）")
@click.option("--days", type=click.IntRange(min=1), help="延期天数（默认且最多 LEIAN_EXTENSION_DAYS）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
@friendly_errors
def do(
    ctx: click.Context,
    case_id: int,
    action: str,
    reason: str | None,
    text: str | None,
    text_file: Path | None,
    approver: str | None,
    days: int | None,
    as_json: bool,
) -> None:
    """执行一个办理步骤（时间取服务器时间）；当前不允许的步骤会被拒绝并列出可执行的步骤。"""
    if text_file is not None:
        if text:
            raise click.UsageError("--text 与 --text-file 只能二选一")
        text = text_file.read_text(encoding="utf-8")
    with open_service(ctx, open_index=False) as service:
        state = service.lifecycle.transition(case_id, action, reason=reason, text=text, approver=approver, days=days)
    _echo(state, as_json)
