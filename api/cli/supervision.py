"""`leian remind / reminders / orders / evaluate / followup / petitioner / link / unlink`.

催办 and 督办单, 满意度评价 and 回访, the petitioner view and manual repeat links: the same service
methods as the HTTP API, acting as ``--as USER`` (default: the system administrator).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, is_dataclass
from typing import Any

import click

from api.cli.common import friendly_errors, open_service
from kb.errors import NotFoundError
from kb.privacy import mask_name, mask_personal
from kb.users import SYSTEM, Principal

DATE = click.DateTime(["%Y-%m-%d"])
as_option = click.option("--as", "username", help="以该用户身份操作（记录操作人、按其单位和辖区判断权限；默认 system）")
json_option = click.option("--json", "as_json", is_flag=True, help="输出 JSON")


def _actor(service: Any, username: str | None) -> Principal:
    if not username:
        return SYSTEM
    principal: Principal | None = service.users.by_username(username)
    if principal is None:
        raise NotFoundError(f"用户 {username} 不存在")
    return principal


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        data = asdict(value)
        for name in ("status_label", "overdue", "may_evaluate", "review_hint"):
            if hasattr(value, name):
                data[name] = getattr(value, name)
        return data
    return value


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_plain))


# -- 催办 --------------------------------------------------------------------------------------------------
@click.command()
@click.argument("case_id", type=int)
@click.option("--unit", required=True, help="被催办单位")
@click.option("--text", required=True, help="催办内容")
@as_option
@click.pass_context
@friendly_errors
def remind(ctx: click.Context, case_id: int, unit: str, text: str, username: str | None) -> None:
    """催办：提醒某单位办理此案（被催办单位在系统内回复）。"""
    with open_service(ctx, open_index=False) as service:
        r = service.supervision.remind(case_id, unit=unit, text=text, actor=_actor(service, username))
    click.echo(f"已催办 #{r.id}：{r.unit}（案件 {r.case}）")


@click.group()
def reminders() -> None:
    """催办：列表与回复。"""


@reminders.command("list")
@click.option("--direction", type=click.Choice(["received", "issued"]), help="received 收到的 / issued 发出的")
@click.option("--status", type=click.Choice(["pending", "replied"]), help="pending 待回复 / replied 已回复")
@click.option("--case", "case_id", type=int, help="只看此案")
@as_option
@json_option
@click.pass_context
@friendly_errors
def reminders_list(
    ctx: click.Context,
    direction: str | None,
    status: str | None,
    case_id: int | None,
    username: str | None,
    as_json: bool,
) -> None:
    """列出本单位收到或发出的催办。"""
    with open_service(ctx, open_index=False) as service:
        found = service.supervision.reminders(
            case_id=case_id, direction=direction, status=status, actor=_actor(service, username)
        )
    if as_json:
        _print_json(found)
        return
    for r in found:
        click.echo(f"#{r.id} {r.status_label} {r.issued_at} {r.issued_by} → {r.unit}：{r.text}（案件 {r.case}）")


@reminders.command("reply")
@click.argument("reminder_id", type=int)
@click.option("--text", required=True, help="回复内容")
@as_option
@click.pass_context
@friendly_errors
def reminders_reply(ctx: click.Context, reminder_id: int, text: str, username: str | None) -> None:
    """回复催办（须为被催办单位的账号，用 --as 指定）。"""
    with open_service(ctx, open_index=False) as service:
        r = service.supervision.reply_reminder(reminder_id, text, actor=_actor(service, username))
    click.echo(f"催办 #{r.id} 已回复（{r.replied_by} {r.replied_at}）")


# -- 督办单 ------------------------------------------------------------------------------------------------
@click.group()
def orders() -> None:
    """督办单：下发、列表与回复。"""


@orders.command("list")
@click.option("--status", type=click.Choice(["pending", "replied", "overdue"]), help="待回复 / 已回复 / 逾期未回复")
@click.option("--unit", help="督办对象单位")
@click.option("--case", "case_id", type=int, help="只看此案")
@click.option("--direction", type=click.Choice(["received", "issued"]), help="received 收到的 / issued 发出的")
@as_option
@json_option
@click.pass_context
@friendly_errors
def orders_list(
    ctx: click.Context,
    status: str | None,
    unit: str | None,
    case_id: int | None,
    direction: str | None,
    username: str | None,
    as_json: bool,
) -> None:
    """列出督办单（状态按当日计算）。"""
    with open_service(ctx, open_index=False) as service:
        found = service.supervision.orders(
            status=status, unit=unit, case_id=case_id, direction=direction, actor=_actor(service, username)
        )
    if as_json:
        _print_json(found)
        return
    for o in found:
        click.echo(f"#{o.id} {o.status_label} 期限 {o.deadline} → {o.unit}：{o.requirement}（案件 {o.case}）")


@orders.command("issue")
@click.argument("case_id", type=int)
@click.option("--unit", required=True, help="督办对象单位")
@click.option("--requirement", required=True, help="督办要求")
@click.option("--deadline", type=DATE, required=True, help="回复期限 YYYY-MM-DD（须晚于今天）")
@as_option
@click.pass_context
@friendly_errors
def orders_issue(
    ctx: click.Context, case_id: int, unit: str, requirement: str, deadline: dt.datetime, username: str | None
) -> None:
    """下发督办单（督查督办人员或省级账号）。"""
    with open_service(ctx, open_index=False) as service:
        o = service.supervision.issue_order(
            case_id, unit=unit, requirement=requirement, deadline=deadline.date(), actor=_actor(service, username)
        )
    click.echo(f"已下发督办单 #{o.id}：{o.unit}，回复期限 {o.deadline}（案件 {o.case}）")


@orders.command("reply")
@click.argument("order_id", type=int)
@click.option("--text", required=True, help="回复内容")
@as_option
@click.pass_context
@friendly_errors
def orders_reply(ctx: click.Context, order_id: int, text: str, username: str | None) -> None:
    """回复督办单（须为督办对象单位的账号，用 --as 指定）。"""
    with open_service(ctx, open_index=False) as service:
        o = service.supervision.reply_order(order_id, text, actor=_actor(service, username))
    late = "（逾期回复）" if o.replied_late else ""
    click.echo(f"督办单 #{o.id} 已回复{late}（{o.replied_by} {o.replied_at}）")


# -- 满意度评价 / 回访 ---------------------------------------------------------------------------------------
@click.command()
@click.argument("case_id", type=int)
@click.argument(
    "rating", type=click.Choice(["满意", "基本满意", "不满意", "satisfied", "basically_satisfied", "unsatisfied"])
)
@click.option("--note", help="说明")
@as_option
@click.pass_context
@friendly_errors
def evaluate(ctx: click.Context, case_id: int, rating: str, note: str | None, username: str | None) -> None:
    """录入信访人对最近一次答复的满意度评价（每次答复一次）。"""
    with open_service(ctx, open_index=False) as service:
        state = service.evaluations.evaluate(case_id, rating, note, actor=_actor(service, username))
    current = state.current or {}
    click.echo(f"案件 {case_id}：{current.get('rating_label', '')}")
    if state.review_hint:
        click.echo(state.review_hint)


@click.command()
@click.argument("case_id", type=int)
@click.option("--method", required=True, type=click.Choice(["phone", "visit", "sms", "电话", "上门", "短信"]))
@click.option("--note", help="回访情况")
@as_option
@click.pass_context
@friendly_errors
def followup(ctx: click.Context, case_id: int, method: str, note: str | None, username: str | None) -> None:
    """录入回访记录（电话 / 上门 / 短信）。"""
    with open_service(ctx, open_index=False) as service:
        state = service.evaluations.follow_up(case_id, method, note, actor=_actor(service, username))
    last = state.followups[-1]
    click.echo(f"案件 {case_id}：已记录{last['method_label']}回访（{last['recorded_at']}）")


# -- 信访人视图 / 人工关联 -------------------------------------------------------------------------------------
@click.command()
@click.argument("key")
@as_option
@json_option
@click.pass_context
@friendly_errors
def petitioner(ctx: click.Context, key: str, username: str | None, as_json: bool) -> None:
    """信访人视图：该信访人（匿名键或其前 8 位）在辖区内的全部案件、关联与结果（脱敏）。"""
    with open_service(ctx, open_index=False) as service:
        view = service.petitioners.view(key, actor=_actor(service, username))
    rows: list[dict[str, Any]] = []
    for item in view.cases:
        c = item.case
        names = [c.petitioner_name]
        rows.append(
            {
                "id": c.id,
                "external_no": c.external_no,
                "title": mask_personal(c.title, names),
                "received_date": c.received_date,
                "city": c.city,
                "status": c.status,
                "stage": c.values().get("stage"),
                "origin": c.values().get("origin"),
                "resolved_date": c.resolved_date,
                "rating": item.rating_label,
                "flags": item.flags,
                "links": [f"{link['label']} ← #{link['other_id']} {link['other_external_no']}" for link in item.links],
            }
        )
    summary = {
        "petitioner_ref": view.petitioner_ref,
        "petitioner_name": mask_name(view.petitioner_name),
        "case_count": view.case_count,
        "repeat_count": view.repeat_count,
        "first_date": view.first_date,
        "last_date": view.last_date,
    }
    if as_json:
        _print_json(summary | {"cases": rows, "link_history": view.link_history})
        return
    click.echo(
        f"信访人 {summary['petitioner_name'] or ''}（{view.petitioner_ref}）：{view.case_count} 件，"
        f"重复信访 {view.repeat_count} 件，{view.first_date} 至 {view.last_date}"
    )
    for r in rows:
        extra = "；".join([*r["flags"], *r["links"]])
        click.echo(f"#{r['id']} {r['external_no']} {r['received_date']} {r['city'] or ''} {r['title']} {extra}")


@click.command()
@click.argument("case_id", type=int)
@click.argument("other_id", type=int)
@click.option("--note", help="关联说明")
@as_option
@click.pass_context
@friendly_errors
def link(ctx: click.Context, case_id: int, other_id: int, note: str | None, username: str | None) -> None:
    """人工关联重复信访：较晚一件记为较早一件的重复（自动识别不会覆盖）。"""
    with open_service(ctx, open_index=False) as service:
        found = service.petitioners.link(case_id, other_id, note, actor=_actor(service, username))
    for r in found["links"]:
        click.echo(
            f"#{case_id} {r['label']}{'（人工）' if r['manual'] else ''} ← #{r['other_id']} {r['other_external_no']}"
        )


@click.command()
@click.argument("case_id", type=int)
@click.argument("other_id", type=int)
@click.option("--reason", help="解除原因")
@as_option
@click.pass_context
@friendly_errors
def unlink(ctx: click.Context, case_id: int, other_id: int, reason: str | None, username: str | None) -> None:
    """解除两案之间的关联（此后自动识别不再关联这两件）。"""
    with open_service(ctx, open_index=False) as service:
        service.petitioners.unlink(case_id, other_id, reason, actor=_actor(service, username))
    click.echo(f"已解除案件 {case_id} 与案件 {other_id} 的关联")


COMMANDS: tuple[click.Command, ...] = (remind, reminders, orders, evaluate, followup, petitioner, link, unlink)
