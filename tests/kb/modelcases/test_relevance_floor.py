"""Relevance floors and display stop-words (issue 19)."""

from __future__ import annotations

from indexing.display import display_stopwords, shown
from kb.modelcases import library
from kb.modelcases.guidance import DENSE_FLOOR, LOW_RELEVANCE, is_low, look_up
from kb.service import LeianService
from kb.units.gazetteer import Gazetteer

WAGE = (
    "我在佛山市南海区一个工地干活，包工头拖欠我们十二个农民工三个月工资共八万元，讨薪无门，请求劳动监察部门责令支付。"
)


def test_display_stopwords_are_never_shown() -> None:
    stops = display_stopwords()
    assert {"帮", "只想", "懂", "讨", "公道", "我家", "不了", "一案", "节没上"} <= stops
    assert shown(["公道", "欠薪", "帮", "运费", "一案"]) == ["欠薪", "运费"]


def test_nonsense_gets_no_matching_guidance(service: LeianService) -> None:
    library.load_samples(service.modelcases)
    _, hits = look_up(service.modelcases, text="asdfgh qwerty 12345", k=5)
    assert hits and all(h.low_relevance for h in hits)
    assert all(h.reasons[0].startswith(LOW_RELEVANCE) for h in hits)


def test_wage_letter_does_not_get_the_land_premium_case_as_relevant(service: LeianService) -> None:
    library.load_samples(service.modelcases)
    _, hits = look_up(service.modelcases, text=WAGE, k=5)
    assert hits[0].model_case.data.category == "拖欠农民工工资" and not hits[0].low_relevance
    for h in hits:
        assert not set(h.matched_terms) & display_stopwords()
        if "出让金" in h.model_case.data.title:
            assert h.low_relevance
    relevant = [h.model_case.data.title for h in hits if not h.low_relevance]
    assert "开发商欠缴出让金致小区办证难的历史遗留处理" not in relevant


def test_sharing_only_place_names_is_below_the_floor(service: LeianService) -> None:
    places = Gazetteer(service.kernel.units)
    # The review's case: a wage letter and 开发商欠缴出让金致小区办证难 share only 佛山市 / 南海区.
    assert is_low(["佛山市", "南海区"], DENSE_FLOOR - 0.1, places)
    assert is_low([], None, places)
    assert not is_low(["佛山市", "欠薪"], DENSE_FLOOR - 0.1, places)
    assert not is_low(["佛山市"], DENSE_FLOOR + 0.1, places)  # the wording is close enough
