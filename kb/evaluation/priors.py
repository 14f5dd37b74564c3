"""Class-prior features for routing: titles and a category taxonomy (一级/二级/三级分类).

Measured on ``gov_messages_labeled`` (docs/quality.md, "Routing"): a message's title names the
matter in a few words, and the taxonomy's second/third-level terms (e.g. 城管执法, 物业服务)
describe each first-level domain. Both are turned into a handful of dense features per class.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from kb.errors import FieldProblem, InvalidInputError

Taxonomy = dict[str, list[str]]
# Placeholder categories that say nothing about the domain.
_VAGUE = {"其他", "其它", ""}
_TITLE_END = re.compile(r"[\n。]")
TITLE_MAX_CHARS = 80


def title_of(text: str) -> str:
    """The title of a message: its first line (evaluation files) or up to the first 。 (case text)."""
    head = _TITLE_END.split(text.strip(), maxsplit=1)[0]
    return head[:TITLE_MAX_CHARS]


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
            if isinstance(value, str) and value.strip() not in _VAGUE:
                bucket.add(value.strip())
    return {label: sorted(found) for label, found in terms.items()}


def _bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


class PriorFeatures:
    """Per-class features: taxonomy term hits in the text, and title bigrams unique to one class.

    Columns follow ``classes``; a class missing from the taxonomy gets zero columns.
    """

    def __init__(
        self, taxonomy: Mapping[str, Sequence[str]], classes: Sequence[str], term_weight: float, title_weight: float
    ) -> None:
        self.classes = list(classes)
        self.terms = [list(taxonomy.get(c, ())) for c in self.classes]
        grams = [{g for term in terms for g in _bigrams(term)} for terms in self.terms]
        shared = Counter(g for per_class in grams for g in per_class)
        # A bigram counts only for the one class whose terms use it (e.g. 物业 → 城乡建设).
        self.unique = [{g for g in per_class if shared[g] == 1} for per_class in grams]
        self.term_weight, self.title_weight = term_weight, title_weight

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 2 * len(self.classes)), np.float32)
        for row, text in enumerate(texts):
            title = _bigrams(title_of(text))
            for col, (terms, unique) in enumerate(zip(self.terms, self.unique, strict=True)):
                out[row, col] = sum(text.count(term) for term in terms)
                out[row, len(self.classes) + col] = sum(1 for g in title if g in unique)
        out = np.log1p(out)
        out[:, : len(self.classes)] *= self.term_weight
        out[:, len(self.classes) :] *= self.title_weight
        return out
