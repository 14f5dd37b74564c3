"""Group families sharing a dominant category get distinct displayed names (issue 19)."""

from __future__ import annotations

from kb.groups.families import distinct_names


def test_a_unique_category_keeps_its_plain_name() -> None:
    assert distinct_names({1: "货运平台纠纷", 2: "物业管理纠纷"}, {1: ["运费"], 2: ["电梯"]}) == {
        1: "货运平台纠纷",
        2: "物业管理纠纷",
    }


def test_families_sharing_a_category_are_told_apart_by_their_keywords() -> None:
    names = distinct_names(
        {1: "拖欠农民工工资", 2: "拖欠农民工工资", 3: "物业管理纠纷"},
        {1: ["工地", "包工头", "工程款"], 2: ["工厂", "工资", "加班费"], 3: ["物业费"]},
    )
    assert names == {1: "拖欠农民工工资：工地、包工头", 2: "拖欠农民工工资：工厂、加班费", 3: "物业管理纠纷"}


def test_more_keywords_then_an_ordinal_when_names_still_collide() -> None:
    names = distinct_names(
        {1: "征地补偿", 2: "征地补偿", 3: "征地补偿", 4: "征地补偿"},
        {1: ["补偿款", "村民", "耕地"], 2: ["补偿款", "村民", "鱼塘"], 3: [], 4: []},
        {3: 5, 4: 9},
    )
    assert names[1] == "征地补偿：补偿款、村民、耕地" and names[2] == "征地补偿：补偿款、村民、鱼塘"
    assert names[4] == "征地补偿" and names[3] == "征地补偿（二）"  # the larger keeps the plain name
    assert len(set(names.values())) == 4


def test_keywords_already_in_the_name_are_skipped() -> None:
    names = distinct_names({1: "网约车平台纠纷", 2: "网约车平台纠纷"}, {1: ["平台", "押金"], 2: ["平台", "封号"]})
    assert names == {1: "网约车平台纠纷：押金", 2: "网约车平台纠纷：封号"}
