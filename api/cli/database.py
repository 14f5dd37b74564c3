"""`leian db copy-to-postgres`: move an embedded deployment's SQLite database into PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from api.cli.common import friendly_errors, settings_from
from api.cli.output import emit_json, json_option
from kb import backup as backups
from kb.errors import ConflictError, FieldProblem, InvalidInputError, LeianError, NotFoundError
from kb.schema import ALL_MIGRATIONS
from kb.storage.db import is_postgres
from kb.storage.transfer import copy_sqlite_to_postgres


@click.group("db")
def db() -> None:
    """数据库维护：从 SQLite 迁移到 PostgreSQL。"""


@db.command("copy-to-postgres")
@click.option("--url", help="目标 PostgreSQL 数据库地址 postgresql://用户@主机:端口/数据库（默认 $LEIAN_DATABASE_URL）")
@click.option(
    "--source",
    type=click.Path(dir_okay=False, path_type=Path),
    help="源 SQLite 数据库文件（默认数据目录中的 leian.db）",
)
@json_option
@click.pass_context
@friendly_errors
def copy_to_postgres(ctx: click.Context, url: str | None, source: Path | None, as_json: bool) -> None:
    """把 SQLite 数据库整库复制到一个空的 PostgreSQL 数据库（一个事务：失败则目标保持为空）。

    请先停止服务；目标库须为空，且连接用户可设置 session_replication_role（库的所有者且为超级用户）。
    复制后设置 LEIAN_DATABASE_URL 即改用 PostgreSQL，首次打开时补齐源库尚未执行的迁移。
    """
    settings = settings_from(ctx)
    target = url or settings.database_url
    if not target:
        raise InvalidInputError([FieldProblem("url", "请用 --url 或 LEIAN_DATABASE_URL 指定目标 PostgreSQL 数据库")])
    if not is_postgres(target):
        raise InvalidInputError([FieldProblem("url", "须为 postgresql://用户@主机:端口/数据库 形式的地址")])
    path = source or settings.db_path
    if not path.is_file():
        raise NotFoundError(f"源 SQLite 数据库不存在：{path}")
    if source is None and backups.serving(settings):
        raise ConflictError("服务正在运行（leian serve 持有数据目录锁），请先停止服务再复制，否则之后的写入不会被复制")
    try:
        copied = copy_sqlite_to_postgres(path, target, ALL_MIGRATIONS)
    except sqlite3.Error as exc:  # the PostgreSQL layer raises the sqlite3 classes too
        raise LeianError(f"复制失败，目标数据库未写入任何数据：{exc}") from exc
    total = sum(copied.values())
    if as_json:
        emit_json({"source": str(path), "tables": copied, "rows": total})
        return
    click.echo(f"复制完成：{len(copied)} 张表，共 {total} 行（{path} → PostgreSQL）")
    click.echo("下一步：设置 LEIAN_DATABASE_URL 为目标地址后启动服务；索引文件可保留或执行 leian reindex 重建")
