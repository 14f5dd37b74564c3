"""Import parsers under hostile bytes: any input gives rows or a clear InvalidInputError, nothing else."""

from __future__ import annotations

import csv
import gzip
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.errors import InvalidInputError
from kb.readers import read_rows

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


def parse(data: bytes, fmt: str) -> list:
    try:
        rows = list(read_rows(data, fmt))
    except InvalidInputError as exc:
        assert exc.message and exc.problems
        return []
    for line_no, row in rows:
        assert isinstance(line_no, int) and isinstance(row, dict)
    return rows


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["jsonl", "csv", "xlsx"]))
def test_random_bytes_never_crash_a_reader(data: bytes, fmt: str) -> None:
    parse(data, fmt)
    parse(b"\x1f\x8b" + data, fmt)  # looks gzipped but is not


@FUZZ
@given(st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=8), st.sampled_from(["utf-8", "gb18030"]))
def test_csv_tables_parse_or_fail_clearly(table: list[list[str]], encoding: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return
    parse(data, "csv")
    parse(gzip.compress(data), "csv")
    parse(data[: len(data) // 2], "csv")  # truncated mid-row


@FUZZ
@given(st.lists(st.one_of(st.dictionaries(cells, cells, max_size=4), st.integers(), st.text(max_size=20)), max_size=6))
def test_jsonl_lines_of_any_shape(values: list) -> None:
    data = "\n".join(json.dumps(v, ensure_ascii=False) for v in values).encode("utf-8")
    rows = parse(data, "jsonl")
    assert len(rows) <= len(values)


def _workbook() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["external_no", "content"])
    for i in range(100):
        workbook.active.append([f"A-{i}", "信访内容" * 10])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX = _workbook()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=6))
def test_damaged_xlsx_is_reported(flips: list[tuple[int, int]]) -> None:
    data = bytearray(XLSX)
    for position, value in flips:
        data[position] = value
    parse(bytes(data), "xlsx")
    parse(XLSX[: flips[0][0]], "xlsx")  # truncated
