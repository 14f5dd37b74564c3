"""What a group is about and where it sits: keyword filters, readable names, spread and repeat share."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from indexing.display import display_stopwords
from kb.domain import Case


def _words(block: str) -> list[str]:
    return block.split()


# Prefecture-level cities of Guangdong and their districts/counties: place names say where a
# group's cases are, not what they are about, so they never become keywords or names.
CITIES = _words(
    """
广州 深圳 珠海 汕头 佛山 韶关 河源 梅州 惠州 汕尾 东莞 中山 江门 阳江
湛江 茂名 肇庆 清远 潮州 揭阳 云浮
"""
)
DISTRICTS = _words(
    """
越秀 海珠 荔湾 天河 白云 黄埔 番禺 花都 南沙 从化 增城 福田 罗湖 南山
盐田 宝安 龙岗 龙华 坪山 光明 香洲 斗门 金湾 金平 龙湖 濠江 潮阳 潮南
澄海 南澳 禅城 南海 顺德 三水 高明 武江 浈江 曲江 乐昌 南雄 始兴 仁化
翁源 新丰 乳源 源城 东源 和平 龙川 紫金 连平 梅江 梅县 兴宁 平远 蕉岭
大埔 丰顺 五华 惠城 惠阳 博罗 惠东 龙门 海丰 陆丰 陆河 莞城 南城 东城
万江 石碣 石龙 茶山 石排 企石 横沥 桥头 谢岗 东坑 常平 寮步 樟木头 大朗
黄江 清溪 塘厦 凤岗 大岭山 长安 虎门 厚街 沙田 道滘 洪梅 麻涌 望牛墩 中堂
高埗 石岐 五桂山 小榄 古镇 横栏 东凤 南头 黄圃 三角 港口 沙溪 大涌 三乡
坦洲 板芙 东升 阜沙 神湾 蓬江 江海 新会 台山 开平 鹤山 恩平 江城 阳东
阳春 阳西 赤坎 霞山 坡头 麻章 雷州 廉江 吴川 遂溪 徐闻 茂南 电白 高州
化州 信宜 端州 鼎湖 高要 四会 广宁 怀集 封开 德庆 清城 清新 英德 连州
佛冈 阳山 连山 连南 湘桥 潮安 饶平 榕城 揭东 普宁 揭西 惠来 云城 云安
罗定 新兴 郁南 广东 广东省 全省
"""
)
_SUFFIXES = ("", "市", "区", "县", "镇", "街道", "省")
PLACE_NAMES: frozenset[str] = frozenset(p + s for p in CITIES + DISTRICTS for s in _SUFFIXES)
# Pseudonymised places in public data ("A市", "a3区") and generic administrative words.
_PSEUDO_PLACE = re.compile(r"^[a-z]\d*(市|区|县|镇)?$")
BOILERPLATE = frozenset(
    _words(
        """
反映 要求 希望 问题 解决 领导 相关 部门 情况 您好 请问 谢谢 尽快 政府
有关 我们 他们 目前 现在 已经 没有 一直 多次 处理 答复 信访 来信 来访
事项 诉求 请求 恳请 协调 落实 核实 依法 维护 合法权益 申请 办理 时间 今年
去年 年月
"""
    )
)


def is_noise_term(term: str) -> bool:
    return (
        term in PLACE_NAMES
        or term in BOILERPLATE
        or term in display_stopwords()  # generic wording never shown (indexing/display.py)
        or bool(_PSEUDO_PLACE.match(term))
    )


def excluded_terms(vocabulary: Iterable[str]) -> set[str]:
    return {t for t in vocabulary if is_noise_term(t)}


def group_name(keywords: Sequence[str], categories: Counter[str]) -> str:
    """A readable name: the dominant category (when one holds most members) and the top keywords."""
    words = "、".join(keywords[:3]) or "未命名"
    if categories:
        category, n = categories.most_common(1)[0]
        if n >= 0.6 * sum(categories.values()):
            return f"{category}：{words}"
    return words


def spread(values: Iterable[str | None], top: int = 10) -> list[dict[str, Any]]:
    counts = Counter(v or "（未填）" for v in values)
    total = sum(counts.values()) or 1
    return [{"name": k, "count": n, "share": round(n / total, 3)} for k, n in counts.most_common(top)]


def repeat_share(cases: Sequence[Case]) -> float:
    """Share of members whose petitioner also filed another case of the same group."""
    keys = Counter(c.petitioner_key for c in cases if c.petitioner_key)
    repeats = sum(1 for c in cases if c.petitioner_key and keys[c.petitioner_key] > 1)
    return round(repeats / len(cases), 3) if cases else 0.0


def suggest_lead(cases: Sequence[Case], chosen: str | None) -> dict[str, Any] | None:
    """The department set for batch handling, else the one handling most members."""
    if chosen:
        return {"name": chosen, "source": "batch", "share": None}
    counts = Counter(c.department for c in cases if c.department)
    if not counts:
        return None
    name, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"name": name, "source": "members", "share": round(n / len(cases), 3)}


def describe(cases: Sequence[Case]) -> dict[str, Any]:
    dates = sorted(c.received_date for c in cases)
    return {
        "size": len(cases),
        "cities": spread(c.city for c in cases),
        "departments": spread(c.department for c in cases),
        "categories": spread(c.category for c in cases),
        "date_from": dates[0] if dates else None,
        "date_to": dates[-1] if dates else None,
        "repeat_share": repeat_share(cases),
        "litigation_share": round(sum(c.litigation for c in cases) / len(cases), 3) if cases else 0.0,
        "statuses": dict(Counter(c.status for c in cases)),
    }
