"""Exports never carry live formulas, and model-case codes and export file names stay in their folder."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pydantic import ValidationError

from kb.audit import AuditFilter
from kb.exportsafe import safe_cell, unsafe_cell
from kb.modelcases import io as mcio
from kb.modelcases import library
from kb.modelcases.domain import ModelCaseIn
from kb.service import LeianService
from kb.tabular import to_xlsx
from kb.users import Principal
from kb.workflow import exports
from kb.workflow.reports import Report, TrendPoint, UnitRow

HOSTILE = [
    '=HYPERLINK("http://evil.example","点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
    "＝1+1",
]
REVIEWER = Principal(12, "r", "reviewer", "审查员乙")


@pytest.mark.parametrize("value", HOSTILE)
def test_safe_cell_neutralises_formula_prefixes(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert unsafe_cell(safe_cell(value)) == value


@pytest.mark.parametrize("value", [12, 3.5, None, True, "广州市", "+1.5pp", "-2.0pp", "35.0%", "", "'quoted"])
def test_safe_cell_keeps_numbers_figures_and_plain_text(value: object) -> None:
    assert safe_cell(value) == value


def _report(unit: str) -> Report:
    row = UnitRow(unit, received=3, resolved=1, change_resolution_rate=-0.02)
    return Report(
        unit,
        "city",
        "2025-03-03",
        "2025-03-09",
        None,
        [row],
        UnitRow("合计", received=3),
        [TrendPoint(unit, 3, 0.5, 0.1)],
    )


def _is_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r", "＝"))


@pytest.mark.parametrize("value", HOSTILE)
def test_report_csv_and_xlsx_write_hostile_units_as_text(value: str) -> None:
    report = _report(value)
    lines = list(csv.reader(io.StringIO(exports.to_csv(report).decode("utf-8-sig"))))
    cells = [c for line in lines for c in line]
    assert "'" + value in cells and not any(_is_formula(c) for c in cells if c not in ("-2.0pp",))
    book = load_workbook(io.BytesIO(exports.to_xlsx(report)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert not _is_formula(cell.value) or cell.value == "-2.0pp"
    # XML stores a CR as LF; what matters is the leading quote.
    assert book["督查报表"]["A3"].value.startswith("'")


def test_audit_csv_writes_a_hostile_username_as_text(service: LeianService) -> None:
    service.sessions.login('=HYPERLINK("http://evil.example","x")', "wrong-password")
    service.audit.record(None, "test.event", "user", "@SUM(1)", {"note": "=1+1"}, username="+cmd")
    rows = list(csv.reader(io.StringIO("".join(service.audit.export_csv(AuditFilter())).lstrip("\ufeff"))))
    cells = [c for row in rows[1:] for c in row]
    assert not any(_is_formula(c) for c in cells), cells
    assert '\'=HYPERLINK("http://evil.example","x")' in cells and "'+cmd" in cells and "'@SUM(1)" in cells


def _draft(code: str | None, **extra: object) -> ModelCaseIn:
    return ModelCaseIn(
        code=code, title="拖欠工资", summary='=HYPERLINK("http://evil.example")', steps=["-1+1", "核实"], **extra
    )  # type: ignore[arg-type]


def test_model_case_xlsx_has_no_formulas_and_round_trips(service: LeianService) -> None:
    mc = service.modelcases.create(_draft("MC-X-1", cautions=["@先核实"]), REVIEWER)
    data = mcio.to_xlsx([service.modelcases.get(mc.id, REVIEWER)])
    book = load_workbook(io.BytesIO(data))
    for row in book.active.iter_rows():
        for cell in row:
            assert cell.data_type != "f" and not _is_formula(cell.value), (cell.coordinate, cell.value)
    ((_, raw),) = mcio.from_xlsx(data)
    assert raw["summary"] == '=HYPERLINK("http://evil.example")' and raw["cautions"] == ["@先核实"]


BAD_CODES = [
    "../../etc/passwd",
    "../x",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "C:\\x",
    "..",
    "x..y",
    ".hidden",
    "-x",
    "a b",
    "a\x00b",
    "a" * 65,
    "编号/..",
    "%2e%2e",
]


@pytest.mark.parametrize("code", BAD_CODES)
def test_hostile_model_case_codes_are_refused_with_a_chinese_message(code: str) -> None:
    from kb.messages import problems_from

    with pytest.raises(ValidationError) as err:
        _draft(code)
    (problem,) = problems_from(err.value, None)
    assert problem.field == "code"
    assert "编号" in problem.message or len(code) > 64, problem.message


@pytest.mark.parametrize("code", ["MC-2025-001", "广州-2025.1", "A", "x_y"])
def test_ordinary_codes_are_accepted(code: str) -> None:
    assert _draft(code).code == code


@pytest.mark.parametrize("code", ["../../evil", "/abs/evil", "..\\..\\evil", "a/../../b", "README", "C:evil"])
def test_export_names_are_confined_even_for_stored_hostile_codes(
    service: LeianService, code: str, tmp_path: Path
) -> None:
    mc = service.modelcases.create(_draft("MC-OK-1"), REVIEWER)
    hostile = dataclasses.replace(service.modelcases.get(mc.id, REVIEWER), code=code)
    with zipfile.ZipFile(io.BytesIO(library.markdown_zip([hostile]))) as zf:
        names = zf.namelist()
    assert names[0] == "README.md" and len(set(names)) == 2
    for name in names:
        assert "/" not in name and "\\" not in name and ".." not in name and ":" not in name, name
        assert mcio.confined_path(tmp_path, name).parent == tmp_path.resolve()
    with pytest.raises(ValueError):
        mcio.confined_path(tmp_path, "../escape.md")


def test_cli_markdown_export_writes_only_inside_out(service: LeianService, tmp_path: Path) -> None:
    from api.cli import cli, register_commands

    mc = service.modelcases.create(_draft("MC-OK-2"), REVIEWER)
    # A code stored before codes were validated (or written by hand into the database).
    with service.db.transaction() as tx:
        tx.execute("UPDATE model_cases SET code = ? WHERE id = ?", ("../../escaped", mc.id))
    data_dir = service.settings.data_dir
    service.close()
    out = tmp_path / "deep" / "out"
    register_commands()
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(data_dir),
            "--encoder",
            "hashing",
            "modelcases",
            "export",
            "--format",
            "md",
            "--status",
            "draft",
            "--out",
            str(out),
        ],
        env={"LEIAN_PETITIONER_KEY": "test-secret-key"},
    )
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "escaped.md").exists() and not (tmp_path / "deep" / "escaped.md").exists()
    written = sorted(p.name for p in out.iterdir())
    assert "README.md" in written and len(written) == 2


# -- file modes --------------------------------------------------------------------------------------
def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_data_directory_database_index_and_backups_are_owner_only(tmp_path: Path, segmenter) -> None:  # type: ignore[no-untyped-def]
    import os

    from indexing.encoders.hashing import HashingEncoder
    from kb import backup
    from tests.conftest import make_settings
    from tests.helpers import rows

    old = os.umask(0o022)  # the usual default: files 0644 unless the code says otherwise
    try:
        settings = make_settings(tmp_path / "data")
        svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
        try:
            svc.ingest(rows())
            assert _mode(settings.data_dir) == 0o700
            for name in ("leian.db", "leian.db-wal", "leian.db-shm", "vectors.index"):
                assert _mode(settings.data_dir / name) == 0o600, name
            backup.backup(settings, tmp_path / "bk")
        finally:
            svc.close()
        assert _mode(tmp_path / "bk") == 0o700
        files = sorted((tmp_path / "bk").iterdir())
        assert {p.name for p in files} >= {"leian.db", "manifest.json", "vectors.index"}
        for path in files:
            assert _mode(path) == 0o600, path.name
        target = make_settings(tmp_path / "restored")
        backup.restore(target, tmp_path / "bk")
        for path in target.data_dir.iterdir():
            assert _mode(path) == 0o600, path.name
        # A database left world-readable by an older release is tightened when opened.
        os.chmod(settings.db_path, 0o644)
        LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter).close()
        assert _mode(settings.db_path) == 0o600
    finally:
        os.umask(old)


def test_workbook_cells_drop_control_characters_and_stay_formula_safe() -> None:
    """A control character (typed into a filter or stored in a title) once failed the whole XLSX."""
    data = to_xlsx("清单", ["领导", "标题"], [["王\x1d局长", '=HYPERLINK("x")\x07']])
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[2]] == ["王局长", '\'=HYPERLINK("x")']
