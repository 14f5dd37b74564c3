"""The petitioner view and manual repeat links on real storage: scope, masking, detection never overriding."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.audit import AuditFilter
from kb.clock import FixedClock
from kb.errors import ConflictError, InvalidInputError, NotFoundError
from kb.service import LeianService
from kb.users import Principal
from tests.conftest import make_settings

WAGES = "某某建筑公司拖欠我们农民工工资三个月，共计八万元，包工头失联，请求劳动监察部门责令公司支付工资。"
SCHOOL = "孩子今年秋季入学被划到离家很远的学校，学区划分不合理，请求教育局重新核定学位安排。"
OTHER_SCHOOL = "小区配套小学迟迟未开办，适龄儿童只能跨区就读，希望教育部门尽快落实学位。"
ID = "440101199001011234"


def row(no: str, content: str, day: str, city: str = "广州市", **extra: Any) -> dict[str, Any]:
    return {"external_no": no, "title": f"反映{no}", "content": content, "received_date": day, "city": city, **extra}


@pytest.fixture
def svc(tmp_path: Path, segmenter: Segmenter) -> Iterator[LeianService]:
    service = LeianService(
        make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter, clock=FixedClock(dt.date(2025, 9, 1))
    )
    person = {"petitioner_id": ID, "petitioner_name": "李四"}
    service.ingest(
        [
            (1, row("P0", WAGES, "2024-12-01", "深圳市", **person)),
            (2, row("P1", "再次反映：" + WAGES, "2025-01-05", origin="省交办", backlog_list=True, **person)),
            (3, row("P2", WAGES.replace("三个月", "四个月"), "2025-02-10", **person)),
            (4, row("P3", SCHOOL, "2025-03-02", **person)),
            (5, row("Q1", OTHER_SCHOOL, "2025-05-01", petitioner_name="王五")),
        ]
    )
    yield service
    service.close()


@pytest.fixture
def people(svc: LeianService) -> dict[str, Principal]:
    def account(name: str, role: str, unit: str | None = None, scope: str | None = None) -> Principal:
        return svc.users.create(name, role, "Leian-test-2025", unit=unit, scope=scope)[0]

    return {"gz": account("gz", "handler", "广州市", "city"), "province": account("prov", "handler")}


def ids(svc: LeianService) -> dict[str, int]:
    return svc.case_ids_by_external(["P0", "P1", "P2", "P3", "Q1"])


def kinds(svc: LeianService, case_id: int) -> dict[str, dict[str, Any]]:
    return {link["kind"]: link for link in svc.workflow.links(case_id)}


# -- the petitioner view -----------------------------------------------------------------------------------
def test_the_view_lists_the_petitioners_cases_within_scope(svc: LeianService, people: dict[str, Principal]) -> None:
    n = ids(svc)
    key = svc.get_case(n["P1"]).petitioner_key
    assert key is not None
    everything = svc.petitioners.view(key, people["province"])
    assert [c.case.external_no for c in everything.cases] == ["P0", "P1", "P2", "P3"]
    assert (everything.first_date, everything.last_date, everything.case_count) == ("2024-12-01", "2025-03-02", 4)
    assert everything.repeat_count == 2  # P1 and P2 repeat P0's wage matter; P3 is another matter
    assert everything.petitioner_ref == key[:8] and everything.petitioner_name == "李四"
    p1 = everything.cases[1]
    assert (p1.case.values()["origin"], p1.case.values()["backlog_list"]) == ("省交办", True)
    assert [link["kind"] for link in p1.links] == ["repeat"] and p1.links[0]["other_id"] == n["P0"]

    mine = svc.petitioners.view(key[:8], people["gz"])  # the prefix shown on case responses works too
    assert [c.case.external_no for c in mine.cases] == ["P1", "P2", "P3"]  # 深圳市's case is left out
    assert mine.first_date == "2025-01-05"
    # ... and so are links to it: the 广州市 account does not learn that 深圳市 has the earlier case.
    assert all(link["other_id"] != n["P0"] for c in mine.cases for link in c.links)


def test_the_view_refuses_unknown_bad_and_out_of_scope_keys(svc: LeianService, people: dict[str, Principal]) -> None:
    with pytest.raises(NotFoundError):
        svc.petitioners.view("0" * 32, people["province"])
    with pytest.raises(InvalidInputError) as exc:
        svc.petitioners.view("李四", people["province"])
    assert exc.value.problems[0].field == "key"
    with pytest.raises(InvalidInputError):
        svc.petitioners.view("abc", people["province"])  # too short a prefix
    shenzhen = svc.users.create("sz", "handler", "Leian-test-2025", unit="深圳市", scope="city")[0]
    foshan = svc.users.create("fs", "handler", "Leian-test-2025", unit="佛山市", scope="city")[0]
    key = svc.get_case(ids(svc)["P1"]).petitioner_key or ""
    assert [c.case.external_no for c in svc.petitioners.view(key, shenzhen).cases] == ["P0"]
    with pytest.raises(NotFoundError):  # none of the petitioner's cases is 佛山市's
        svc.petitioners.view(key, foshan)


# -- manual links ------------------------------------------------------------------------------------------
def test_a_manual_link_points_the_later_case_at_the_earlier_and_survives_detection(
    svc: LeianService, people: dict[str, Principal]
) -> None:
    n = ids(svc)
    assert "repeat" not in kinds(svc, n["Q1"])
    # Asked from the earlier case: still stored on the later one (Q1), pointing at P3.
    done = svc.petitioners.link(n["P3"], n["Q1"], "同一学位问题，信访人换了联系方式", actor=people["gz"])
    assert done["later_repeats"] == 1
    link = kinds(svc, n["Q1"])["repeat"]
    assert (link["other_id"], link["manual"], link["repeat_count"]) == (n["P3"], True, 1)
    assert link["note"] == "同一学位问题，信访人换了联系方式"
    assert "重复信访（第 2 次）" in svc.workflow.flags_for([n["Q1"]])[n["Q1"]]

    svc.workflow.rescan()  # re-detection keeps what a person decided
    assert kinds(svc, n["Q1"])["repeat"]["manual"] is True
    with pytest.raises(ConflictError):
        svc.petitioners.link(n["Q1"], n["P3"], actor=people["gz"])


def test_a_manual_unlink_is_never_undone_by_detection(svc: LeianService, people: dict[str, Principal]) -> None:
    n, province = ids(svc), people["province"]
    detected = kinds(svc, n["P2"])["repeat"]["other_id"]  # P0 or P1, whichever is closer
    assert detected in (n["P0"], n["P1"]) and kinds(svc, n["P2"])["repeat"]["manual"] is False
    svc.petitioners.unlink(n["P2"], detected, "不同工地的两笔欠薪", actor=province)
    assert kinds(svc, n["P2"]).get("repeat", {}).get("other_id") != detected
    svc.workflow.rescan()  # the pair stays unlinked, whatever detection finds
    assert all(link["other_id"] != detected for link in svc.workflow.links(n["P2"]))
    with pytest.raises(NotFoundError):  # nothing left to unlink
        svc.petitioners.unlink(detected, n["P2"], actor=province)

    # Linking the pair by hand lifts the block.
    svc.petitioners.link(detected, n["P2"], actor=province)
    assert (kinds(svc, n["P2"])["repeat"]["other_id"], kinds(svc, n["P2"])["repeat"]["manual"]) == (detected, True)
    history = svc.petitioners.case_links(n["P2"], province)["history"]
    assert [(e["action"], e["action_label"], e["kinds"], e["actor"]) for e in history] == [
        ("unlink", "解除关联", "repeat", "prov"),
        ("link", "人工关联", "repeat", "prov"),
    ]
    assert history[0]["note"] == "不同工地的两笔欠薪" and history[0]["at"].startswith("2025-09-01T09:00")


def test_links_are_audited_and_need_both_cases_in_scope(svc: LeianService, people: dict[str, Principal]) -> None:
    n = ids(svc)
    with pytest.raises(NotFoundError):  # 深圳市's case is not 广州市's to link
        svc.petitioners.link(n["P3"], n["P0"], actor=people["gz"])
    with pytest.raises(NotFoundError):
        svc.petitioners.unlink(n["P1"], n["P0"], actor=people["gz"])
    with pytest.raises(InvalidInputError):
        svc.petitioners.link(n["P3"], n["P3"], actor=people["gz"])
    svc.petitioners.link(n["P3"], n["Q1"], actor=people["gz"])
    svc.petitioners.unlink(n["Q1"], n["P3"], actor=people["gz"])
    events, _ = svc.audit.query(AuditFilter(action="workflow"))
    assert [(e["action"], e["record_id"], e["username"]) for e in reversed(events)] == [
        ("workflow.link", str(n["P3"]), "gz"),
        ("workflow.unlink", str(n["Q1"]), "gz"),
    ]
    assert events[0]["detail"] == {"other_id": n["P3"], "kinds": ["repeat"]}


def test_the_link_history_hides_another_units_case(svc: LeianService, people: dict[str, Principal]) -> None:
    n = ids(svc)
    svc.petitioners.link(n["P3"], n["P0"], "联系电话13812345678的同一人", actor=people["province"])
    key = svc.get_case(n["P3"]).petitioner_key or ""
    mine = svc.petitioners.view(key, people["gz"])
    assert [(e["case_id"], e["other_id"], e["action"]) for e in mine.link_history] == [(n["P3"], None, "link")]
    assert "13812345678" not in (mine.link_history[0]["note"] or "")
    p3 = next(c for c in mine.cases if c.case.external_no == "P3")
    assert [(link["other_id"], link["other_external_no"], link["manual"]) for link in p3.links] == [
        (None, "其他单位案件", True)
    ]
    full = svc.petitioners.view(key, people["province"])
    assert [(e["case_id"], e["other_id"]) for e in full.link_history] == [(n["P3"], n["P0"])]
