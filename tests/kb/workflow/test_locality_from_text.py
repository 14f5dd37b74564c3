"""Locality from the text (issue 19): a place the petition names beats the routing classifier."""

from __future__ import annotations

from typing import Any

from kb.service import LeianService
from kb.units.catalog import UnitCatalog
from kb.units.gazetteer import Gazetteer
from kb.units.rows import bundled_rows
from tests.conftest import auth
from tests.kb.workflow.test_workflow import WAGES, handled, ingest


def gazetteer() -> Gazetteer:
    return Gazetteer(UnitCatalog(r.unit for r in bundled_rows()))


def test_gazetteer_reads_cities_districts_and_towns() -> None:
    g = gazetteer()
    place = g.city_in("韶关市曲江区马坝镇某采石场老板拖欠我的石料运输费")
    assert place is not None and place.city == "韶关市" and place.label == "韶关市、曲江区"
    assert g.city_in("湛江市某投资公司以高息为诱饵非法集资").city == "湛江市"  # type: ignore[union-attr]
    assert g.city_in("我在曲江区一个工地干活，老板欠钱不给").city == "韶关市"  # type: ignore[union-attr]
    assert g.city_in("我在虎门镇一家工厂上班").city == "东莞市"  # type: ignore[union-attr]
    # Suffix-less district spellings are ordinary words unless their city is named beside them.
    assert g.city_in("金湾花园小区物业乱收费，和平路商铺也有意见") is None
    assert g.city_in("珠海市金湾的工地").city == "珠海市"  # type: ignore[union-attr]
    assert g.city_in("老板拖欠工资不给") is None


def routed(service: LeianService) -> None:
    rows = [handled(f"W{i}", WAGES.replace("八万", f"{i + 2}万"), "省人力资源社会保障厅", "揭阳市") for i in range(8)]
    ingest(service, *rows)


def test_text_place_beats_the_classifier_and_a_conflict_is_marked(service: LeianService) -> None:
    routed(service)
    plain = service.workflow.suggest(text="建筑工地老板拖欠工资不给，农民工讨薪无门")["city"]
    assert plain.value == "揭阳市" and plain.place is None and plain.conflict is None
    found = service.workflow.suggest(text="韶关市曲江区建筑工地老板拖欠工资不给，农民工讨薪无门")["city"]
    assert found.value == "韶关市" and found.place == "韶关市、曲江区"
    assert found.conflict == "揭阳市" and found.low_confidence
    assert "不一致" in found.message and "揭阳市" in found.message
    district_only = service.workflow.suggest(text="我在曲江区一个工地干活，包工头拖欠工资")["city"]
    assert district_only.value == "韶关市" and district_only.place == "曲江区"
    agree = service.workflow.suggest(text="揭阳市工地拖欠农民工工资三个月")["city"]
    assert agree.value == "揭阳市" and agree.conflict is None and not agree.low_confidence
    assert "文中地名" in agree.message


def test_api_answer_carries_place_and_conflict(service: LeianService, client: Any, tokens: dict[str, str]) -> None:
    routed(service)
    r = client.post(
        "/api/workflow/route",
        json={"text": "湛江市某建筑公司拖欠农民工工资"},
        headers=auth(tokens["handler"]),
    )
    assert r.status_code == 200, r.text
    city = r.json()["city"]
    assert city["value"] == "湛江市" and city["place"] == "湛江市" and city["conflict"] == "揭阳市"
    assert city["low_confidence"] is True
