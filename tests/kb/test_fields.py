"""The case-field table: every door filters alike, exports re-import, and a new row needs nothing else."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import cli, register_commands
from api.schemas.cases import CaseOut, FiltersIn
from kb import fields
from kb.domain import Case, CaseIn, CaseInCore, CaseUpdate, SearchFilters
from kb.readers import read_rows
from kb.service import LeianService
from kb.storage.cases import filter_sql
from tests.conftest import REPO
from tests.helpers import ROWS, rows

LITIGATION_NO = "T-003"


@pytest.fixture
def seeded(service: LeianService) -> None:
    data = [{**r, "litigation": r["external_no"] == LITIGATION_NO} for r in ROWS]
    service.ingest(rows(data))


def _numbers(page: dict) -> set[str]:
    return {c["external_no"] for c in page["items"]}


def test_models_follow_the_table() -> None:
    names = [f.name for f in fields.CASE_FIELDS]
    assert list(CaseIn.model_fields) == names
    assert set(CaseUpdate.model_fields) == {f.name for f in fields.CASE_FIELDS if f.updatable}
    stored = {f.name for f in fields.stored_fields()}
    assert stored <= set(Case.__dataclass_fields__) and stored <= set(CaseOut.model_fields)
    # The hand-written core spells types the table agrees with, and takes the table's limits.
    for name, info in CaseInCore.model_fields.items():
        row = fields.field(name)
        assert row.type in (info.annotation, *getattr(info.annotation, "__args__", ())), name
        assert any(getattr(m, "max_length", None) == row.max_length for m in info.metadata) or row.max_length is None
    assert set(FiltersIn.model_fields) == {p for f in fields.filter_fields() for p in f.params}


def test_search_filters_keep_their_typed_accessors() -> None:
    filters = SearchFilters(cities=["广州市"], statuses=["pending"], litigation=True)
    moved = dataclasses.replace(filters, cities=["深圳市"])
    assert moved.cities == ["深圳市"] and moved.statuses == ["pending"] and moved.litigation is True
    assert SearchFilters().is_empty() and not filters.is_empty()
    assert SearchFilters(by_field={"channel": ("来访",)}).channels == ["来访"]
    where, params = filter_sql(filters)
    assert where == "1=1 AND city IN (?) AND status IN (?) AND litigation = ?" and params == ["广州市", "pending", 1]


def test_case_list_filters_by_channel_and_litigation(client: TestClient, seeded: None) -> None:
    assert _numbers(client.get("/api/cases", params={"channel": ["来访", "热线"]}).json()) == {"T-001", "T-003"}
    assert _numbers(client.get("/api/cases", params={"litigation": "true"}).json()) == {LITIGATION_NO}
    page = client.get("/api/cases", params={"litigation": "false", "channel": "热线"}).json()
    assert page["total"] == 0
    # Same filters, same limits as the search body: an unknown channel is a 422 on both doors.
    assert client.get("/api/cases", params={"channel": "电报"}).status_code == 422
    assert client.post("/api/search", json={"text": "工资", "filters": {"channel": ["电报"]}}).status_code == 422
    hits = client.post("/api/search", json={"text": "物业", "filters": {"litigation": True}}).json()["hits"]
    assert [h["case"]["external_no"] for h in hits] == [LITIGATION_NO]


def _cli(data_dir: Path, *args: str) -> str:
    register_commands()
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "--encoder", "hashing", *args], env={"LEIAN_PETITIONER_KEY": "k" * 32}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_search_filters_by_channel_and_litigation(tmp_path: Path) -> None:
    source = tmp_path / "cases.jsonl"
    data = [{**r, "litigation": r["external_no"] == LITIGATION_NO} for r in ROWS]
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in data), encoding="utf-8")
    _cli(tmp_path, "ingest", str(source), "--workers", "1")

    def found(*options: str) -> set[str]:
        out = json.loads(_cli(tmp_path, "search", "工资 物业 污染", "-k", "20", "--json", *options))
        return {h["case"]["external_no"] for h in out}

    assert found("--channel", "来访", "--channel", "热线") == {"T-001", "T-003"}
    assert found("--litigation") == {LITIGATION_NO}
    assert LITIGATION_NO not in found("--no-litigation")
    assert found("--city", "广州市", "--from", "2025-04-01") <= {"T-003", "T-005"}


def test_facets_and_export_come_from_the_table(client: TestClient, seeded: None) -> None:
    facets = client.get("/api/facets").json()
    assert list(facets) == [f.name for f in fields.facet_fields()]
    res = client.get("/api/cases/export", params={"channel": "来访"})
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    parsed = list(read_rows(res.content, "csv"))
    assert [r["external_no"] for _, r in parsed] == ["T-001"]
    row = parsed[0][1]
    assert row["petitioner_name"] == "张*"  # masked as on screen
    # The Chinese headers read back as field names, and the row validates as an import row again.
    assert set(row) == {f.name for f in fields.export_fields()}
    assert CaseIn.model_validate(row).status.value == "pending"


# The worked example of docs/architecture.md: one row, one migration, nothing else edited.
WORKED_EXAMPLE = textwrap.dedent(
    """
    import json, sys, tempfile
    from pathlib import Path

    from kb import fields
    fields.CASE_FIELDS = (*fields.CASE_FIELDS, fields.CaseField(
        "risk_level", str, "风险等级", ("风险级别",), choices=("高", "中", "低"),
        filter="multi", filter_max=3, facet=True,
    ))
    import kb.schema as schema
    import kb.storage.migrations as migrations
    from kb.storage.migrate import Migration
    version = max(m.version for m in schema.ALL_MIGRATIONS) + 1  # the next free number
    risk = Migration(version, "cases: risk level", "ALTER TABLE cases ADD COLUMN risk_level TEXT;")
    migrations.MIGRATIONS.append(risk)  # declared by its owner ...
    schema.ALL_MIGRATIONS = schema.assemble([*schema.ALL_MIGRATIONS, risk], schema.DECLARED)  # ... and listed

    from click.testing import CliRunner
    from fastapi.testclient import TestClient
    from api.app import create_app
    from api.cli import cli, register_commands
    from indexing.encoders.hashing import HashingEncoder
    from kb.errors import InvalidInputError
    from kb.readers import read_rows
    from kb.service import LeianService
    from kb.settings import Settings

    out = {}
    data_dir = Path(tempfile.mkdtemp())
    service = LeianService(Settings(data_dir=data_dir, petitioner_key="k" * 32), encoder=HashingEncoder())
    header = "登记编号,内容,受理日期,地市,风险等级\\n"
    try:
        service.ingest(read_rows((header + "R-9,拖欠工资,2025-01-01,广州市,极高\\n").encode(), "csv"))
    except InvalidInputError as exc:
        out["invalid"] = [(p.field, p.message) for p in exc.problems]
    csv = header + "R-1,包工头拖欠工资,2025-01-01,广州市,高\\nR-2,工地拖欠工资,2025-01-02,深圳市,低\\n"
    service.ingest(read_rows(csv.encode(), "csv"))
    out["stored"] = service.get_case_by_external("R-1").risk_level
    _, token = service.users.create("admin", "admin", "password-123")
    with TestClient(create_app(service)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        out["list"] = [c["external_no"] for c in client.get("/api/cases?risk_level=高").json()["items"]]
        body = {"text": "拖欠工资", "filters": {"risk_level": ["低"]}}
        out["search"] = [h["case"]["external_no"] for h in client.post("/api/search", json=body).json()["hits"]]
        out["facet"] = client.get("/api/facets").json()["risk_level"]
        out["export"] = client.get("/api/cases/export?risk_level=高").content.decode("utf-8-sig").splitlines()
        case_id = service.get_case_by_external("R-2").id
        out["update"] = client.patch(f"/api/cases/{case_id}", json={"risk_level": "中"}).json()["risk_level"]
    service.close()
    register_commands()
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "--encoder", "hashing",
                                      "search", "拖欠工资", "--json", "--risk-level", "中"])
    out["cli"] = [h["case"]["external_no"] for h in json.loads(result.output)]
    print(json.dumps(out, ensure_ascii=False))
    """
)


def test_adding_a_filterable_field_is_one_row_and_one_migration() -> None:
    # A fresh interpreter, so the row is in the table before any model is built from it,
    # exactly as if it had been written into kb/fields.py.
    env = {**os.environ, "PYTHONPATH": str(REPO), "LEIAN_PETITIONER_KEY": "k" * 32}
    proc = subprocess.run(
        [sys.executable, "-c", WORKED_EXAMPLE], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["invalid"] == [["risk_level", "风险等级应为 高/中/低 之一"]]
    assert out["stored"] == "高"
    assert out["list"] == ["R-1"]
    assert out["search"] == ["R-2"]
    assert sorted((f["value"], f["count"]) for f in out["facet"]) == [("低", 1), ("高", 1)]
    assert out["export"][0].endswith(",风险等级") and out["export"][1].endswith(",高")
    assert out["update"] == "中"
    assert out["cli"] == ["R-2"]


def test_web_pages_list_the_table(service: LeianService, tokens: dict[str, str]) -> None:
    with TestClient(create_app(service)) as client:
        assert client.post("/api/auth/login", json={"username": "u_handler", "password": "password-123"}).is_success
        workbench = client.get("/").text
        for f in fields.filter_fields():
            assert f'name="{f.params[0]}"' in workbench, f.name
        assert 'id="f-channel"' in workbench and 'id="f-litigation"' in workbench
        page = client.get("/import").text
        assert all(f"<code>{f.name}</code>" in page for f in fields.CASE_FIELDS)
