"""What every `leian` command area shares: error reporting, settings from the root options, the service, options.

Area modules import this module only (never the root group in ``api.cli``), so the package has no cycle.
"""

from __future__ import annotations

import dataclasses
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from api.cli.zh import install_catalog
from kb.backup import serving
from kb.errors import LeianError, NotFoundError
from kb.service import LeianService
from kb.settings import Settings, load_settings
from kb.users import SYSTEM, Principal

# Before any command module declares its options: click words some of them when they are built.
install_catalog()

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """Domain errors become one readable line on stderr and exit code 2."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LeianError as exc:
            click.echo(f"错误：{exc.message}", err=True)
            sys.exit(2)
        except FileNotFoundError as exc:
            click.echo(f"错误：文件不存在：{exc.filename or exc}", err=True)
            sys.exit(2)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper  # type: ignore[return-value]


def settings_from(ctx: click.Context) -> Settings:
    overrides = {k: v for k, v in (ctx.obj or {}).items() if v is not None}
    return load_settings(**overrides)


@contextmanager
def open_service(ctx: click.Context, workers: int | None = None, **kwargs: Any) -> Iterator[LeianService]:
    settings = settings_from(ctx)
    if serving(settings):  # beside a running `leian serve`: follow its writes, leave it the index files
        settings = settings.with_(shared_index=True)
    if workers is not None:
        settings = settings.with_(ingest_workers=workers, ingest_workers_by_load=False)  # chosen: kept as given
    service = LeianService(settings, **kwargs)
    try:
        yield service
    finally:
        service.close()


WORKERS_OPTION = click.option(
    "--workers",
    type=click.IntRange(min=1),
    help=(
        "并行编码的编码器数（默认 $LEIAN_INGEST_WORKERS 或可用 CPU 核数；1 为单进程）；"
        "LEIAN_THREADS=1 时本进程算作其一，只另起 N-1 个编码进程"
    ),
)


# -- who a command acts as ---------------------------------------------------------------------------

ACTOR_OPTION = click.option(
    "--as",
    "username",
    help="以该用户身份操作（按其角色与范围检查权限，并记录为操作人）；默认为当前系统用户",
)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "unknown"


def resolve_actor(service: LeianService, username: str | None) -> Principal:
    """Who a CLI command acts as: ``--as USER`` (an account, with its role and scope), else the OS
    user — their account when one of that name exists, otherwise the command line's full rights
    recorded under the OS user's name (``cli:alice``) instead of ``system``."""
    if username:
        principal: Principal | None = service.users.by_username(username)
        if principal is None:
            raise NotFoundError(f"用户 {username} 不存在（--as 应为已有账号的用户名）")
        return principal
    name = os_user()
    account: Principal | None = service.users.by_username(name)
    if account is not None:
        return account
    return dataclasses.replace(SYSTEM, username=f"cli:{name}", display_name=f"{name}（命令行）")
