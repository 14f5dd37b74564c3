"""What a petition names: companies, platforms, estates (小区), projects (工地), employers, villages.

Tokens only (the segmenter's output, so stored tokens are enough and no text is re-read). A token
names something when

1. the project dictionary marks it a proper noun (``nz`` in ``indexing/resources/userdict.txt`` or a
   deployment's own dictionary: 快运通, 临港物流园, 恒达建筑), or
2. it is not a common word (not in jieba's main dictionary) and ends with a naming suffix
   (汇景花园, 原南华糖厂, 龙塘村, 星河酒店), or
3. it is not a common word and the next token is a naming suffix (联兴电子 + 厂, 鑫源 + 小区).

Used by group discovery (a name block in the hybrid features, so cases about the same named
respondent, platform, estate or project group at the grain of one matter) and by repeat detection
(same named respondent as evidence).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache

from indexing.segment import _fresh_tokenizer, _read_lines, default_userdict

__all__ = ["AMOUNT", "SUFFIXES", "amounts", "names"]

# Suffixes that make a preceding name a company, platform, estate, project, employer or place.
SUFFIXES: tuple[str, ...] = (
    "有限公司", "公司", "集团", "平台", "小区", "花园", "华庭", "家园", "苑", "湾", "广场", "项目",
    "工地", "工程", "厂", "村", "物流园", "产业园", "工业园", "医院", "学校", "中学", "小学", "酒店",
    "商场", "市场", "楼盘", "大厦", "公寓", "山庄", "新城",
)  # fmt: skip
_SUFFIX_SET = frozenset(SUFFIXES)
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# Money written in the text (59090元, 8万元, 3.5万): the amount evidence of repeat detection.
AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万)?\s*元|(\d+(?:\.\d+)?)\s*万")
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _dictionaries() -> tuple[frozenset[str], frozenset[str]]:
    """(common words of jieba's main dictionary, proper nouns of the project dictionary)."""
    with _LOCK:
        common = frozenset(_fresh_tokenizer().FREQ)
    proper = set()
    for line in _read_lines(default_userdict()):
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "nz":
            proper.add(parts[0])
    return common, frozenset(proper)


def _named(token: str, common: frozenset[str]) -> bool:
    return len(token) >= 2 and token not in common and bool(_CJK.match(token))


def names(tokens: Sequence[str], extra: Iterable[str] = ()) -> list[str]:
    """Distinct names in ``tokens`` in order of first mention (``extra``: more proper nouns)."""
    common, proper = _dictionaries()
    proper = proper | frozenset(extra) if extra else proper
    out: dict[str, None] = {}
    for i, tok in enumerate(tokens):
        if tok in proper:
            out[tok] = None
        elif not _named(tok, common) or tok in _SUFFIX_SET:
            continue
        elif len(tok) >= 3 and tok.endswith(SUFFIXES):
            out[tok] = None
        elif i + 1 < len(tokens) and tokens[i + 1] in _SUFFIX_SET:
            out[tok + tokens[i + 1]] = None
    return list(out)


def amounts(text: str) -> set[int]:
    """Money amounts a text names, in yuan (8万元 → 80000)."""
    found: set[int] = set()
    for m in AMOUNT.finditer(text):
        number = m.group(1) or m.group(3)
        wan = m.group(2) or m.group(3)
        try:
            value = float(number) * (10_000 if wan else 1)
        except ValueError:
            continue
        if value >= 100:
            found.add(round(value))
    return found
