"""`leian campaigns`: 积案化解攻坚 campaigns, their lists, letters, weekly notices and visits.

The same service methods as ``/api/campaigns``, acting as ``--as USER`` (default: the system
administrator); rates are those of kb/workflow/rates.py and every table prints its definitions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from api.cli.common import friendly_errors, open_service, resolve_actor

DATE = click.DateTime(["%Y-%m-%d"])
as_option = click.option("--as", "username", help="以该用户身份操作（按其单位和辖区判断权限；默认 system）")
json_option = click.option("--json", "as_json", is_flag=True, help="输出 JSON")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _definitions(defs: dict[str, str]) -> None:
    click.echo("统计口径：")
    for k, v in defs.items():
        click.echo(f"  {k}：{v}")


@click.group()
def campaigns() -> None:
    """积案化解攻坚活动：清单、进度、责任状、周滚动通报、督查组。"""


@campaigns.command("list")
@as_option
@json_option
@click.pass_context
@friendly_errors
def list_cmd(ctx: click.Context, username: str | None, as_json: bool) -> None:
    """攻坚活动列表。"""
    with open_service(ctx, open_index=False) as service:
        found = service.campaigns.list_all(resolve_actor(service, username))
    if as_json:
        _json([dataclasses.asdict(c) for c in found])
        return
    for c in found:
        click.echo(f"#{c.id} {c.name}（{c.status}，清单 {c.cases} 件，截止 {c.deadline}）")


@campaigns.command("create")
@click.argument("name")
@click.option("--deadline", type=DATE, required=True, help="截止日期")
@click.option("--starts-on", type=DATE, help="开始日期（默认今天）")
@click.option("--resolution-line", type=float, default=0.8, show_default=True, help="化解率通报线")
@click.option("--repeat-line", type=float, default=0.1, show_default=True, help="再次信访率通报线")
@click.option("--description", default="", help="说明")
@as_option
@click.pass_context
@friendly_errors
def create(
    ctx: click.Context,
    name: str,
    deadline: dt.datetime,
    starts_on: dt.datetime | None,
    resolution_line: float,
    repeat_line: float,
    description: str,
    username: str | None,
) -> None:
    """新建攻坚活动。"""
    with open_service(ctx, open_index=False) as service:
        c = service.campaigns.create(
            name,
            deadline.date().isoformat(),
            description=description,
            starts_on=starts_on.date().isoformat() if starts_on else None,
            resolution_line=resolution_line,
            repeat_line=repeat_line,
            actor=resolve_actor(service, username),
        )
    click.echo(f"已新建攻坚活动 #{c.id}：{c.name}")


@campaigns.command("add")
@click.argument("campaign_id", type=int)
@click.argument("case_ids", type=int, nargs=-1, required=True)
@as_option
@click.pass_context
@friendly_errors
def add(ctx: click.Context, campaign_id: int, case_ids: tuple[int, ...], username: str | None) -> None:
    """把案件（按案件编号）列入清单。"""
    with open_service(ctx, open_index=False) as service:
        n = service.campaigns.add_cases(campaign_id, list(case_ids), resolve_actor(service, username))
    click.echo(f"已列入 {n} 件")


@campaigns.command("import")
@click.argument("campaign_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@as_option
@click.pass_context
@friendly_errors
def import_cmd(ctx: click.Context, campaign_id: int, path: Path, username: str | None) -> None:
    """导入交办清单（CSV / XLSX：登记编号，可选属地、责任部门、牵头单位、化解期限）；有错则整批不导入。"""
    with open_service(ctx, open_index=False) as service:
        n = service.campaigns.import_list(campaign_id, path.read_bytes(), path.name, resolve_actor(service, username))
    click.echo(f"已导入 {n} 件")


@campaigns.command("progress")
@click.argument("campaign_id", type=int)
@click.option("--as-of", type=DATE, help="统计日（默认今天）")
@as_option
@json_option
@click.pass_context
@friendly_errors
def progress(
    ctx: click.Context, campaign_id: int, as_of: dt.datetime | None, username: str | None, as_json: bool
) -> None:
    """各牵头单位进度。"""
    with open_service(ctx, open_index=False) as service:
        data = service.campaigns.progress(
            campaign_id, as_of.date() if as_of else None, resolve_actor(service, username)
        )
    if as_json:
        _json(data)
        return
    click.echo(f"统计日 {data['as_of']}{'（已冻结）' if data['frozen'] else ''}")
    for u in [*data["units"], data["total"]]:
        unranked = "" if u["ranked"] or u["unit"] == "合计" else "（不排名）"
        click.echo(
            f"  {u['unit']}：列入 {u['listed']}，已化解 {u['resolved']}，化解率 {_pct(u['resolution_rate'])}，"
            f"再次信访率 {_pct(u['repeat_rate'])}，逾期未化解 {u['overdue']}{unranked}"
        )
    _definitions(data["definitions"])


@campaigns.command("close")
@click.argument("campaign_id", type=int)
@as_option
@click.pass_context
@friendly_errors
def close(ctx: click.Context, campaign_id: int, username: str | None) -> None:
    """结束活动并冻结各单位数字。"""
    with open_service(ctx, open_index=False) as service:
        c = service.campaigns.close(campaign_id, resolve_actor(service, username))
    click.echo(f"攻坚活动 #{c.id} 已结束，数字已冻结")


@campaigns.command("letters")
@click.argument("campaign_id", type=int)
@click.option("--sign", "unit", help="登记（或更新）该单位的责任状")
@click.option("--resolution-target", type=float, help="化解率目标")
@click.option("--repeat-target", type=float, help="再次信访率上限")
@click.option("--deadline", type=DATE, help="完成时限")
@click.option("--signed-on", type=DATE, help="签订日期")
@click.option("--signatory", help="签订人")
@click.option("--export", "out", type=click.Path(dir_okay=False, path_type=Path), help="导出完成情况 XLSX 到此文件")
@as_option
@json_option
@click.pass_context
@friendly_errors
def letters(
    ctx: click.Context,
    campaign_id: int,
    unit: str | None,
    resolution_target: float | None,
    repeat_target: float | None,
    deadline: dt.datetime | None,
    signed_on: dt.datetime | None,
    signatory: str | None,
    out: Path | None,
    username: str | None,
    as_json: bool,
) -> None:
    """责任状：列表与完成情况；--sign 登记；--export 导出。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        if unit:
            if None in (resolution_target, repeat_target, deadline, signed_on, signatory):
                raise click.UsageError(
                    "登记责任状需要 --resolution-target --repeat-target --deadline --signed-on --signatory"
                )
            assert deadline and signed_on and resolution_target is not None and repeat_target is not None
            service.campaigns.sign_letter(
                campaign_id,
                unit,
                resolution_target=resolution_target,
                repeat_target=repeat_target,
                deadline=deadline.date().isoformat(),
                signed_on=signed_on.date().isoformat(),
                signatory=signatory or "",
                actor=actor,
            )
            click.echo(f"已登记 {unit} 的责任状")
        if out:
            out.write_bytes(service.campaigns.letters_xlsx(campaign_id, actor=actor))
            click.echo(f"已导出 {out}")
            return
        rows = service.campaigns.letters(campaign_id, actor=actor)
        defs = service.campaigns.definitions()
    if as_json:
        _json(rows)
        return
    for r in rows:
        met = "，达标" if r["resolution_met"] else f"，尚差 {r['gap_cases']} 件"
        click.echo(
            f"  {r['unit']}（{r['signed_on']} {r['signatory']}）：目标化解率 {_pct(r['resolution_target'])}，"
            f"当前 {_pct(r['resolution_rate'])}{met}"
        )
    _definitions(defs)


@campaigns.command("notice")
@click.argument("campaign_id", type=int)
@click.argument("week_end", type=DATE)
@click.option("--issue", is_flag=True, help="印发并存档（之后不再改变）")
@click.option("--docx", "out", type=click.Path(dir_okay=False, path_type=Path), help="另存为 Word 文档")
@as_option
@json_option
@click.pass_context
@friendly_errors
def notice(
    ctx: click.Context,
    campaign_id: int,
    week_end: dt.datetime,
    issue: bool,
    out: Path | None,
    username: str | None,
    as_json: bool,
) -> None:
    """某周的周滚动通报（Markdown）；未印发的为预览。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        content = service.campaigns.notice(campaign_id, week_end.date(), issue=issue, actor=actor)
        if out:
            out.write_bytes(service.campaigns.notice_docx(campaign_id, week_end.date(), actor))
    if as_json:
        _json(content)
    else:
        click.echo(content["markdown"])
    if out:
        click.echo(f"已保存 {out}", err=True)


@campaigns.command("notices")
@click.argument("campaign_id", type=int)
@as_option
@click.pass_context
@friendly_errors
def notices(ctx: click.Context, campaign_id: int, username: str | None) -> None:
    """已印发的通报。"""
    with open_service(ctx, open_index=False) as service:
        found = service.campaigns.notices(campaign_id, resolve_actor(service, username))
    for n in found:
        click.echo(
            f"  {n['week_end']}（{n['issued_at'][:10]} {n['issued_by']}）：{'、'.join(n['units']) or '无上榜单位'}"
        )


@campaigns.command("reply")
@click.argument("campaign_id", type=int)
@click.argument("week_end", type=DATE)
@click.option("--unit", required=True, help="上榜单位")
@click.option("--text", required=True, help="整改回复")
@as_option
@click.pass_context
@friendly_errors
def reply(
    ctx: click.Context, campaign_id: int, week_end: dt.datetime, unit: str, text: str, username: str | None
) -> None:
    """上榜单位提交整改回复（下期通报列出）。"""
    with open_service(ctx, open_index=False) as service:
        service.campaigns.reply(campaign_id, week_end.date(), unit, text, resolve_actor(service, username))
    click.echo("已提交整改回复")


@campaigns.command("visit")
@click.argument("campaign_id", type=int)
@click.option("--team", required=True, help="督查组")
@click.option("--unit", "units", multiple=True, required=True, help="被督查单位（可多次）")
@click.option("--findings", required=True, help="发现的问题与要求")
@click.option("--starts-on", type=DATE, required=True)
@click.option("--ends-on", type=DATE, required=True)
@as_option
@click.pass_context
@friendly_errors
def visit(
    ctx: click.Context,
    campaign_id: int,
    team: str,
    units: tuple[str, ...],
    findings: str,
    starts_on: dt.datetime,
    ends_on: dt.datetime,
    username: str | None,
) -> None:
    """登记督查组。"""
    with open_service(ctx, open_index=False) as service:
        v = service.campaigns.add_visit(
            campaign_id,
            team=team,
            units=list(units),
            findings=findings,
            starts_on=starts_on.date().isoformat(),
            ends_on=ends_on.date().isoformat(),
            actor=resolve_actor(service, username),
        )
    click.echo(f"已登记督查组 #{v['id']}：{v['team']}（{'、'.join(v['units'])}）")
