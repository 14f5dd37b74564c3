"""The unit table and service: seeding, add and import (all or nothing, admin only, audited), the
catalog reloaded after writes, and every case write validated against it."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.audit import AuditFilter
from kb.domain import CaseIn, CaseUpdate
from kb.errors import ConflictError, InvalidInputError, PermissionDeniedError
from kb.service import LeianService
from kb.users import Principal
from tests.conftest import make_settings
from tests.helpers import ROWS, rows

HANDLER = Principal(7, "wang", "handler")
ADMIN = Principal(8, "root", "admin")


def units_csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def test_the_bundled_data_is_seeded_once_into_an_empty_table(service: LeianService) -> None:
    assert service.kernel.unit_store.count() == 0  # lazily: nothing is read before the first use
    catalog = service.kernel.units
    seeded = service.kernel.unit_store.count()
    assert seeded == len(catalog) > 250 and len(catalog.cities()) == 21
    stored = service.kernel.unit_store.rows()
    assert {s.created_by for s in stored} == {"system"} and all(s.active for s in stored)
    assert service.kernel.units is catalog  # cached while nothing changed
    assert service.kernel.reload_units() is not catalog and service.kernel.unit_store.count() == seeded


def test_add_is_for_administrators_audited_and_visible_at_once(service: LeianService) -> None:
    with pytest.raises(PermissionDeniedError):
        service.units.add("深汕特别合作区", "district", "深圳市", actor=HANDLER)
    assert service.kernel.units.get("深汕特别合作区") is None
    places = service.kernel.gazetteer
    assert not places.is_place("深汕特别合作区") and service.kernel.gazetteer is places  # one per catalog

    unit = service.units.add("深汕特别合作区", "区县", "深圳", aliases=["深汕"], actor=ADMIN)
    assert (unit.name, unit.kind, unit.parent, unit.aliases) == ("深汕特别合作区", "district", "深圳市", ("深汕",))
    assert service.kernel.units.city_of("深汕") == "深圳市"
    assert service.kernel.units is service.kernel.units  # read again once after the write, then cached
    assert service.kernel.gazetteer is not places and service.kernel.gazetteer.is_place("深汕特别合作区")
    assert "深汕特别合作区" in [u.name for u in service.units.list(parent="深圳市")]
    events, _ = service.audit.query(AuditFilter(action="units"))
    assert [(e["action"], e["username"], e["record_id"]) for e in events] == [("units.add", "root", "深汕特别合作区")]
    assert service.kernel.unit_store.rows()[-1].created_by == "root"

    with pytest.raises(ConflictError, match="已存在"):
        service.units.add("深汕特别合作区", "district", "深圳市", actor=ADMIN)
    with pytest.raises(ConflictError, match="别名"):
        service.units.add("广州", "city", actor=ADMIN)
    with pytest.raises(InvalidInputError) as err:
        service.units.add("某区", "district", "火星市", actor=ADMIN)
    assert err.value.problems[0].field == "parent" and "火星市" in err.value.problems[0].message
    with pytest.raises(InvalidInputError) as err:
        service.units.add("某局", "bureau", actor=ADMIN)
    assert err.value.problems[0].field == "kind"


def test_list_filters_by_kind_code_or_label_and_by_parent_alias(service: LeianService) -> None:
    assert len(service.units.list(kind="city")) == len(service.units.list(kind="地级市")) == 21
    divisions = service.units.list(kind="division")
    assert [d.name for d in divisions] == [f"省信访局督查{n}处" for n in "一二三四"]
    assert [u.name for u in service.units.list(kind="district", parent="汕尾")] == [
        "城区",
        "海丰县",
        "陆丰市",
        "陆河县",
    ]
    with pytest.raises(InvalidInputError) as err:
        service.units.list(kind="town")
    assert err.value.problems[0].field == "kind"
    with pytest.raises(InvalidInputError) as err:
        service.units.list(parent="广洲市")
    assert "最接近的有：广州市" in err.value.problems[0].message


def test_import_is_all_or_nothing_and_names_rows_and_columns_as_the_file_spells_them(service: LeianService) -> None:
    before = len(service.kernel.units)
    data = units_csv(
        "名称,类型,上级单位,别名\n"
        "横琴粤澳深度合作区,区县,珠海市,横琴\n"  # fine on its own
        "某某区,区县,火星市,\n"  # unknown parent
        "某某局,局,,\n"  # unknown kind
        "另一区,区县,,\n"  # a district needs its city
        "再一区,区县,广州市,天河区\n",  # alias already another unit's name
        "gbk",
    )
    with pytest.raises(InvalidInputError) as err:
        service.units.import_file(data, "新增单位.csv", actor=ADMIN)
    found = {(p.row, p.field) for p in err.value.problems}
    assert found == {(3, "上级单位"), (4, "类型"), (5, "上级单位"), (6, "别名")}
    messages = {p.row: p.message for p in err.value.problems}
    assert messages[3] == "上级单位“火星市”不存在"
    assert "应为 省级、地级市、区县" in messages[4] and "须填写上级单位" in messages[5]
    assert "天河区" in messages[6]
    assert "第 4 行 字段 类型" in err.value.message
    assert service.kernel.unit_store.count() == before and service.kernel.units.get("横琴") is None
    assert service.audit.query(AuditFilter(action="units"))[1] == 0

    # English headers, a header's own spelling in errors, and a missing required column.
    with pytest.raises(InvalidInputError) as err:
        service.units.import_file(units_csv("name,kind,Parent\n甲区,district,\n"), "u.csv", actor=ADMIN)
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "Parent")]
    with pytest.raises(InvalidInputError) as err:
        service.units.import_file(units_csv("名称,上级\n甲区,广州市\n"), "u.csv", actor=ADMIN)
    assert [(p.row, p.field) for p in err.value.problems] == [(1, "类型")]
    with pytest.raises(InvalidInputError) as err:
        service.units.import_file(units_csv("名称,类型,备注\n甲区,区县,x\n"), "u.csv", actor=ADMIN)
    assert [(p.row, p.field) for p in err.value.problems] == [(1, "备注")]
    # Replacing a unit may not strand the units that hang under it.
    with pytest.raises(InvalidInputError) as err:
        service.units.import_file(units_csv("名称,类型\n珠海市,省直部门\n"), "u.csv", actor=ADMIN)
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (2, "类型")
    assert problem.message == "改为省直部门后，省信访局督查一处、香洲区、斗门区等 5 个单位的上级单位或覆盖地市不再有效"
    with pytest.raises(PermissionDeniedError):
        service.units.import_file(units_csv("名称,类型,上级\n甲区,区县,广州市\n"), "u.csv", actor=HANDLER)


def test_import_adds_and_updates_units_from_csv_and_xlsx(service: LeianService) -> None:
    data = units_csv(
        "名称,类型,上级单位,别名,覆盖地市\n"
        "横琴粤澳深度合作区,区县,珠海市,横琴,\n"
        "省信访局督查五处,督查处,省信访局,,广州、深圳市\n"  # cities by alias, listed with 、
        "省教育厅,省直部门,,教育厅、省教育部门,\n"  # an update: one more alias
    )
    report = service.units.import_file(data, "u.csv", actor=ADMIN)
    assert (report.created, report.updated) == (2, 1)
    catalog = service.kernel.units
    assert catalog.require("省信访局督查五处", "x").cities == ("广州市", "深圳市")
    assert catalog.get("省教育部门") == catalog.get("省教育厅") and catalog.city_of("横琴") == "珠海市"
    (event,) = service.audit.query(AuditFilter(action="units.import"))[0]
    assert event["detail"]["created"] == 2 and event["detail"]["updated"] == 1

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "单位类型", "上级", "启用"])
    ws.append(["横琴粤澳深度合作区", "district", "珠海市", "否"])  # deactivated
    ws.append(["香洲区", "区县", "珠海市", "是"])
    buf = io.BytesIO()
    wb.save(buf)
    report = service.units.import_file(buf.getvalue(), "停用.xlsx", actor=ADMIN)
    assert (report.created, report.updated) == (0, 2)
    assert service.kernel.units.get("横琴粤澳深度合作区") is None and service.kernel.units.get("香洲区") is not None


def test_a_unit_added_by_another_process_is_seen_without_a_restart(tmp_path: Path, segmenter: Segmenter) -> None:
    settings = make_settings(tmp_path)
    server = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    cli = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter, open_index=False)
    try:
        assert server.kernel.units.get("深汕特别合作区") is None
        cli.units.add("深汕特别合作区", "district", "深圳市", actor=ADMIN)
        assert server.kernel.units.get("深汕特别合作区") is not None
        server.create_case(CaseIn(**{**ROWS[1], "external_no": "N-1", "district": "深汕特别合作区"}))
    finally:
        cli.close()
        server.close()


# -- every case write is validated against the catalog ---------------------------------------------


def test_ingest_normalises_aliases_and_refuses_unknown_units_naming_row_and_field(service: LeianService) -> None:
    data = [dict(r) for r in ROWS]
    data[0].update(city="广州", district="天河区", department="省人社厅")
    service.ingest(rows(data[:1]))
    case = service.get_case_by_external("T-001")
    assert (case.city, case.district, case.department) == ("广州市", "天河区", "省人力资源社会保障厅")

    bad = [dict(r) for r in ROWS]
    bad[1]["city"] = "火星市"
    bad[2]["district"] = "福田区"  # a 深圳市 district on a 广州市 case
    bad[4]["department"] = "不存在的厅"
    with pytest.raises(InvalidInputError) as err:
        service.ingest(rows(bad))
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "city"), (3, "district"), (5, "department")]
    assert err.value.problems[0].message.startswith("未知单位“火星市”，最接近的有：")
    assert "不属于广州市" in err.value.problems[1].message
    assert service.cases.count() == 1  # nothing of the failed file was written


def test_create_and_update_are_validated_and_only_changed_unit_fields_are_checked(service: LeianService) -> None:
    with pytest.raises(InvalidInputError) as err:
        service.create_case(CaseIn(**{**ROWS[0], "city": "火星市"}))
    assert err.value.problems[0].field == "city"
    case = service.create_case(CaseIn(**{**ROWS[0], "city": "佛山", "district": None}))
    assert case.city == "佛山市"

    with pytest.raises(InvalidInputError) as err:
        service.update_case(case.id, CaseUpdate(department="不存在的厅"))
    assert err.value.problems[0].field == "department" and err.value.problems[0].row is None
    with pytest.raises(InvalidInputError) as err:
        service.update_case(case.id, CaseUpdate(district="天河区"))  # 广州市's, the case is 佛山市's
    assert "不属于佛山市" in err.value.problems[0].message
    updated = service.update_case(case.id, CaseUpdate(city="广州", district="天河区", department="省住建厅"))
    assert (updated.city, updated.district, updated.department) == ("广州市", "天河区", "省住房城乡建设厅")

    # A value stored before the catalog existed does not block an unrelated update.
    with service.db.transaction() as conn:
        service.cases.set_department(conn, case.id, "旧的部门名称")
    assert service.update_case(case.id, CaseUpdate(status="resolved")).department == "旧的部门名称"
