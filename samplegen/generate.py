"""Seeded, streaming generator of synthetic petition cases with ground truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from .stream import Record, Stream

DEFAULT_SEED = 20261127
DEFAULT_START = "2024-12-01"
DEFAULT_END = "2026-11-20"

CASE_KEYS = (
    "external_no",
    "title",
    "content",
    "received_date",
    "channel",
    "city",
    "district",
    "department",
    "category",
    "status",
    "resolution_note",
    "resolved_date",
    "litigation",
    "petitioner_name",
    "petitioner_id",
    "petitioner_phone",
    "participants",
    "origin",
    "backlog_list",
)


def iter_records(
    n: int, seed: int = DEFAULT_SEED, start: str = DEFAULT_START, end: str = DEFAULT_END
) -> Iterator[tuple[Record, Record]]:
    """Yield ``(case, truth)`` pairs lazily, in received-date order."""
    if n < 0:
        raise ValueError("n must be >= 0")
    return iter(Stream(n, seed, start, end))


def iter_cases(
    n: int, seed: int = DEFAULT_SEED, start: str = DEFAULT_START, end: str = DEFAULT_END
) -> Iterator[Record]:
    """Yield case dicts (the product import format) lazily."""
    for case, _ in iter_records(n, seed, start, end):
        yield case


def generate_cases(
    n: int, seed: int = DEFAULT_SEED, start: str = DEFAULT_START, end: str = DEFAULT_END
) -> list[Record]:
    """Deterministic list of *n* synthetic cases for the given arguments."""
    return list(iter_cases(n, seed, start, end))


def write_samples(
    out_dir: Path,
    n: int = 2400,
    seed: int = DEFAULT_SEED,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
) -> None:
    """Write ``cases.jsonl`` and ``truth.jsonl`` (UTF-8, one object per line)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with (
        (out_dir / "cases.jsonl").open("w", encoding="utf-8") as fc,
        (out_dir / "truth.jsonl").open("w", encoding="utf-8") as ft,
    ):
        for case, truth in iter_records(n, seed, start, end):
            fc.write(json.dumps(case, ensure_ascii=False) + "\n")
            ft.write(json.dumps(truth, ensure_ascii=False) + "\n")
