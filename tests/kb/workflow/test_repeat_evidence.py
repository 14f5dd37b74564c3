"""Issue 19: repeat petitions linked on evidence (cue words, same category and place, same named party and amount)."""

from __future__ import annotations

import numpy as np
import pytest

from indexing.entities import amounts, names
from indexing.segment import Segmenter
from kb.workflow.repeats import Candidate, NewCase, RepeatSettings, judge_repeat


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter()


def _new(seg: Segmenter, text: str, category: str, city: str, district: str) -> NewCase:
    return NewCase(2, "2025-03-09", "k", text, np.zeros(4, np.float32), seg.tokens(text), category, city, district)


def _old(seg: Segmenter, text: str, category: str, city: str, district: str) -> Candidate:
    return Candidate(1, text, seg.tokens(text), category, city, district)


def test_same_petitioner_eight_days_later_with_a_cue_is_linked_at_077(seg: Segmenter) -> None:
    first = _old(
        seg,
        "反映小区物业乱收停车费。金湾花园物业公司今年把停车费从每月300元涨到500元，没有经过业主大会表决。",
        "物业纠纷", "珠海市", "金湾区",
    )  # fmt: skip
    again = _new(
        seg,
        "上次反映的金湾花园停车费问题，物业至今没有答复，停车费照样按500元收取，再次请求主管部门查处。",
        "物业纠纷", "珠海市", "金湾区",
    )  # fmt: skip
    best, passing = judge_repeat(again, [(first, 0.77)], RepeatSettings())
    assert best is not None and best[0] == 1 and passing == 1
    assert any(e.startswith("复访用语") for e in best[2]), best[2]
    # Without evidence the old bar (0.80) still applies: the same pair without cue and place is not linked.
    bare = NewCase(2, "2025-03-09", "k", "物业费问题", np.zeros(4), seg.tokens("物业费问题"), "其他", "广州市", None)
    assert judge_repeat(bare, [(first, 0.77)], RepeatSettings())[0] is None


def test_same_id_next_day_same_project_boss_and_amount_is_linked_at_071(seg: Segmenter) -> None:
    first = _old(
        seg,
        "佛山市禅城区汇景花园二期工地拖欠工资。我跟着包工头刘某在恒达建筑工程有限公司承建的汇景花园二期做木工，被拖欠工资38000元。",
        "拖欠农民工工资", "佛山市", "禅城区",
    )  # fmt: skip
    again = _new(
        seg,
        "再次反映禅城区工地欠薪问题。汇景花园二期的包工头刘某至今没有支付拖欠我的工资38000元，恒达建筑推给包工头。",
        "拖欠农民工工资", "佛山市", "禅城区",
    )  # fmt: skip
    best, _ = judge_repeat(again, [(first, 0.71)], RepeatSettings())
    assert best is not None and best[0] == 1
    found = " ".join(best[2])
    assert "复访用语" in found and "同类别同地区" in found and "同一被反映对象与金额" in found and "38000" in found
    # Below the evidence bar nothing is linked: the same petitioner's unrelated earlier case stays apart.
    other = _old(seg, "反映门诊特定病种医保报销被驳回，请求医保分局复核。", "医保报销", "佛山市", "禅城区")
    assert judge_repeat(again, [(other, 0.5)], RepeatSettings())[0] is None


def test_names_and_amounts_are_read_from_the_text(seg: Segmenter) -> None:
    tokens = seg.tokens("我在快运通上接单，临港物流园仓库工地，联兴电子厂欠薪")
    found = names(tokens)
    assert "快运通" in found and "临港物流园" in found and any(n.startswith("联兴电子") for n in found), found
    assert amounts("拖欠运输费8万元，另有59090元，还有3.5万") == {80000, 59090, 35000}
