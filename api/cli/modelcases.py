"""`leian modelcases ...`: the typical-case library from the command line.

Commands act as ``--as USER`` or the OS user (``api.cli.common.resolve_actor``), so versions and
publications record who; output uses ``api.cli.output`` (tables, ``--json``, empty-result lines).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from api.cli.common import ACTOR_OPTION, friendly_errors, open_service, resolve_actor
from api.cli.output import emit_json, emit_table, empty_result, json_option
from api.schemas.modelcases import GuidanceHitOut, ModelCaseOut
from kb.modelcases import library
from kb.modelcases.domain import MC_STATUS_LABELS, MCStatus
from kb.modelcases.guidance import look_up


@click.group()
def modelcases() -> None:
    """典型案例库：导入、导出、查看、发布、操作指引查询。"""


@modelcases.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--publish", is_flag=True, help="导入后全部发布（否则按文件中的 status 字段）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def import_cmd(ctx: click.Context, path: Path, publish: bool, username: str | None, as_json: bool) -> None:
    """导入案例库文件：JSON、XLSX、Markdown（单篇 .md、打包的 .zip 或包含 .md 的目录）。按编号幂等。"""
    rows: list[tuple[int | None, dict[str, Any]]]
    if path.is_dir():
        docs = sorted(p for p in path.glob("*.md") if p.name != "README.md")
        rows = [(i, r) for i, p in enumerate(docs, 1) for _, r in library.read_library(p.read_bytes(), "md")]
    else:
        rows = library.read_library(path.read_bytes(), library.format_of(path.name))
    with open_service(ctx) as service:
        report = library.import_rows(service.modelcases, rows, resolve_actor(service, username), publish=publish)
    if as_json:
        emit_json(report)
        return
    click.echo(
        f"导入完成：新增 {report.created} 件，更新 {report.updated} 件，未变 {report.unchanged} 件，"
        f"发布 {report.published} 件，共 {len(rows)} 件"
    )


@modelcases.command()
@click.option("--format", "fmt", type=click.Choice(library.FORMATS), default="json", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="输出文件；md 格式为目录或 .zip")
@click.option("--status", multiple=True, type=click.Choice([s.value for s in MCStatus]), help="默认仅已发布")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def export(
    ctx: click.Context, fmt: str, out: Path, status: tuple[str, ...], username: str | None, as_json: bool
) -> None:
    """导出案例库为 JSON、XLSX 或 Markdown（每件案例一篇文档）。"""
    with open_service(ctx) as service:
        actor = resolve_actor(service, username)
        if fmt == "md" and out.suffix != ".zip":
            from kb.modelcases.io import confined_path, markdown_documents

            items, _ = service.modelcases.page(actor, statuses=list(status) or None, limit=1_000_000)
            out.mkdir(parents=True, exist_ok=True)
            for name, doc in markdown_documents(items):
                confined_path(out, name).write_text(doc, encoding="utf-8")
            if as_json:
                emit_json({"folder": str(out), "documents": len(items)})
            else:
                click.echo(f"已导出 {len(items)} 篇 Markdown 文档到 {out}/")
            return
        data = library.export(service.modelcases, fmt, actor, statuses=list(status) or None)
    out.write_bytes(data)
    if as_json:
        emit_json({"file": str(out), "format": fmt, "bytes": len(data)})
    else:
        click.echo(f"已导出到 {out}（{len(data)} 字节）")


@modelcases.command("list")
@click.option("--status", multiple=True, type=click.Choice([s.value for s in MCStatus]), help="默认仅已发布")
@click.option("--category", help="问题类别")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def list_cmd(
    ctx: click.Context, status: tuple[str, ...], category: str | None, username: str | None, as_json: bool
) -> None:
    """列出典型案例。"""
    with open_service(ctx) as service:
        actor = resolve_actor(service, username)
        statuses = list(status) or None
        items, total = service.modelcases.page(actor, statuses=statuses, category=category, limit=1000)
        categories: list[str] = []
        if not items and category:
            everything, _ = service.modelcases.page(actor, statuses=statuses, limit=1_000_000)
            categories = sorted({mc.data.category for mc in everything if mc.data.category})
    if as_json:
        emit_json({"total": total, "items": [ModelCaseOut.from_mc(mc) for mc in items]})
        return
    if not items:
        what = f"问题类别为“{category}”的典型案例" if category else "典型案例"
        click.echo(empty_result(what, categories, qualifier=""))
        return
    rows = []
    for mc in items:
        label = MC_STATUS_LABELS.get(MCStatus(mc.status), mc.status)
        changed = "有未发布修改" if mc.unpublished_changes else ""
        rows.append([mc.code, label, f"v{mc.version}", changed, mc.data.category, mc.data.title])
    emit_table(["编号", "状态", "版本", "修改", "问题类别", "标题"], rows)
    click.echo(f"共 {total} 件")


@modelcases.command()
@click.argument("ref")
@click.option("--version", type=int, help="版本号（默认最新）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def show(ctx: click.Context, ref: str, version: int | None, username: str | None, as_json: bool) -> None:
    """查看一件典型案例（编号或内部 id），以 Markdown 显示。"""
    from kb.modelcases.io import to_markdown

    with open_service(ctx) as service:
        mc = service.modelcases.get(ref, resolve_actor(service, username), version=version)
    if as_json:
        emit_json(ModelCaseOut.from_mc(mc))
    else:
        click.echo(to_markdown(mc))


@modelcases.command()
@click.argument("ref")
@click.option("--version", type=int, help="发布哪个版本（默认最新）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def publish(ctx: click.Context, ref: str, version: int | None, username: str | None, as_json: bool) -> None:
    """发布一件典型案例（审核步骤）。"""
    with open_service(ctx) as service:
        mc = service.modelcases.publish(ref, resolve_actor(service, username), version=version)
    if as_json:
        emit_json(ModelCaseOut.from_mc(mc))
    else:
        click.echo(f"已发布 {mc.code} 第 {mc.version} 版")


@modelcases.command()
@click.argument("ref")
@click.argument("from_version", type=int)
@click.argument("to_version", type=int)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def diff(ctx: click.Context, ref: str, from_version: int, to_version: int, username: str | None, as_json: bool) -> None:
    """比较两个版本。"""
    with open_service(ctx) as service:
        fields = service.modelcases.diff(ref, from_version, to_version, resolve_actor(service, username))
    if as_json:
        emit_json(fields)
        return
    for f in fields:
        click.echo(f"== {f.label}")
        for line in f.lines[2:]:
            click.echo("  " + line)
    if not fields:
        click.echo("两个版本内容相同")


@modelcases.command()
@click.argument("text", required=False)
@click.option("--case", "case_id", type=int, help="以已有案件（内部编号）查询")
@click.option("--group", "group_id", help="以类案组编号查询")
@click.option("-k", default=3, show_default=True, help="返回条数")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical"]), default="hybrid", show_default=True)
@json_option
@click.pass_context
@friendly_errors
def guidance(
    ctx: click.Context, text: str | None, case_id: int | None, group_id: str | None, k: int, mode: str, as_json: bool
) -> None:
    """操作指引查询：输入简要描述或完整来信（或 --case / --group），返回匹配的典型案例和操作步骤。"""
    with open_service(ctx) as service:
        _, hits = look_up(service.modelcases, text=text, case_id=case_id, group_id=group_id, k=k, mode=mode)
    if as_json:
        emit_json([GuidanceHitOut.from_hit(h) for h in hits])
        return
    for rank, hit in enumerate(hits, start=1):
        d = hit.model_case.data
        click.echo(f"{rank}. [{hit.score:.3f}] {hit.model_case.code} {d.title}（{d.authority.value}，{d.category}）")
        click.echo(f"   理由：{'；'.join(hit.reasons)}")
        click.echo(f"   化解思路：{d.approach}")
        for i, step in enumerate(d.steps, start=1):
            click.echo(f"   {i}. {step}")
    if not hits:
        click.echo(empty_result("匹配的已发布典型案例", qualifier=""))
