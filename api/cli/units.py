"""`leian units ...`: the unit master data from the command line (acts as the system user)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from api.cli.common import friendly_errors, open_service
from kb.units.catalog import KIND_LABELS


@click.group()
def units() -> None:
    """单位名录（主数据）：地市、区县、省直部门、政法委与政法单位、省信访局督查处。"""


@units.command("list")
@click.option("--kind", help=f"单位类型（代码或中文）：{'、'.join(f'{k} {v}' for k, v in KIND_LABELS.items())}")
@click.option("--parent", help="上级单位，如 广州市（列出其区县）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
@friendly_errors
def list_cmd(ctx: click.Context, kind: str | None, parent: str | None, as_json: bool) -> None:
    """列出单位（名称、类型、上级单位、别名、覆盖地市）。"""
    with open_service(ctx, open_index=False) as service:
        found = service.units.list(kind, parent)
    if as_json:
        click.echo(json.dumps([u.as_dict() for u in found], ensure_ascii=False, indent=2))
        return
    for u in found:
        extra = [f"上级：{u.parent}"] if u.parent else []
        extra += [f"别名：{'、'.join(u.aliases)}"] if u.aliases else []
        extra += [f"覆盖：{'、'.join(u.cities)}"] if u.cities else []
        click.echo("\t".join([u.name, u.kind_label, *extra]))
    click.echo(f"共 {len(found)} 个单位")


@units.command("add")
@click.argument("name")
@click.option("--kind", required=True, help="单位类型（代码或中文），如 district 或 区县")
@click.option("--parent", help="上级单位（区县必填，为所属地市）")
@click.option("--alias", "aliases", multiple=True, help="别名（可多次指定）")
@click.option("--city", "cities", multiple=True, help="督查处覆盖的地市（可多次指定）")
@click.pass_context
@friendly_errors
def add(
    ctx: click.Context, name: str, kind: str, parent: str | None, aliases: tuple[str, ...], cities: tuple[str, ...]
) -> None:
    """新增一个单位（名称不得与已有单位的名称或别名相同）。"""
    with open_service(ctx, open_index=False) as service:
        unit = service.units.add(name, kind, parent, aliases, cities)
    click.echo(f"已新增单位 {unit.name}（{unit.kind_label}{'，上级 ' + unit.parent if unit.parent else ''}）")


@units.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@friendly_errors
def import_cmd(ctx: click.Context, path: Path) -> None:
    """导入单位名录：CSV（UTF-8 或 GBK）、XLSX 或 JSONL，列为 名称、类型、上级单位、别名、覆盖地市（、启用）。

    全部行通过校验才写入；名称已存在的单位按文件更新。
    """
    with open_service(ctx, open_index=False) as service:
        report = service.units.import_file(path.read_bytes(), path.name)
    click.echo(f"导入完成：新增 {report.created} 个单位，更新 {report.updated} 个，共 {len(report.names)} 个")
