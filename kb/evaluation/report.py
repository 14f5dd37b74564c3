"""Evaluation results: one dict shape for every task, written as JSON, Markdown and summary lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Result = dict[str, Any]


def new_result(task: str, dataset: str, config: dict[str, Any], configured: str) -> Result:
    """``systems`` maps a system name to its flat metrics; ``configured`` names the product's own."""
    return {"task": task, "dataset": dataset, "config": config, "configured": configured, "systems": {}, "notes": []}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def summary_lines(result: Result) -> list[str]:
    """One ``name: value`` line per scalar metric of the configured system."""
    metrics = result["systems"].get(result["configured"], {})
    return [f"{name}: {_fmt(value)}" for name, value in scalar_metrics(metrics).items()]


def to_markdown(result: Result) -> str:
    systems: dict[str, dict[str, Any]] = result["systems"]
    names: list[str] = []
    for metrics in systems.values():
        names.extend(n for n in scalar_metrics(metrics) if n not in names)
    config = ", ".join(f"{k}={v}" for k, v in result["config"].items())
    lines = [f"### {result['task']} · {result['dataset']}", "", f"Configuration: {config}", ""]
    lines.append("| system | " + " | ".join(names) + " |")
    lines.append("|---" * (len(names) + 1) + "|")
    for system, metrics in systems.items():
        mark = " (configured)" if system == result["configured"] else ""
        cells = [_fmt(metrics[n]) if n in metrics else "" for n in names]
        lines.append(f"| {system}{mark} | " + " | ".join(cells) + " |")
    configured = systems.get(result["configured"], {})
    if "per_class_f1" in configured:
        lines += [
            "",
            "Per-class F1 (configured): " + ", ".join(f"{k} {v:.3f}" for k, v in configured["per_class_f1"].items()),
        ]
    if "confusion" in configured:
        labels = configured["labels"]
        lines += ["", "Confusion matrix (rows = truth, columns = predicted):", ""]
        lines.append("| truth \\ predicted | " + " | ".join(labels) + " |")
        lines.append("|---" * (len(labels) + 1) + "|")
        lines += [
            f"| {lab} | " + " | ".join(str(c) for c in row) + " |"
            for lab, row in zip(labels, configured["confusion"], strict=True)
        ]
    if result["notes"]:
        lines += ["", *[f"- {note}" for note in result["notes"]]]
    return "\n".join(lines) + "\n"


def write(result: Result, json_out: Path | None = None, md_out: Path | None = None) -> None:
    for path, body in (
        (json_out, json.dumps(result, ensure_ascii=False, indent=2)),
        (md_out, to_markdown(result) if md_out else ""),
    ):
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(body + ("\n" if not body.endswith("\n") else ""), encoding="utf-8")
