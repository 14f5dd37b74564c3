"""The `leian` command line: the root group and its options; each command area lives in its own module.

A thin door onto the same service methods as the HTTP API. Area modules import ``api.cli.common`` only;
this module imports them to register their commands, so the dependency points one way.
"""

from __future__ import annotations

from pathlib import Path

import click

from api.cli import (
    assignments,
    campaigns,
    cases,
    database,
    groups,
    jobs,
    lifecycle,
    modelcases,
    security,
    supervision,
    units,
    users,
    workflow,
)
from api.cli import eval as evaluation
from api.cli import litigation as handover
from api.cli.zh import ChineseGroup
from kb.logmask import install_log_masking


@click.group(cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(path_type=Path), help="数据目录（默认 $LEIAN_DATA_DIR 或 var/leian）")
@click.option(
    "--encoder",
    help="编码器：auto（默认：沿用数据目录建索引时所用的编码器，新目录用 use-m3-int8）、"
    "use-m3、use-m3-int8、sbert、hashing",
)
@click.option("--encoder-model", help="sbert 模型的本地路径或已安装的模型包名")
@click.option("--index-backend", help="向量索引后端：faiss（默认）、exact")
@click.pass_context
def cli(
    ctx: click.Context, data_dir: Path | None, encoder: str | None, encoder_model: str | None, index_backend: str | None
) -> None:
    """Leian 类案：信访类案检索、同质化类案分组与典型案例库。

    Leian: similar-case search, homogeneous case groups and a model-case knowledge base for petitions.
    Settings come from LEIAN_* environment variables; the options above override them.
    """
    ctx.obj = {"data_dir": data_dir, "encoder": encoder, "encoder_model": encoder_model, "index_backend": index_backend}


AREAS: tuple[click.Command, ...] = (
    *cases.COMMANDS,
    users.users,
    groups.groups,
    groups.special_groups,
    security.audit,
    security.backup,
    security.restore,
    database.db,
    evaluation.eval_group,
    workflow.route,
    *assignments.COMMANDS,
    workflow.report,
    workflow.packages,
    workflow.repeats,
    workflow.litigation,
    lifecycle.lifecycle,
    modelcases.modelcases,
    *supervision.COMMANDS,
    units.units,
    campaigns.campaigns,
    jobs.jobs,
)
for _command in AREAS:
    cli.add_command(_command)
# The 诉访分离 hand-over's commands join `leian litigation` (detect / list / step live in workflow.py).
for _command in handover.COMMANDS:
    workflow.litigation.add_command(_command)


def register_commands() -> None:
    """Ready the CLI to run: commands are registered at import; this adds log masking (idempotent)."""
    install_log_masking()


def main() -> None:
    register_commands()
    cli(prog_name="leian")


__all__ = ["cli", "main", "register_commands"]
