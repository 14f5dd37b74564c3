"""Issue 20: a case file is imported from disk row by row (``stream_path``) with the same rows,
column spellings and Chinese errors as the in-memory reader."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import openpyxl
import pytest

from kb.domain import SearchFilters
from kb.errors import InvalidInputError
from kb.readers import read_path, stream_path
from kb.service import LeianService

HEADER = "序号,登记编号,标题,内容,受理日期,地市,备注"
ROWS = [
    "1,R-1,欠薪,包工头拖欠三个月工资两万元,2026-11-20,广州市,已电话联系",
    '2,R-2,物业,"物业公司乱收停车费，\n且不出示依据",2026-11-21,深圳市,',
    "3,R-3,征地,征地补偿款迟迟不到位,2026年11月22日,珠海市,",
]


def _files(tmp: Path) -> list[Path]:
    text = "\n".join([HEADER, *ROWS]) + "\n"
    (tmp / "a.csv").write_text(text, encoding="utf-8")
    (tmp / "gbk.csv").write_bytes(text.encode("gbk"))
    lines = [
        json.dumps({"登记编号": f"J-{i}", "内容": f"第{i}件反映拖欠工资", "受理日期": "2026-11-20"}) for i in range(5)
    ]
    (tmp / "b.jsonl").write_text("\n".join(lines[:3]) + "\n\n" + "\n".join(lines[3:]) + "\n", encoding="utf-8")
    with gzip.open(tmp / "c.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "登记编号", "内容", "受理日期"])
    for i in range(4):
        ws.append([i, f"X-{i}", "征地补偿款迟迟不到位，村民多次反映无果", "2026-11-26"])
    wb.save(tmp / "d.xlsx")
    return [tmp / "a.csv", tmp / "gbk.csv", tmp / "b.jsonl", tmp / "c.jsonl.gz", tmp / "d.xlsx"]


def test_streamed_rows_equal_the_in_memory_reader(tmp_path: Path) -> None:
    for path in _files(tmp_path):
        whole = read_path(path)
        streamed = stream_path(path)
        assert list(streamed.rows) == whole.rows, path.name
        assert (streamed.columns, streamed.ignored) == (whole.columns, whole.ignored), path.name
        assert streamed.estimate >= len(whole.rows) - 1, path.name


def test_streamed_import_is_all_or_nothing_with_chinese_errors(tmp_path: Path, service: LeianService) -> None:
    good = _files(tmp_path)[0]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([HEADER, *ROWS, "4,R-4,欠薪,内容,2026-02-30,广州市,"]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        service.ingest_table(stream_path(path))
    assert err.value.problems[0].field == "受理日期" and err.value.problems[0].row == 6
    assert service.list_cases(SearchFilters())[1] == 0
    with pytest.raises(InvalidInputError) as strict:
        service.ingest_table(stream_path(good, strict=True))
    assert "未知列" in strict.value.problems[0].message
    assert service.list_cases(SearchFilters())[1] == 0
    report = service.ingest_table(stream_path(good))
    assert report.created == 3 and report.ignored_columns == ["序号", "备注"]
    assert service.get_case_by_external("R-2").content.startswith("物业公司乱收停车费，\n且不出示依据")


def test_a_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n' * 100)[:-20])
    with pytest.raises(InvalidInputError):
        stream_path(path)
