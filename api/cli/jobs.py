"""`leian jobs`: submit, watch and cancel background jobs; `leian jobs worker` runs the queue."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from api.cli.common import ACTOR_OPTION, friendly_errors, open_service, resolve_actor, settings_from
from api.cli.output import emit_json, json_option
from kb.backup import serving
from kb.errors import ConflictError, FieldProblem, InvalidInputError
from kb.jobs.service import STATUS_LABELS, JobRunner
from kb.jobs.store import FINAL


def _line(job: dict[str, Any]) -> str:
    progress = f" {job['progress']:.0%}" if job["progress"] is not None else ""
    return f"#{job['id']} {job['kind_label']} {job['status_label']}{progress} · {job['message']} · {job['created_at']}"


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInputError([FieldProblem("--param", f"应写作 名称=值：{pair}")])
        lowered = value.lower()
        out[key] = (
            True if lowered == "true" else False if lowered == "false" else int(value) if value.isdigit() else value
        )
    return out


@click.group()
def jobs() -> None:
    """后台任务：类案发现、重建索引、大文件导入、周报在后台执行，可查看进度、取消，结果在重启后仍保留。"""


@jobs.command("list")
@click.option("--status", type=click.Choice(list(STATUS_LABELS)))
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def list_jobs(ctx: click.Context, status: str | None, username: str | None, as_json: bool) -> None:
    """列出后台任务（最近 50 个）。"""
    with open_service(ctx, open_index=False) as service:
        found = service.jobs.list(resolve_actor(service, username), status)
    if as_json:
        emit_json(found)
        return
    for job in found:
        click.echo(_line(job))
    if not found:
        click.echo("暂无后台任务")


@jobs.command("show")
@click.argument("job_id", type=int)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def show(ctx: click.Context, job_id: int, username: str | None, as_json: bool) -> None:
    """查看一个后台任务的进度与结果。"""
    with open_service(ctx, open_index=False) as service:
        job = service.jobs.get(job_id, resolve_actor(service, username))
    if as_json:
        emit_json(job)
        return
    click.echo(_line(job))
    if job["error"]:
        click.echo(f"错误：{job['error']}")
    if job["result"] is not None:
        click.echo(
            f"结果：{job['result'].get('summary', job['result']) if isinstance(job['result'], dict) else job['result']}"
        )


@jobs.command("submit")
@click.argument("kind", type=click.Choice(["discover", "reindex", "report"]))
@click.option("--param", "pairs", multiple=True, help="任务参数 名称=值，可重复（如 mode=full、weeks=4）")
@click.option("--wait", is_flag=True, help="等待任务结束（需要正在运行的服务或 `leian jobs worker`）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def submit(
    ctx: click.Context, kind: str, pairs: tuple[str, ...], wait: bool, username: str | None, as_json: bool
) -> None:
    """提交后台任务：discover（类案发现）、reindex（重建索引）、report（周滚动督查报表）。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        job = service.jobs.submit(kind, _params(pairs), actor)
        if wait:
            job = _wait(service, job["id"], actor)
    emit_json(job) if as_json else click.echo(_line(job))


@jobs.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strict/--no-strict", default=None, help="严格模式（默认 $LEIAN_IMPORT_STRICT）")
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def submit_import(ctx: click.Context, path: Path, strict: bool | None, username: str | None, as_json: bool) -> None:
    """提交导入任务：文件交给后台导入（全部成功或全部不写入）。"""
    with open_service(ctx, open_index=False) as service:
        actor = resolve_actor(service, username)
        job = service.jobs.submit("import", {"strict": strict}, actor, upload=path.read_bytes(), filename=path.name)
    emit_json(job) if as_json else click.echo(_line(job))


@jobs.command("cancel")
@click.argument("job_id", type=int)
@ACTOR_OPTION
@json_option
@click.pass_context
@friendly_errors
def cancel(ctx: click.Context, job_id: int, username: str | None, as_json: bool) -> None:
    """取消后台任务：排队中的立即取消，执行中的在下一个进度点停止且不写入数据。"""
    with open_service(ctx, open_index=False) as service:
        job = service.jobs.cancel(job_id, resolve_actor(service, username))
    emit_json(job) if as_json else click.echo(_line(job))


@jobs.command("worker")
@click.pass_context
@friendly_errors
def worker(ctx: click.Context) -> None:
    """执行排队中的后台任务直到队列为空（没有运行 leian serve 时使用；服务运行时由服务执行）。"""
    settings = settings_from(ctx)
    if serving(settings):
        # The server's in-memory index must see what a job changes: while it runs, it runs the jobs.
        raise ConflictError("leian serve 正在使用该数据目录，后台任务由服务执行；无需另起 worker")
    with open_service(ctx) as service:
        n = JobRunner(service.jobs).drain()
    click.echo(f"已执行 {n} 个后台任务")


def _wait(service: Any, job_id: int, actor: Any, poll: float = 1.0) -> dict[str, Any]:
    while True:
        job: dict[str, Any] = service.jobs.get(job_id, actor)
        if job["status"] in FINAL:
            return job
        time.sleep(poll)
