"""`leian route / report / packages / repeats / litigation`: the petition-workflow commands.

Assignment, signing, queues and the inbox: ``api/cli/assignments.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import click

from api.cli.common import friendly_errors, open_service
from kb.workflow import exports
from kb.workflow.litigation import STATUSES, detect
from kb.workflow.reports import Report

DATE = click.DateTime(["%Y-%m-%d"])


def _date(value: Any) -> dt.date | None:
    return value.date() if value else None


def _plain(value: Any) -> Any:
    """JSON for what json does not know: records (dataclasses) as their fields, the rest as text."""
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else str(value)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_plain))


@click.command()
@click.argument("text", required=False)
@click.option("--case", "case_id", type=int, help="为已登记案件（内部编号）给出建议")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
@friendly_errors
def route(ctx: click.Context, text: str | None, case_id: int | None, as_json: bool) -> None:
    """智能分拣：建议责任部门和属地，给出置信度与前三备选。"""
    with open_service(ctx) as service:
        found = service.workflow.suggest(text=text, case_id=case_id)
    if as_json:
        _print_json({k: asdict(s) | {"message": s.message} for k, s in found.items()})
        return
    for name, label in (("department", "责任部门"), ("city", "属地")):
        s = found[name]
        alts = "、".join(f"{v}（{p:.0%}）" for v, p in s.alternatives) or "无"
        click.echo(f"{label}：{s.message}；备选：{alts}；依据：{s.basis}")


@click.group()
def report() -> None:
    """督查督办报表：时段报表与周滚动报表，可导出 CSV / XLSX / PNG。"""


def _emit(rep: Report, fmt: str, output: Path | None) -> None:
    if fmt == "text":
        click.echo(rep.title)
        click.echo("  ".join(exports.header(rep)))
        for row in [*rep.rows, rep.total]:
            click.echo("  ".join(str(c) for c in exports.cells(row)))
        for name in ("按期受理率", "按期办结率"):
            click.echo(f"{name}：{rep.definitions[name]}")
        return
    data = {"csv": exports.to_csv, "xlsx": exports.to_xlsx, "png": exports.trend_png}[fmt](rep)
    target = output or Path(f"report-{rep.date_to}.{fmt}")
    target.write_bytes(data)
    click.echo(f"已导出：{target}")


@report.command("weekly")
@click.option("--by", "group_by", type=click.Choice(["department", "city"]), default="department", show_default=True)
@click.option("--week-end", type=DATE, help="周截止日（默认最近受理日期）")
@click.option("--city", help="只统计某地市")
@click.option("--weeks", default=8, show_default=True, help="趋势图周数")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "xlsx", "png"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="导出文件")
@click.pass_context
@friendly_errors
def weekly(
    ctx: click.Context, group_by: str, week_end: Any, city: str | None, weeks: int, fmt: str, output: Path | None
) -> None:
    """周滚动报表：本周与上周对比，化解率最低的单位标记为“排名靠后”。"""
    with open_service(ctx, open_index=False) as service:
        rep = service.workflow.weekly_report(group_by, _date(week_end), city, weeks)
    _emit(rep, fmt, output)


@report.command("period")
@click.option("--from", "date_from", type=DATE, required=True)
@click.option("--to", "date_to", type=DATE, required=True)
@click.option("--by", "group_by", type=click.Choice(["department", "city"]), default="department", show_default=True)
@click.option("--city", help="只统计某地市")
@click.option("--backlog-days", default=60, show_default=True, help="超过多少天未办结计为积案")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "xlsx"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="导出文件")
@click.pass_context
@friendly_errors
def period(
    ctx: click.Context,
    date_from: Any,
    date_to: Any,
    group_by: str,
    city: str | None,
    backlog_days: int,
    fmt: str,
    output: Path | None,
) -> None:
    """任意时段报表：受理、化解、化解率、再次信访率、积案。"""
    with open_service(ctx, open_index=False) as service:
        rep = service.workflow.period_report(group_by, _date(date_from), _date(date_to), city, backlog_days)  # type: ignore[arg-type]
    _emit(rep, fmt, output)


@click.group()
def packages() -> None:
    """领导包案：挑选疑难积案、指定包案领导、查看进展。"""


@packages.command("candidates")
@click.option("--domain", help="领域（问题类别或责任部门）")
@click.option("--limit", default=20, show_default=True)
@click.pass_context
@friendly_errors
def candidates(ctx: click.Context, domain: str | None, limit: int) -> None:
    """列出疑难积案候选（长期未结、重复信访、跨部门）。"""
    with open_service(ctx, open_index=False) as service:
        found = service.workflow.package_candidates(domain, None, limit)
    for c in found:
        click.echo(
            f"#{c.case_id} {c.external_no} {c.city or ''} {c.department or ''} [{c.score}] {'；'.join(c.reasons)}"
        )


@packages.command("create")
@click.option("--leader", required=True, help="包案领导")
@click.option("--department", required=True, help="包案部门")
@click.option("--domain", help="领域（问题类别或责任部门）")
@click.option("--case", "case_ids", type=int, multiple=True, help="指定案件（不填则自动挑选）")
@click.option("--limit", default=10, show_default=True)
@click.pass_context
@friendly_errors
def create(
    ctx: click.Context, leader: str, department: str, domain: str | None, case_ids: tuple[int, ...], limit: int
) -> None:
    """创建包案：指定案件，或按领域自动挑选最疑难的积案。"""
    with open_service(ctx, open_index=False) as service:
        made = service.workflow.create_package(
            leader=leader, department=department, domain=domain, case_ids=list(case_ids), limit=limit
        )
    click.echo(f"已创建包案 {made.id}：{made.leader}（{made.department}），{made.total} 件")


@packages.command("show")
@click.argument("package_id", type=int, required=False)
@click.pass_context
@friendly_errors
def show(ctx: click.Context, package_id: int | None) -> None:
    """包案进展（不带编号时列出全部包案）。"""
    with open_service(ctx, open_index=False) as service:
        found = [service.workflow.package_progress(package_id)] if package_id else service.workflow.package_list()
    for p in found:
        click.echo(
            f"包案 {p.id} {p.leader}（{p.department}）{p.domain or ''}：{p.concluded}/{p.total} 已办结 {p.by_status}"
        )


@click.group()
def repeats() -> None:
    """重复信访：列表、单案详情、对存量数据重新检测。"""


@repeats.command("list")
@click.option("--kind", type=click.Choice(["repeat", "exact", "joint"]))
@click.option("--limit", default=50, show_default=True)
@click.pass_context
@friendly_errors
def repeat_list(ctx: click.Context, kind: str | None, limit: int) -> None:
    """列出重复信访（repeat）、重复提交（exact）、疑似联名（joint）。"""
    with open_service(ctx, open_index=False) as service:
        rows = service.workflow.repeat_list(kind, limit)
    for r in rows:
        extra = f" 第 {r['repeat_count'] + 1} 次" if r["kind"] == "repeat" else ""
        click.echo(
            f"#{r['case_id']} {r['external_no']} {r['label']}{extra} ← #{r['other_id']} {r['other_external_no']}"
        )


@repeats.command("show")
@click.argument("case_id", type=int)
@click.pass_context
@friendly_errors
def repeat_show(ctx: click.Context, case_id: int) -> None:
    """单案的交办、重复信访与诉访分离情况（JSON）。"""
    with open_service(ctx, open_index=False) as service:
        _print_json(service.workflow.case_workflow(case_id))


@repeats.command("scan")
@click.pass_context
@friendly_errors
def repeat_scan(ctx: click.Context) -> None:
    """对全部存量案件重新检测重复信访与涉法涉诉。"""
    with open_service(ctx) as service:
        n = service.workflow.rescan()
    click.echo(f"已检测 {n} 件案件")


@click.group()
def litigation() -> None:
    """诉访分离：识别、列表、移交与办结跟踪。"""


@litigation.command("detect")
@click.argument("text")
def lit_detect(text: str) -> None:
    """对一段信访内容做涉法涉诉识别，显示依据短语。"""
    found = detect(text)
    click.echo(f"{'涉法涉诉' if found.flagged else '未判定为涉法涉诉'}（得分 {found.score}）")
    for e in found.evidence:
        click.echo(f"  [{e['strength']}] {e['rule']}：{e['phrase']}")


@litigation.command("list")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--limit", default=50, show_default=True)
@click.pass_context
@friendly_errors
def lit_list(ctx: click.Context, status: str | None, limit: int) -> None:
    """诉访分离案件列表。"""
    with open_service(ctx, open_index=False) as service:
        rows = service.workflow.litigation_list(status, limit)
    for r in rows:
        click.echo(f"#{r['case_id']} {r['external_no']} {r['city'] or ''} {r['status_label']} 得分 {r['score']}")


@litigation.command("step")
@click.argument("case_id", type=int)
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--note", help="说明（如移交单位、反馈内容）")
@click.pass_context
@friendly_errors
def lit_step(ctx: click.Context, case_id: int, status: str, note: str | None) -> None:
    """推进状态：flagged → handed_over（已移交）→ feedback（已反馈）→ concluded（已办结）；或 dismissed。"""
    with open_service(ctx, open_index=False) as service:
        track = service.workflow.litigation_step(case_id, status, note)
    click.echo(f"案件 {case_id}：{track['status_label']}")
