"""`leian litigation refer / handover / show / referrals / act / checklist / aid-request / aid-decide`:
the 诉访分离 hand-over (kb/zhengfa) on the command line, beside `detect / list / step` (api/cli/workflow.py)."""

from __future__ import annotations

from typing import Any

import click

from api.cli.common import ACTOR_OPTION, friendly_errors, open_service, resolve_actor
from api.cli.output import emit_json, emit_table, json_option
from kb.zhengfa.rules import AID_DECISIONS, BY_ACTION, CHECKLIST, STATUS_LABELS


def _show_referrals(rows: list[dict[str, Any]]) -> None:
    emit_table(
        ["移交", "案件", "登记编号", "接收单位", "状态", "反馈期限", "逾期"],
        [[f"#{r['id']}", f"#{r['case_id']}", r["external_no"], r["unit"], r["status_label"], r["feedback_due"],
          f"{r['overdue_days']} 天" if r["overdue"] else ""] for r in rows],
    )  # fmt: skip


@click.command("refer")
@click.argument("case_ids", type=int, nargs=-1, required=True)
@click.option("--unit", required=True, help="接收的政法单位（如 广州市中级人民法院、省人民检察院、省公安厅、省司法厅）")
@click.option("--note", help="移交说明")
@click.option("--days", "feedback_days", type=int, help="反馈期限（天，默认 LEIAN_LITIGATION_FEEDBACK_DAYS=30）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def refer(
    ctx: click.Context, case_ids: tuple[int, ...], unit: str, note: str | None, feedback_days: int | None,
    username: str | None, as_json: bool,
) -> None:  # fmt: skip
    """移交政法单位（多件案件即并案移交，一条移交记录），政法委督办。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        done = service.handover.refer(list(case_ids), unit=unit, note=note, feedback_days=feedback_days, actor=actor)
    if as_json:
        emit_json(done)
        return
    click.echo(f"移交记录 #{done['id']}：{len(done['case_ids'])} 件移交{done['unit']}，反馈期限 {done['feedback_due']}")
    _show_referrals(done["referrals"])


@click.command("handover")
@click.argument("group_id", type=int)
@click.option("--unit", required=True, help="接收的政法单位")
@click.option("--note", help="移交说明")
@click.option("--days", "feedback_days", type=int, help="反馈期限（天）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def handover(
    ctx: click.Context, group_id: int, unit: str, note: str | None, feedback_days: int | None,
    username: str | None, as_json: bool,
) -> None:  # fmt: skip
    """并案：把一个类案组（涉众群体）中尚未移交的涉法涉诉案件一次移交。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        done = service.handover.refer_group(group_id, unit=unit, note=note, feedback_days=feedback_days, actor=actor)
    if as_json:
        emit_json(done)
        return
    click.echo(f"移交记录 #{done['id']}：类案组 {group_id} 的 {len(done['case_ids'])} 件移交{done['unit']}")
    _show_referrals(done["referrals"])


@click.command("referrals")
@click.option("--unit", help="接收单位")
@click.option("--status", type=click.Choice(list(STATUS_LABELS)))
@click.option("--overdue", is_flag=True, help="只列反馈逾期的")
@click.option("--limit", default=100, show_default=True)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def referrals(
    ctx: click.Context, unit: str | None, status: str | None, overdue: bool, limit: int, username: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """诉访分离移交列表（按权限范围）。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        rows = service.handover.referrals(unit=unit, status=status, overdue=overdue, limit=limit, actor=actor)
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("没有符合条件的移交")
    else:
        _show_referrals(rows)


def _show_dossier(d: dict[str, Any]) -> None:
    click.echo(f"案件 #{d['case_id']} {d['external_no']}：{d['track_status_label']}")
    for r in d["referrals"]:
        click.echo(f"移交 #{r['id']} → {r['unit']}（{r['status_label']}，反馈期限 {r['feedback_due']}）")
        for s in r["steps"]:
            click.echo(f"  {s['at']} {s['label']} {s['actor']}（{s['actor_unit'] or '省级'}）{s['text'] or ''}")
    for c in d["checklist"]:
        state = (
            "不适用"
            if c["applies"] is False
            else "已到位"
            if c["done"]
            else "未填写"
            if c["applies"] is None
            else "未到位"
        )
        click.echo(f"三到位一处理 · {c['label']}：{state}")
    for a in d["judicial_aid"]:
        click.echo(f"司法救助 #{a['id']}：申请 {a['amount']:.2f} 元，{a['decision_label']}"
                   + (f" {a['decided_amount']:.2f} 元" if a["decided_amount"] is not None else ""))  # fmt: skip


@click.command("show")
@click.argument("case_id", type=int)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def show(ctx: click.Context, case_id: int, username: str | None, as_json: bool) -> None:
    """案件的诉访分离档案：移交、核查纠错化解退回步骤、三到位一处理、司法救助。"""
    with open_service(ctx, open_index=False) as service:
        d = service.handover.dossier(case_id, resolve_actor(service, username))
    emit_json(d) if as_json else _show_dossier(d)


@click.command("act")
@click.argument("referral_id", type=int)
@click.argument("action", type=click.Choice(list(BY_ACTION)))
@click.option("--text", required=True, help="核查情况、纠错内容、化解情况、退回理由或终结意见")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def act(ctx: click.Context, referral_id: int, action: str, text: str, username: str | None, as_json: bool) -> None:
    """接收单位记录一步：check 核查、correct 纠错、resolve 化解、return 退回、conclude 依法终结。"""
    with open_service(ctx, open_index=False) as service:
        d = service.handover.step(referral_id, action, text, resolve_actor(service, username))
    emit_json(d) if as_json else _show_dossier(d)


ITEM_HELP = "清单项:状态，状态为 done（到位）、todo（未到位）或 na（不适用）；项为 " + "、".join(CHECKLIST)


@click.command("checklist")
@click.argument("case_id", type=int)
@click.option("--item", "items", multiple=True, required=True, help=ITEM_HELP)
@click.option("--note", help="说明（对本次填写的每一项）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def checklist(
    ctx: click.Context, case_id: int, items: tuple[str, ...], note: str | None, username: str | None, as_json: bool
) -> None:
    """填写三到位一处理清单（接收单位），如 --item unreasonable:done --item illegal:na。"""
    states = {"done": (True, True), "todo": (True, False), "na": (False, False)}
    parsed = []
    for raw in items:
        key, _, state = raw.partition(":")
        if state not in states:
            raise click.BadParameter(f"{raw}：状态应为 done、todo 或 na", param_hint="--item")
        applies, done = states[state]
        parsed.append({"item": key, "applies": applies, "done": done, "note": note})
    with open_service(ctx, open_index=False) as service:
        d = service.handover.record_checklist(case_id, parsed, resolve_actor(service, username))
    emit_json(d) if as_json else _show_dossier(d)


@click.command("aid-request")
@click.argument("case_id", type=int)
@click.option("--applicant", required=True, help="申请人")
@click.option("--amount", type=float, required=True, help="申请金额（元）")
@click.option("--reason", help="申请理由")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def aid_request(
    ctx: click.Context, case_id: int, applicant: str, amount: float, reason: str | None, username: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """登记司法救助申请（接收单位）。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        d = service.handover.request_aid(case_id, applicant=applicant, amount=amount, reason=reason, actor=actor)
    emit_json(d) if as_json else _show_dossier(d)


@click.command("aid-decide")
@click.argument("aid_id", type=int)
@click.argument("decision", type=click.Choice(list(AID_DECISIONS)))
@click.option("--amount", type=float, help="决定金额（元）；部分救助必填")
@click.option("--note", help="决定说明")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def aid_decide(
    ctx: click.Context, aid_id: int, decision: str, amount: float | None, note: str | None, username: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """司法救助决定：granted 予以救助、partly 部分救助、refused 不予救助。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        d = service.handover.decide_aid(aid_id, decision=decision, amount=amount, note=note, actor=actor)
    emit_json(d) if as_json else _show_dossier(d)


COMMANDS: tuple[click.Command, ...] = (refer, handover, referrals, show, act, checklist, aid_request, aid_decide)
