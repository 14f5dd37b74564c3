"""Registry of all issue types (category -> department, templates, topics)."""

from __future__ import annotations

from .issues import ISSUE_TYPES
from .model import IssueType, Topic

BY_NAME: dict[str, IssueType] = {it.name: it for it in ISSUE_TYPES}

CATEGORY_DEPARTMENT: dict[str, str] = {it.name: it.department for it in ISSUE_TYPES}

LITIGATION_CATEGORIES: frozenset[str] = frozenset(it.name for it in ISSUE_TYPES if it.litigation)


def all_topics() -> list[tuple[IssueType, Topic]]:
    """Every recurring (issue type, topic) pair."""
    return [(it, tp) for it in ISSUE_TYPES for tp in it.topics]


# Slot values that are generic descriptions rather than synthetic names.
_GENERIC = frozenset(
    (
        "前夫",
        "前妻",
        "孩子的父亲",
        "外地的大医院",
        "市人民医院",
        "省城的肿瘤医院",
        "妇幼保健院",
        "镇卫生院",
        "出租屋",
        "公办学校",
        "公办初中",
        "民办学校",
        "工业区宿舍",
        "区土地储备中心",
        "区土地开发中心",
        "镇城建办",
        "老城片区",
        "对方车主及其投保的保险公司",
        "原国营农场",
        "原县运输公司",
        "原粮食局下属企业",
        "电子信息产业园",
        "高速公路互通立交",
        "高铁东站片区开发",
    )
)


def entity_names() -> list[str]:
    """Synthetic entity names (companies, estates, platforms ...) of recurring topics.

    Used to build the jieba user dictionary.
    """
    # "project" and "site" values are descriptive phrases ("汇景花园二期"); their
    # name parts are listed in lexicon.EXTRA_NAMES instead.
    keys = (
        "company",
        "platform",
        "pcompany",
        "factory",
        "estate",
        "pm",
        "developer",
        "builder",
        "shop",
        "hospital",
        "lessor",
        "opponent",
        "school",
        "village",
    )
    out: set[str] = set()
    for _, tp in all_topics():
        for key in keys:
            value = tp.slots.get(key)
            values = value if isinstance(value, tuple) else (value,)
            for v in values:
                if not v or v in _GENERIC or "{" in v or "“" in v or v.endswith("某"):
                    continue
                if key == "opponent" and not v.endswith("公司"):
                    continue
                out.add(v)
    return sorted(out)
