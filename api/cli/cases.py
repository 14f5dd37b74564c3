"""`leian ingest / search / reindex / serve / demo`: the case commands, a thin door onto the case service."""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
from pathlib import Path
from typing import Any

import click

from api.cli.common import ACTOR_OPTION, WORKERS_OPTION, friendly_errors, open_service, resolve_actor, settings_from
from api.cli.demo_workflow import replay, replayed
from api.cli.filter_options import filter_options, filters_from_options
from api.cli.output import emit_json, json_option
from api.cli.progress import ProgressLog, log_to_file, print_stage
from kb.errors import ImportReport, LeianError
from kb.identity_key import create_key_file, with_key_file
from kb.readers import stream_path
from kb.service import LeianService
from kb.settings import Settings
from kb.storage.db import write_private_text
from kb.users import SYSTEM, Principal

log = logging.getLogger("leian.cli")

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "data" / "samples" / "cases.jsonl"


def run_import(
    service: LeianService,
    path: Path,
    fmt: str | None,
    *,
    strict: bool = False,
    actor: Principal = SYSTEM,
    as_json: bool = False,
) -> ImportReport:
    table = stream_path(
        path, fmt, service.settings.max_decompressed_bytes, strict=strict, max_rows=service.settings.max_import_rows
    )
    after = "编码完成，正在写入数据库、检测重复信访并归入类案组……"
    with ProgressLog(f"导入 {path.name}", table.estimate, log, after=after) as bar:
        report = service.ingest_table(table, progress=bar.update, actor=actor, phase=bar.stage)
    if not as_json:
        click.echo(f"导入完成：{report.summary()}")
    return report


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx"]), help="文件格式（默认按扩展名判断）")
@click.option(
    "--strict/--no-strict",
    default=None,
    help="严格模式：文件含字段表以外的列（如 序号、备注）时拒绝导入；默认忽略并列出（$LEIAN_IMPORT_STRICT）",
)
@WORKERS_OPTION
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str | None,
    strict: bool | None,
    workers: int | None,
    username: str | None,
    as_json: bool,
) -> None:
    """导入案件文件（JSONL、CSV（UTF-8/GBK）、XLSX）。每个文件全部成功或全部不写入；按登记编号幂等。

    表头可用字段名、中文名或别名（登记编号、受理日期……，见 `GET /api/cases/import/format`）；日期可写作
    2026-11-26、2026/11/26、2026.11.26、2026年11月26日、20261126 或 Excel 日期单元格。
    """
    reports = []
    with open_service(ctx, workers) as service:
        actor = resolve_actor(service, username)
        chosen = service.settings.import_strict if strict is None else strict
        for path in paths:
            report = run_import(service, path, fmt, strict=chosen, actor=actor, as_json=as_json)
            reports.append({"file": str(path), **dataclasses.asdict(report), "summary": report.summary()})
    if as_json:
        emit_json(reports)


@click.command()
@click.argument("text", required=False)
@click.option("--case", "case_id", type=int, help="以已有案件（内部编号）检索相似案件")
@click.option("-k", default=10, show_default=True, help="返回条数")
@filter_options
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical"]), default="hybrid", show_default=True)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def search(
    ctx: click.Context,
    text: str | None,
    case_id: int | None,
    k: int,
    mode: str,
    username: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """类案检索：输入一段信访内容（或 --case 案件编号），返回最相似的案件及匹配理由。

    筛选项来自字段表（kb/fields.py）：--city、--channel、--from/--to、--litigation/--no-litigation 等。
    """
    from api.schemas.cases import SearchHitOut

    filters = filters_from_options(options)
    with open_service(ctx) as service:
        actor = resolve_actor(service, username)
        found = service.search_with_flags(text=text, case_id=case_id, filters=filters, k=k, mode=mode, actor=actor)
    hits = [SearchHitOut.from_hit(h).model_copy(update={"flags": found.flags[h.case.id]}) for h in found.hits]
    if as_json:
        emit_json(hits)
        return
    if not hits:
        chosen = "、".join(f"--{k.replace('_', '-')} {v}" for k, v in options.items() if v not in (None, (), []))
        click.echo(f"没有符合条件的相似案件（筛选条件：{chosen}；可放宽筛选后重试）" if chosen else "没有相似案件")
        return
    if all(h.low_relevance for h in found.hits):
        click.echo("提示：所有结果均相关度较低（无共同的实义关键词且语义相似度低），可能没有真正相似的案件")
    for rank, (hit, out) in enumerate(zip(found.hits, hits, strict=True), start=1):
        c = out.case
        low = "[相关度较低] " if hit.low_relevance else ""
        click.echo(
            f"{rank:>2}. {low}[{hit.score:.4f}] #{c.id} {c.external_no} {c.city or ''} {c.category or ''} "
            f"{c.status_label} {c.received_date}"
        )
        click.echo(f"    {c.title}")
        click.echo(f"    理由：{'；'.join(hit.reasons)}")
        if out.flags:
            click.echo(f"    提示：{'；'.join(out.flags)}")


@click.command()
@click.option("--re-encode", is_flag=True, help="丢弃已存储的向量并重新编码（更换模型后使用）")
@WORKERS_OPTION
@json_option
@click.pass_context
@friendly_errors
def reindex(ctx: click.Context, re_encode: bool, workers: int | None, as_json: bool) -> None:
    """从数据库重建向量索引和 BM25 索引（索引损坏、更换编码器或后端后使用）。"""
    with open_service(ctx, workers, open_index=False) as service:
        total = service.cases.count()
        with ProgressLog("重建索引", total, log) as bar:
            n = service.reindex(progress=bar.update, re_encode=re_encode)
    if as_json:
        emit_json({"indexed": n})
    else:
        click.echo(f"索引已重建：{n} 件案件")


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    if workers == 1:
        from api.app import create_app

        app = create_app(settings=settings)
        uvicorn.run(app, host=host, port=port, log_level="info")
        return
    _serve_workers(settings, host, port, workers)


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """`leian serve --workers N`: this process holds the data directory's lock, applies the
    migrations and brings the index files up to date once, then uvicorn's supervisor starts N
    worker processes (``api.app:create_worker_app``) with these settings in ``LEIAN_*`` variables
    and restarts any that dies. docs/deploy.md, "API workers"."""
    import gc

    import uvicorn

    from kb.backup import ServiceLock
    from kb.errors import FieldProblem, InvalidInputError
    from kb.settings import settings_environment

    uri = settings.milvus_uri or ""
    if settings.index_backend == "milvus" and not uri.startswith(("http://", "https://", "tcp://")):
        message = (
            "多个服务进程需要 Milvus 服务器（LEIAN_MILVUS_URI=http://主机:19530），Milvus Lite 文件只能由一个进程打开"
        )
        raise InvalidInputError([FieldProblem("--workers", message)], message)
    lock = ServiceLock(settings)
    lock.acquire()
    try:
        # Once, before any worker opens the database: no two processes race to apply a migration,
        # and the workers start from current index files (each loads the snapshot, none rebuilds).
        LeianService(settings.with_(api_workers=1)).close()
        gc.collect()
        os.environ.update(settings_environment(settings.with_(api_workers=workers)))
        uvicorn.run("api.app:create_worker_app", factory=True, host=host, port=port, workers=workers, log_level="info")
    finally:
        lock.release()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="服务进程数；多于 1 个时各进程经数据库的变更日志同步索引（见 docs/deploy.md）",
)
@click.pass_context
@friendly_errors
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """启动 HTTP 服务（API 文档见 /docs）。"""
    _serve(settings_from(ctx), host, port, workers)


def demo_settings(ctx: click.Context) -> Settings:
    settings = settings_from(ctx)
    if not (ctx.obj or {}).get("data_dir") and "LEIAN_DATA_DIR" not in os.environ:
        settings = settings.with_(data_dir=Path("var/demo"))
    if settings.petitioner_key is None:
        # The data directory's own key file: later `leian ingest --data-dir var/demo` uses it too.
        create_key_file(settings.data_dir)
    return with_key_file(settings)


# (user name, role, unit, scope kind, display name): every role at the province, and one account of
# each kind of scope (kb/scope.py). The demo's handling history (api/cli/demo_workflow.py) acts as them.
DEMO_USERS = (
    ("admin", "admin", None, None, "演示管理员"),
    ("handler", "handler", None, None, "演示经办人"),
    ("reviewer", "reviewer", None, None, "演示审查员"),
    ("supervisor", "supervisor", None, None, "演示督查员"),
    ("analyst", "analyst", None, None, "演示分析员"),
    ("gz_handler", "handler", "广州市", "city", "广州市经办人"),
    ("gz_supervisor", "supervisor", "广州市", "city", "广州市督查员"),
    ("sz_handler", "handler", "深圳市", "city", "深圳市经办人"),
    ("dc1_supervisor", "supervisor", "省信访局督查一处", "cities", "督查一处督查员"),
    ("jt_officer", "handler", "省交通运输厅", "department", "省交通运输厅承办人"),
    ("zf_officer", "handler", "省委政法委", "zhengfa", "省委政法委承办人"),
    ("gz_court", "handler", "广州市中级人民法院", "department", "广州市中级人民法院承办人"),
)


def demo_users(service: LeianService, data_dir: Path) -> list[str]:
    """Demo accounts with random passwords, kept in the demo folder and printed at start."""
    creds_file = data_dir / "demo-credentials.txt"
    if service.users.count() == 0:
        lines = []
        for username, role, unit, kind, name in DEMO_USERS:
            # A symbol and digits always, so a random draw never falls foul of the password policy.
            password = f"{secrets.token_urlsafe(9)}-{secrets.randbelow(90) + 10}"
            _, token = service.users.create(username, role, password, unit=unit, scope=kind, display_name=name)
            lines.append(f"{username}  密码 {password}  令牌 {token}")
        write_private_text(creds_file, "\n".join(lines) + "\n")
    return creds_file.read_text(encoding="utf-8").splitlines() if creds_file.exists() else []


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--samples",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=SAMPLES,
    show_default=True,
    help="示例数据文件",
)
@click.option("--no-serve", is_flag=True, help="只加载数据、建索引，不启动服务")
@click.pass_context
@friendly_errors
def demo(ctx: click.Context, host: str, port: int, samples: Path, no_serve: bool) -> None:
    """演示：加载内置的合成示例数据、建立索引并启动服务（数据目录 var/demo）。"""
    settings = demo_settings(ctx)
    log_file = settings.data_dir / "leian.log"
    log_to_file(log_file)
    click.echo(f"进度同时写入日志：{log_file}", err=True)
    service = LeianService(settings)
    try:
        fresh = service.cases.count() == 0
        if fresh:
            run_import(service, samples, None)
        else:
            click.echo(f"已有 {service.cases.count()} 件案件，跳过导入（删除 {settings.data_dir} 可重新加载）")
        from kb.modelcases.library import load_demo_library

        click.echo(load_demo_library(service.modelcases))
        if not service.groups.list_groups():
            run = service.groups.discover(progress=print_stage)
            click.echo(f"同质化类案：发现 {run.groups} 个类案组，{run.unassigned} 件待复核")
        credentials = demo_users(service, settings.data_dir)
        if fresh and not replayed(service):
            try:
                summary = replay(service)
            except LeianError as e:  # e.g. a --samples file without enough cases in handling
                click.echo(f"演示办理记录未生成：{e}", err=True)
            else:
                click.echo("演示办理记录（按当前时间记录）：")
                for line in summary.lines:
                    click.echo("  " + line)
    finally:
        service.close()
    click.echo("演示账号（仅用于演示环境）：")
    for line in credentials:
        click.echo("  " + line)
    if not no_serve:
        click.echo(f"服务地址：http://{host}:{port}/  API 文档：http://{host}:{port}/docs")
        _serve(settings, host, port)


COMMANDS = (ingest, search, reindex, serve, demo)
