"""`leian route / report / packages / repeats / litigation`: the petition-workflow commands.

Assignment, signing, queues and the inbox: ``api/cli/assignments.py``. Output goes through
``api.cli.output``: tables with headers, ``--json`` on every command, and a "没有…（可选值：…）" line
for an empty result. Writes are attributed to ``--as USER`` or the OS user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from api.cli.common import ACTOR_OPTION, friendly_errors, open_service, resolve_actor, settings_from
from api.cli.output import emit_json, emit_record, emit_table, empty_result, json_option, percent
from kb.fields import STATUS_LABELS, Status
from kb.workflow import exports
from kb.workflow.litigation import STATUSES, detect
from kb.workflow.reports import Report

DATE = click.DateTime(["%Y-%m-%d"])
REPEAT_KINDS = {"repeat": "重复信访", "exact": "重复提交", "joint": "疑似联名"}
TARGET_LABELS = {"department": "责任部门", "city": "属地"}


def _date(value: Any) -> dt.date | None:
    return value.date() if value else None


def _status_label(status: str) -> str:
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return status


@click.command()
@click.argument("text", required=False)
@click.option("--case", "case_id", type=int, help="为已登记案件（内部编号）给出建议")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def route(ctx: click.Context, text: str | None, case_id: int | None, username: str | None, as_json: bool) -> None:
    """智能分拣：建议责任部门和属地，给出置信度与前三备选（置信度低时也列出最可能的单位）。"""
    with open_service(ctx) as service:
        found = service.workflow.suggest(text=text, case_id=case_id, actor=resolve_actor(service, username))
    if as_json:
        emit_json({k: asdict(s) | {"message": s.message} for k, s in found.items()})
        return
    rows = []
    for name, label in TARGET_LABELS.items():
        s = found[name]
        alts = "、".join(f"{v}（{p:.0%}）" for v, p in s.alternatives) or "无"
        confidence = f"{s.confidence:.0%}" + ("（低）" if s.low_confidence and s.value else "")
        rows.append([label, s.value or "无法建议", confidence if s.value else "-", alts, s.basis])
    emit_table(["目标", "建议", "置信度", "备选", "依据"], rows)
    for name, label in TARGET_LABELS.items():
        if found[name].low_confidence:
            click.echo(f"{label}：{found[name].message}")


@click.group()
def report() -> None:
    """督查督办报表：时段报表与周滚动报表，可导出 CSV / XLSX / PNG。"""


def default_export_path(ctx: click.Context, rep: Report, kind: str, fmt: str) -> Path:
    """Where an export goes without ``-o``: the data directory's ``exports/`` folder, never the
    current folder; the name tells city and department workbooks apart."""
    folder = settings_from(ctx).data_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{exports.file_stem(rep, kind)}.{fmt}"


def _emit(ctx: click.Context, rep: Report, kind: str, fmt: str, output: Path | None, as_json: bool) -> None:
    if fmt == "text" and as_json:
        emit_json(rep)
        return
    if fmt == "text":
        emit_table(exports.header(rep), [exports.cells(row) for row in [*rep.rows, rep.total]], title=rep.title)
        click.echo("口径：")  # every rate shown states its definition
        for name, meaning in rep.definitions.items():
            click.echo(f"  {name}：{meaning}")
        return
    data = {"csv": exports.to_csv, "xlsx": exports.to_xlsx, "png": exports.trend_png}[fmt](rep)
    target = output or default_export_path(ctx, rep, kind, fmt)
    target.write_bytes(data)
    if as_json:
        emit_json({"file": str(target), "format": fmt, "title": rep.title})
    else:
        click.echo(f"已导出：{target}")


FORMAT_HELP = "text 在终端显示；csv / xlsx / png 导出文件"
OUTPUT_HELP = "导出文件（默认写入数据目录下的 exports/，文件名含统计口径和日期）"


@report.command("weekly")
@click.option("--by", "group_by", type=click.Choice(["department", "city"]), default="department", show_default=True)
@click.option("--week-end", type=DATE, help="周截止日（默认最近受理日期）")
@click.option("--city", help="只统计某地市")
@click.option("--weeks", default=8, show_default=True, help="趋势图周数")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "csv", "xlsx", "png"]), default="text", show_default=True,
    help=FORMAT_HELP,
)  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help=OUTPUT_HELP)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def weekly(
    ctx: click.Context,
    group_by: str,
    week_end: Any,
    city: str | None,
    weeks: int,
    fmt: str,
    output: Path | None,
    username: str | None,
    as_json: bool,
) -> None:
    """周滚动报表：本周与上周对比（环比以“个百分点”计），化解率最低的单位标记为“排名靠后”。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        rep = service.workflow.weekly_report(group_by, _date(week_end), city, weeks, actor)
    _emit(ctx, rep, "weekly", fmt, output, as_json)


@report.command("period")
@click.option("--from", "date_from", type=DATE, required=True)
@click.option("--to", "date_to", type=DATE, required=True)
@click.option("--by", "group_by", type=click.Choice(["department", "city"]), default="department", show_default=True)
@click.option("--city", help="只统计某地市")
@click.option("--backlog-days", default=60, show_default=True, help="超过多少天未办结计为积案")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "csv", "xlsx"]), default="text", show_default=True, help=FORMAT_HELP
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help=OUTPUT_HELP)
@ACTOR_OPTION
@json_option
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
    username: str | None,
    as_json: bool,
) -> None:
    """任意时段报表：受理、化解、化解率、再次信访率、积案。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        rep = service.workflow.period_report(group_by, date_from.date(), date_to.date(), city, backlog_days, actor)
    _emit(ctx, rep, "period", fmt, output, as_json)


@click.group()
def packages() -> None:
    """领导包案：挑选疑难积案、指定包案领导、查看进展。"""


@packages.command("candidates")
@click.option("--domain", help="领域：问题类别或责任部门（如 拖欠农民工工资、省人力资源社会保障厅）")
@click.option("--leader-id", type=int, help="只列该领导分管领域的案件")
@click.option("--limit", default=20, show_default=True)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def candidates(
    ctx: click.Context, domain: str | None, leader_id: int | None, limit: int, username: str | None, as_json: bool
) -> None:
    """列出疑难积案候选（按未结时长、重复次数、人数、涉法涉诉、超期、跨部门、同类案件数排序）。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        found = service.workflow.package_candidates(domain, None, limit, actor, leader_id)
        if not found and not as_json:
            pool = service.workflow.package_candidates(None, None, 100_000, actor)
            choices = sorted({c.category for c in pool if c.category} | {c.department for c in pool if c.department})
            if domain:
                click.echo(empty_result(f"领域为“{domain}”的包案候选", choices, qualifier=""))
            else:
                click.echo(empty_result("包案候选") + "（长期未结、重复信访或跨部门的未办结案件）")
            return
    if as_json:
        emit_json(found)
        return
    emit_table(
        ["案件", "登记编号", "地市", "责任部门", "问题类别", "未结天数", "得分", "理由"],
        [
            [
                f"#{c.case_id}",
                c.external_no,
                c.city,
                c.department,
                c.category,
                c.open_days,
                c.score,
                "；".join(c.reasons),
            ]
            for c in found
        ],
    )


@packages.command("leaders")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def leaders_cmd(ctx: click.Context, username: str | None, as_json: bool) -> None:
    """领导名册：姓名、职务、单位、分管领域、未办结包案数。"""
    with open_service(ctx, open_index=False) as service:
        found = service.workflow.leaders(resolve_actor(service, username))
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo(empty_result("包案领导", qualifier="") + "（可用 leian packages leader-add 登记）")
        return
    emit_table(
        ["编号", "姓名", "职务", "单位", "分管领域", "未办结包案", "状态"],
        [
            [f"#{x.id}", x.name, x.post, x.unit, "、".join(x.domains), x.open_packages, "在册" if x.active else "停用"]
            for x in found
        ],
    )


@packages.command("leader-add")
@click.option("--name", required=True, help="领导姓名")
@click.option("--post", required=True, help="职务")
@click.option("--unit", required=True, help="所在单位（单位目录名称或别名）")
@click.option("--domain", "domains", multiple=True, required=True, help="分管领域（案件类别），可多次")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def leader_add(
    ctx: click.Context, name: str, post: str, unit: str, domains: tuple[str, ...], username: str | None, as_json: bool
) -> None:
    """登记包案领导。"""
    with open_service(ctx, open_index=False) as service:
        made = service.workflow.register_leader(
            name=name, post=post, unit=unit, domains=list(domains), actor=resolve_actor(service, username)
        )
    if as_json:
        emit_json(made)
        return
    click.echo(f"已登记领导 #{made.id}：{made.name}（{made.unit}{made.post}），分管领域：{'、'.join(made.domains)}")


@packages.command("create")
@click.option("--leader-id", type=int, required=True, help="包案领导（名册编号，见 leian packages leaders）")
@click.option("--case", "case_ids", type=int, multiple=True, help="指定案件（不填则按难度自动挑选）")
@click.option("--limit", default=3, show_default=True, help="自动挑选的案件数")
@click.option("--plan", help="包案方案")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d"]), help="包案期限 YYYY-MM-DD")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def create(
    ctx: click.Context,
    leader_id: int,
    case_ids: tuple[int, ...],
    limit: int,
    plan: str | None,
    deadline: dt.datetime | None,
    username: str | None,
    as_json: bool,
) -> None:
    """创建包案：名册中的领导包案其分管领域的未结案件（每人最多 3 个未办结包案，一案一包）。"""
    with open_service(ctx, open_index=False) as service:
        made = service.workflow.create_package(
            leader_id=leader_id,
            case_ids=list(case_ids),
            limit=limit,
            plan=plan,
            deadline=deadline.date() if deadline else None,
            actor=resolve_actor(service, username),
        )
    if as_json:
        emit_json(made)
        return
    click.echo(f"已创建包案 {made.id}：{made.leader}（{made.department}），{made.total} 件，创建人 {made.created_by}")


@packages.command("milestone")
@click.argument("package_id", type=int)
@click.option("--title", required=True, help="节点名称")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]), required=True, help="计划完成日期")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def milestone(
    ctx: click.Context, package_id: int, title: str, due: dt.datetime, username: str | None, as_json: bool
) -> None:
    """为包案添加节点。"""
    with open_service(ctx, open_index=False) as service:
        made = service.workflow.add_milestone(package_id, title, due.date(), resolve_actor(service, username))
    if as_json:
        emit_json(made)
        return
    click.echo(f"包案 {made.id} 现有 {len(made.milestones)} 个节点")


@packages.command("milestone-done")
@click.argument("package_id", type=int)
@click.argument("milestone_id", type=int)
@click.option("--note", help="完成情况")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def milestone_done(
    ctx: click.Context, package_id: int, milestone_id: int, note: str | None, username: str | None, as_json: bool
) -> None:
    """节点完成（记为今天）。"""
    with open_service(ctx, open_index=False) as service:
        made = service.workflow.complete_milestone(package_id, milestone_id, note, resolve_actor(service, username))
    if as_json:
        emit_json(made)
        return
    click.echo(f"包案 {made.id} 节点 {milestone_id} 已完成")


@packages.command("end")
@click.argument("package_id", type=int)
@click.option("--status", type=click.Choice(["concluded", "withdrawn"]), required=True, help="办结或撤销")
@click.option("--note", help="撤销理由（撤销时必填）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def end(
    ctx: click.Context, package_id: int, status: str, note: str | None, username: str | None, as_json: bool
) -> None:
    """办结（全部案件已办结）或撤销包案。"""
    with open_service(ctx, open_index=False) as service:
        made = service.workflow.end_package(package_id, status, note, resolve_actor(service, username))
    if as_json:
        emit_json(made)
        return
    click.echo(f"包案 {made.id}：{made.status_label}")


@packages.command("report")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="开始日期（默认结束日前 6 天）")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="结束日期（默认今天）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def package_report(
    ctx: click.Context,
    date_from: dt.datetime | None,
    date_to: dt.datetime | None,
    username: str | None,
    as_json: bool,
) -> None:
    """包案领导进展报告：每位领导的包案、办结、节点。"""
    from kb.workflow.packages import CONCLUSION_RATE_DEFINITION

    with open_service(ctx, open_index=False) as service:
        start, stop, rows = service.workflow.leader_report(
            date_from.date() if date_from else None,
            date_to.date() if date_to else None,
            resolve_actor(service, username),
        )
    if as_json:
        emit_json({"date_from": start, "date_to": stop, "definition": CONCLUSION_RATE_DEFINITION, "rows": rows})
        return
    click.echo(f"包案进展报告 {start} 至 {stop}")
    emit_table(
        [
            "领导",
            "单位",
            "未办结包案",
            "逾期包案",
            "案件",
            "已办结",
            "办结率",
            "本期办结",
            "本期节点",
            "完成",
            "逾期节点",
        ],
        [
            [
                r.leader,
                r.unit,
                r.packages_open,
                r.packages_overdue,
                r.cases,
                r.cases_concluded,
                percent(r.conclusion_rate),
                r.concluded_in_period,
                r.milestones_due,
                r.milestones_done,
                r.milestones_overdue,
            ]
            for r in rows
        ],
    )
    click.echo(CONCLUSION_RATE_DEFINITION)


@packages.command("show")
@click.argument("package_id", type=int, required=False)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def show(ctx: click.Context, package_id: int | None, username: str | None, as_json: bool) -> None:
    """包案进展（不带编号时列出全部包案；带编号时列出其案件）。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        found = (
            [service.workflow.package_progress(package_id, actor)]
            if package_id
            else service.workflow.package_list(None, actor)
        )
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo(empty_result("包案", qualifier="") + "（可用 leian packages create 创建）")
        return
    emit_table(
        ["包案", "包案领导", "包案部门", "领域", "案件数", "已办结", "办结进度", "状态分布"],
        [
            [
                p.id, p.leader, p.department, p.domain, p.total, p.concluded, percent(p.progress),
                "，".join(f"{_status_label(s)} {n}" for s, n in p.by_status.items()),
            ]
            for p in found
        ],
    )  # fmt: skip
    if package_id:
        p = found[0]
        emit_table(
            ["案件", "登记编号", "标题", "地市", "责任部门", "状态"],
            [
                [
                    f"#{c['id']}",
                    c["external_no"],
                    c["title"],
                    c["city"],
                    c["department"],
                    _status_label(str(c["status"])),
                ]
                for c in p.cases
            ],
            title="包案案件：",
        )


@click.group()
def repeats() -> None:
    """重复信访：列表、单案详情、对存量数据重新检测。"""


@repeats.command("list")
@click.option("--kind", type=click.Choice(list(REPEAT_KINDS)), help="repeat 重复信访、exact 重复提交、joint 疑似联名")
@click.option("--limit", default=50, show_default=True)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def repeat_list(ctx: click.Context, kind: str | None, limit: int, username: str | None, as_json: bool) -> None:
    """列出重复信访（repeat）、重复提交（exact）、疑似联名（joint）。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        rows = service.workflow.repeat_list(kind, limit, actor)
        others = (
            [k for k in REPEAT_KINDS if k != kind and service.workflow.repeat_list(k, 1, actor)] if not rows else []
        )
    if as_json:
        emit_json(rows)
        return
    if not rows:
        what = REPEAT_KINDS[kind] if kind else "重复信访记录"
        click.echo(empty_result(what, [f"--kind {k}（{REPEAT_KINDS[k]}）" for k in others], qualifier=""))
        return
    emit_table(
        ["案件", "登记编号", "类型", "第几次", "关联案件", "关联登记编号"],
        [
            [
                f"#{r['case_id']}", r["external_no"], r["label"],
                r["repeat_count"] + 1 if r["kind"] == "repeat" else "", f"#{r['other_id']}", r["other_external_no"],
            ]
            for r in rows
        ],
    )  # fmt: skip


@repeats.command("show")
@click.argument("case_id", type=int)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def repeat_show(ctx: click.Context, case_id: int, username: str | None, as_json: bool) -> None:
    """单案的交办、重复信访与诉访分离情况。"""
    with open_service(ctx, open_index=False) as service:
        info = service.workflow.case_workflow(case_id, resolve_actor(service, username))
    if as_json:
        emit_json(info)
        return
    click.echo(f"案件 #{case_id}")
    emit_record([("提示", "；".join(info["flags"]) or "无")])
    if info["assignments"]:
        emit_table(
            ["类型", "单位", "主责", "交办人", "交办时间"],
            [
                [a["kind"], a["unit"], "主责" if a["lead"] else "", a["assigned_by"], a["assigned_at"]]
                for a in info["assignments"]
            ],
            title="现行交办：",
        )
    else:
        click.echo("现行交办：无")
    if info["links"]:
        emit_table(
            ["关联", "关联案件", "登记编号", "相似度"],
            [[r["label"], f"#{r['other_id']}", r["other_external_no"], r["similarity"]] for r in info["links"]],
            title="重复信访与关联案件：",
        )
    else:
        click.echo("重复信访与关联案件：无")
    if info["later_repeats"]:
        click.echo(f"此后又有 {info['later_repeats']} 件被识别为本案的重复信访")
    track = info["litigation"]
    click.echo(f"诉访分离：{track['status_label']}（得分 {track['score']}）" if track else "诉访分离：未判定为涉法涉诉")


@repeats.command("scan")
@json_option
@click.pass_context
@friendly_errors
def repeat_scan(ctx: click.Context, as_json: bool) -> None:
    """对全部存量案件重新检测重复信访与涉法涉诉。"""
    with open_service(ctx) as service:
        n = service.workflow.rescan()
    if as_json:
        emit_json({"scanned": n})
    else:
        click.echo(f"已检测 {n} 件案件")


@click.group()
def litigation() -> None:
    """诉访分离：识别、列表；移交政法单位（refer / handover），接收单位记录核查、纠错、化解、退回、依法终结（act）。"""


@litigation.command("detect")
@click.argument("text")
@json_option
def lit_detect(text: str, as_json: bool) -> None:
    """对一段信访内容做涉法涉诉识别，显示依据短语。"""
    found = detect(text)
    if as_json:
        emit_json({"flagged": found.flagged, "score": found.score, "evidence": found.evidence})
        return
    click.echo(f"{'涉法涉诉' if found.flagged else '未判定为涉法涉诉'}（得分 {found.score}）")
    if found.evidence:
        emit_table(["强度", "规则", "短语"], [[e["strength"], e["rule"], e["phrase"]] for e in found.evidence])


@litigation.command("list")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--limit", default=50, show_default=True)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def lit_list(ctx: click.Context, status: str | None, limit: int, username: str | None, as_json: bool) -> None:
    """诉访分离案件列表。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        rows = service.workflow.litigation_list(status, limit, actor)
        present = (
            sorted({r["status"] for r in service.workflow.litigation_list(None, 100_000, actor)}) if not rows else []
        )
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(empty_result("诉访分离案件", [f"--status {s}" for s in present]))
        return
    emit_table(
        ["案件", "登记编号", "地市", "状态", "得分"],
        [[f"#{r['case_id']}", r["external_no"], r["city"], r["status_label"], r["score"]] for r in rows],
    )


@litigation.command("step")
@click.argument("case_id", type=int)
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--note", help="说明（如移交单位、反馈内容）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def lit_step(
    ctx: click.Context, case_id: int, status: str, note: str | None, username: str | None, as_json: bool
) -> None:
    """人工标记（flagged）或排除（dismissed）；移交、反馈、办结请用 refer / act（接收单位记录）。"""
    with open_service(ctx, open_index=False) as service:
        track = service.workflow.litigation_step(case_id, status, note, resolve_actor(service, username))
    if as_json:
        emit_json(track)
    else:
        click.echo(f"案件 {case_id}：{track['status_label']}")
