"""The field table's filters as ``leian search`` options (click), so a new filterable row needs no edit here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar, get_args

import click

from kb.domain import SearchFilters
from kb.fields import DEADLINES, filter_fields, filters_from_params

F = TypeVar("F", bound=Callable[..., Any])


def _choices(item: Any) -> list[str] | None:
    if isinstance(item, type) and issubclass(item, str) and hasattr(item, "__members__"):
        return [str(v.value) for v in item.__members__.values()]
    args = get_args(item)
    return [str(a) for a in args] if args else None


def filter_options(fn: F) -> F:
    """Click options for every filter of the field table (multi: repeatable, dates, yes/no flags, deadline)."""
    for f in reversed(filter_fields()):
        if f.filter == "multi":
            choices = _choices(f.filter_item)
            kind: Any = click.Choice(choices) if choices else None
            help_ = f"{f.label}，可重复"
            flag = f.cli_flags[0] if f.cli_flags else f"--{f.params[0].replace('_', '-')}"
            fn = click.option(flag, f.params[0], multiple=True, type=kind, help=help_)(fn)
        elif f.filter == "date_range":
            for i, (param, word) in reversed(list(enumerate(zip(f.params, ("起", "止"), strict=True)))):
                flags = [f"--{param.replace('_', '-')}", *f.cli_flags[i : i + 1]]
                date = click.DateTime(["%Y-%m-%d"])
                fn = click.option(*flags, param, type=date, help=f"{f.label}{word}")(fn)
        elif f.filter == "boolean":
            name = f.params[0].replace("_", "-")
            fn = click.option(f"--{name}/--no-{name}", f.params[0], default=None, help=f"只看（或排除）{f.label}")(fn)
        elif f.filter == "deadline":
            words = "，".join(f"{k} {v}" for k, v in DEADLINES.items())
            flag = f.cli_flags[0] if f.cli_flags else f"--{f.params[0]}"
            fn = click.option(flag, f.params[0], type=click.Choice(list(DEADLINES)), help=f"{f.label}：{words}")(fn)
    return fn


def filters_from_options(options: dict[str, Any]) -> SearchFilters:
    """The filters given as CLI options (dates arrive as datetimes)."""
    params = {k: (v.date() if isinstance(v, dt.datetime) else v) for k, v in options.items()}
    return SearchFilters(by_field=filters_from_params(params))
