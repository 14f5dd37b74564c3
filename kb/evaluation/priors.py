"""The competition's category taxonomy (一级/二级/三级分类) as class terms for ``leian eval routing``.

Measured on ``gov_messages_labeled`` (docs/quality.md, "Routing"): the taxonomy's second/third-level
terms (e.g. 城管执法, 物业服务) describe each first-level domain. The features built from them
(``PriorFeatures``) and ``title_of`` live in ``kb.routing_features``, shared with the product; the
taxonomy itself is specific to that label set and stays here, in the harness.
"""

from __future__ import annotations

import json
from pathlib import Path

from kb.errors import FieldProblem, InvalidInputError
from kb.routing_features import TITLE_MAX_CHARS, VAGUE, PriorFeatures, title_of

__all__ = ["TITLE_MAX_CHARS", "PriorFeatures", "Taxonomy", "load_taxonomy", "title_of"]
Taxonomy = dict[str, list[str]]


def load_taxonomy(path: Path | str) -> Taxonomy:
    """First-level class → its distinct second/third-level terms.

    Accepts ``{"rows": [{"level1", "level2", "level3"}, ...]}`` or the bare list of rows.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError([FieldProblem("taxonomy", f"无法读取分类体系文件 {path.name}：{exc}")]) from exc
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise InvalidInputError([FieldProblem("taxonomy", f"{path.name} 应为分类行列表或含 rows 的对象")])
    terms: dict[str, set[str]] = {}
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not isinstance(row.get("level1"), str) or not row["level1"].strip():
            raise InvalidInputError([FieldProblem("level1", f"{path.name} 第 {n} 条分类缺少一级分类", n)])
        bucket = terms.setdefault(row["level1"].strip(), set())
        for key in ("level2", "level3"):
            value = row.get(key)
            if isinstance(value, str) and value.strip() not in VAGUE:
                bucket.add(value.strip())
    return {label: sorted(found) for label, found in terms.items()}
