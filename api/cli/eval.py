"""`leian eval TASK`: measured quality on JSON Lines datasets, baselines in the same run."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from api.cli.common import friendly_errors, open_service, settings_from
from kb.evaluation import datasets, report
from kb.evaluation.engine import Engine

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
# Looked up beside the routing data when --taxonomy is not given (the layout of ../shared/eval).
TAXONOMY_NAME = "gov_category_taxonomy.json"


def _bar(label: str, total: int) -> Any:
    return click.progressbar(length=total, label=label, show_eta=True, file=sys.stderr)


def _engine(ctx: click.Context) -> Engine:
    return Engine(settings_from(ctx), tracker=_bar)


def _finish(result: report.Result, json_out: Path | None, md_out: Path | None) -> None:
    report.write(result, json_out, md_out)
    click.echo(report.to_markdown(result))
    for line in report.summary_lines(result):
        click.echo(line)


def outputs(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--md-out", type=click.Path(dir_okay=False, path_type=Path), help="写出 Markdown 结果")(fn)
    return click.option("--json-out", type=click.Path(dir_okay=False, path_type=Path), help="写出 JSON 结果")(fn)


@click.group("eval")
def eval_group() -> None:
    """质量评测：在 JSON Lines 数据集上对比 BM25、稠密向量与混合检索（同一次运行）。"""


@eval_group.command()
@click.option("--corpus", required=True, type=FILE, help="语料：id、text，可选 group")
@click.option("--queries", required=True, type=FILE, help="查询：id、text、relevance（语料编号 → 0–3）")
@click.option("--pool-field", help="每个查询只在该字段取值相同的已标注候选中排序（LeCaRD 协议），如 group")
@outputs
@click.pass_context
@friendly_errors
def retrieval(
    ctx: click.Context, corpus: Path, queries: Path, pool_field: str | None, json_out: Path | None, md_out: Path | None
) -> None:
    """检索评测：P@5、P@10、MAP（3 级为相关）、NDCG@10/20/30。"""
    from kb.evaluation.retrieval import evaluate_retrieval

    rows, qrows = datasets.load("corpus", corpus), datasets.load("queries", queries)
    result = evaluate_retrieval(rows, qrows, _engine(ctx), pool_field=pool_field, dataset=corpus.name)
    _finish(result, json_out, md_out)


@eval_group.command()
@click.option("--data", required=True, type=FILE, help="三元组：id、text_a、text_b、text_c、label（B 或 C）")
@click.option("--compare-long-text", is_flag=True, help="另算截断与分块两种长文本处理的稠密/混合结果")
@outputs
@click.pass_context
@friendly_errors
def triplets(
    ctx: click.Context, data: Path, compare_long_text: bool, json_out: Path | None, md_out: Path | None
) -> None:
    """三元组评测：A 的相似案件中 B 是否排在 C 之前（准确率）。"""
    from kb.evaluation.triplets import evaluate_triplets, long_text_variants

    engine = _engine(ctx)
    variants = long_text_variants(engine.encoder) if compare_long_text else None
    result = evaluate_triplets(datasets.load("triplets", data), engine, data.name, variants)
    _finish(result, json_out, md_out)


@eval_group.command()
@click.option("--train", type=FILE, help="训练集：id、text、label")
@click.option("--test", type=FILE, help="测试集：id、text、label")
@click.option("--data", type=FILE, help="单个带标注文件，做 k 折交叉验证")
@click.option("--folds", default=5, show_default=True, help="交叉验证折数")
@click.option("--unlabeled", type=FILE, help="可选：无标注文本（id、text），用于自训练")
@click.option(
    "--taxonomy",
    type=FILE,
    help=f"分类体系 JSON（level1/level2/level3），用作类别先验；缺省时使用数据文件同目录下的 {TAXONOMY_NAME}（若存在）",
)
@click.option("--no-taxonomy", is_flag=True, help="不使用分类体系先验")
@click.option(
    "--nested", is_flag=True, help="嵌套交叉验证（配合 --data）：内层交叉验证选配置，外层各折评分，报告均值±标准差"
)
@click.option("--inner-folds", default=3, show_default=True, help="嵌套交叉验证的内层折数")
@outputs
@click.pass_context
@friendly_errors
def routing(
    ctx: click.Context,
    train: Path | None,
    test: Path | None,
    data: Path | None,
    folds: int,
    unlabeled: Path | None,
    taxonomy: Path | None,
    no_taxonomy: bool,
    nested: bool,
    inner_folds: int,
    json_out: Path | None,
    md_out: Path | None,
) -> None:
    """分流评测：准确率、宏平均 F1、各类 F1、混淆矩阵。用 --train/--test 或 --data/--folds。"""
    from kb.evaluation.priors import load_taxonomy
    from kb.evaluation.routing import evaluate_routing, evaluate_routing_nested

    if nested and data is None:
        raise click.UsageError("--nested 需要 --data（在同一文件上做嵌套交叉验证）")
    if inner_folds < 2:
        raise click.UsageError("--inner-folds 至少为 2")
    if data is not None and (train or test):
        raise click.UsageError("--data 与 --train/--test 只能二选一")
    if data is None and not (train and test):
        raise click.UsageError("请给出 --train 和 --test，或 --data（配合 --folds）")
    if folds < 2:
        raise click.UsageError("--folds 至少为 2")
    extra = [r["text"] for r in datasets.load("corpus", unlabeled)] if unlabeled else []
    beside = (data or train or Path(".")).parent / TAXONOMY_NAME
    tax_path = None if no_taxonomy else taxonomy or (beside if beside.is_file() else None)
    tax = load_taxonomy(tax_path) if tax_path else None
    engine = _engine(ctx)
    if nested:
        assert data is not None
        result = evaluate_routing_nested(
            datasets.load("labelled", data),
            engine,
            folds=folds,
            inner_folds=inner_folds,
            unlabeled=extra,
            taxonomy=tax,
            dataset=data.name,
        )
    elif data is not None:
        result = evaluate_routing(
            datasets.load("labelled", data), None, engine, folds=folds, unlabeled=extra, taxonomy=tax, dataset=data.name
        )
    else:
        assert train is not None and test is not None
        tr, te = datasets.load("labelled", train), datasets.load("labelled", test)
        name = f"{train.name} → {test.name}"
        result = evaluate_routing(tr, te, engine, unlabeled=extra, taxonomy=tax, dataset=name)
    if tax_path:
        result["notes"].append(f"taxonomy priors from {tax_path.name}")
    _finish(result, json_out, md_out)


@eval_group.command()
@click.option("--data", required=True, type=FILE, help="id、text，可选 label（全部行参与聚类，只对带 label 的行评分）")
@click.option("--threshold", default=0.5, show_default=True, help="基线聚类的平均相似度阈值")
@outputs
@click.pass_context
@friendly_errors
def clustering(ctx: click.Context, data: Path, threshold: float, json_out: Path | None, md_out: Path | None) -> None:
    """聚类评测：NMI、ARI、V-measure、未归组比例、组数。"""
    from kb.evaluation.clustering import evaluate_clustering

    result = evaluate_clustering(datasets.load("corpus", data), _engine(ctx), data.name, threshold)
    _finish(result, json_out, md_out)


@eval_group.command()
@click.option("--data", required=True, type=FILE, help="文件：id、text、group（同组即重复）")
@click.option("-k", default=10, show_default=True, help="每行取的近邻数")
@outputs
@click.pass_context
@friendly_errors
def duplicates(ctx: click.Context, data: Path, k: int, json_out: Path | None, md_out: Path | None) -> None:
    """重复件评测：同组配对在近邻中的召回率与精确率。"""
    from kb.evaluation.duplicates import evaluate_duplicates

    result = evaluate_duplicates(datasets.load("grouped", data), _engine(ctx), k, data.name)
    _finish(result, json_out, md_out)


@eval_group.command("feedback")
@click.pass_context
@friendly_errors
def feedback_eval(ctx: click.Context) -> None:
    """相关性标注作为评测数据：已标注结果的精确率，以及按标注重排序在留出检索上的效果。

    留出评测：有标注的检索按内容分 5 折，每条检索只用其他折的标注重排序，以它自己的标注为准，
    比较重排序前后的 AP（标为相关的案件在已标注案件中的平均精确率）与相关/不相关成对排序正确率。
    """
    from kb.feedback.heldout import evaluate_marks

    with open_service(ctx) as service:
        summary = service.feedback.precision()
        held = evaluate_marks(service.kernel, service.feedback)
        enabled = service.settings.feedback_ranking
    click.echo("| 结果 | 标注条数 | 标为相关 | 已标注结果的精确率 |\n|---|---|---|---|")
    for target, label in (("case", "类案检索结果"), ("modelcase", "典型案例")):
        s = summary[target]
        p = "—" if s["precision"] is None else f"{s['precision']:.3f}"
        click.echo(f"| {label} | {s['marks']} | {s['relevant']} | {p} |")

    def fmt(x: float | None) -> str:
        return "—" if x is None else f"{x:.3f}"

    click.echo(
        f"\n按标注重排序（LEIAN_FEEDBACK_RANKING={'on' if enabled else 'off'}），留出检索 {held.scored} 条"
        f"（有标注的检索 {held.queries} 条，其中同时有相关与不相关标注的才计分）："
    )
    click.echo("| 指标 | 重排序前 | 重排序后 |\n|---|---|---|")
    click.echo(f"| AP（相关标注在已标注案件中的平均精确率） | {fmt(held.ap_before)} | {fmt(held.ap_after)} |")
    click.echo(f"| 成对排序正确率（相关排在不相关之前的比例） | {fmt(held.pairs_before)} | {fmt(held.pairs_after)} |")
    for target in ("case", "modelcase"):
        click.echo(f"{target}_precision: {summary[target]['precision']}")
    click.echo(f"heldout_ap_before: {held.ap_before}")
    click.echo(f"heldout_ap_after: {held.ap_after}")
