"""`leian audit export`, `leian backup`, `leian restore`: security and reliability commands."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from api.cli.common import ACTOR_OPTION, friendly_errors, open_service, resolve_actor, settings_from
from api.cli.output import emit_json, json_option
from kb import backup as backups
from kb.audit import AuditFilter


@click.group()
def audit() -> None:
    """审计日志（只追加，不可修改或删除）。"""


@audit.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="输出 CSV 文件（默认标准输出）")
@click.option("--user", "username", help="按用户名筛选")
@click.option("--action", help="按动作筛选，如 cases 或 cases.update")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="起始日期")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="截止日期")
@click.option("--as", "actor_name", help="以该用户身份导出（记录为导出人）；默认为当前系统用户")
@click.pass_context
@friendly_errors
def export(
    ctx: click.Context,
    output: Path | None,
    username: str | None,
    action: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    actor_name: str | None,
) -> None:
    """导出审计日志为 CSV（UTF-8，Excel 可直接打开）。"""
    filters = AuditFilter(
        username,
        action,
        None,
        None,
        since.date().isoformat() if since else None,
        until.date().isoformat() if until else None,
    )
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, actor_name)
        actor.require("audit:read")
        service.audit.record(actor, "audit.export", "audit", None, {"via": "cli", "filters": filters.__dict__})
        chunks = service.audit.export_csv(filters)
        if output is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
            return
        with output.open("w", encoding="utf-8", newline="") as fh:
            for chunk in chunks:
                fh.write(chunk)
    click.echo(f"已导出到 {output}", err=True)


@click.command("backup")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def backup(ctx: click.Context, path: Path, username: str | None, as_json: bool) -> None:
    """在线备份数据库和索引到目录 PATH（服务运行中也可执行，得到一致的快照）。"""
    settings = settings_from(ctx)
    manifest = backups.backup(settings, path)
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        service.audit.record(actor, "system.backup", "system", None, {"path": str(path), "cases": manifest["cases"]})
    if as_json:
        emit_json(manifest)
        return
    click.echo(f"备份完成：{path}（{manifest['cases']} 件案件，完整性 {manifest['integrity']}）")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="覆盖数据目录中已有的数据库")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def restore(ctx: click.Context, path: Path, force: bool, username: str | None, as_json: bool) -> None:
    """从备份目录 PATH 恢复（请先停止服务）；恢复后校验并在需要时重建索引。"""
    settings = settings_from(ctx)
    manifest = backups.restore(settings, path, force)
    with open_service(ctx) as service:
        actor = resolve_actor(service, username)
        service.audit.record(actor, "system.restore", "system", None, {"path": str(path), "cases": manifest["cases"]})
        count = service.cases.count()
        rebuilt = service.index.rebuilt_from_db
    if as_json:
        emit_json({"cases": count, "index_rebuilt": rebuilt})
        return
    click.echo(f"恢复完成：{count} 件案件" + ("（索引已从数据库重建）" if rebuilt else ""))
