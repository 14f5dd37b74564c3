"""Hostile upload shapes answer a clear 422 (not a 500), and parsing never blocks the event loop."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.readers import MAX_JSON_DEPTH, read_table
from kb.service import LeianService
from tests.conftest import auth

ROW = {"external_no": "L-1", "content": "小区电梯坏了三个月无人维修。", "received_date": "2025-05-01", "city": "广州市"}


def _error(client: TestClient, url: str, name: str, data: bytes) -> dict:
    r = client.post(url, files={"file": (name, data, "application/octet-stream")})
    assert r.status_code == 422, (r.status_code, r.text[:300])
    return r.json()["error"]


def test_a_jsonl_line_nested_100000_deep_is_422_naming_the_line(client: TestClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    data = (json.dumps(ROW, ensure_ascii=False) + "\n" + deep + "\n").encode("utf-8")
    err = _error(client, "/api/cases/import", "cases.jsonl", data)
    assert "嵌套" in err["message"] and err["details"][0]["row"] == 2
    nested = json.dumps({**ROW, "title": json.loads("[" * 40 + "]" * 40)})  # parsed, yet deeper than 32
    assert "嵌套" in _error(client, "/api/cases/import", "cases.jsonl", nested.encode())["message"]


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "嵌套"),
        ('{"model_cases": ' + "[" * (MAX_JSON_DEPTH + 5) + "]" * (MAX_JSON_DEPTH + 5) + "}", "嵌套"),
        ("[1,2,3]", "第 1 条记录应为 JSON 对象"),
        ('{"model_cases": [{"title": "甲", "code": "A-1"}, "x"]}', "第 2 条记录应为 JSON 对象"),
        ('{"model_cases": 5}', "model_cases"),
    ],
)
def test_hostile_model_case_json_is_422(
    service: LeianService, tokens: dict[str, str], payload: str, words: str
) -> None:
    with TestClient(create_app(service), raise_server_exceptions=False, headers=auth(tokens["reviewer"])) as c:
        err = _error(c, "/api/modelcases/import", "library.json", payload.encode())
    assert words in err["message"] or words in json.dumps(err["details"], ensure_ascii=False)


def _sheet_with_a_far_row(row: int) -> bytes:
    """A small XLSX (a few KB) whose one data cell sits at ``row``: a million-row sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(ROW))
    ws.append(list(ROW.values()))
    ws.cell(row=row, column=1, value="尾")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_xlsx_of_a_million_rows_stops_at_the_row_limit(service: LeianService, tokens: dict[str, str]) -> None:
    data = _sheet_with_a_far_row(1_000_000)
    assert len(data) < 40_000 and zipfile.is_zipfile(io.BytesIO(data))
    with pytest.raises(Exception, match="行上限"):
        read_table(data, "xlsx", max_rows=1000)
    with TestClient(
        create_app(service.__class__(service.settings.with_(max_import_rows=1000), encoder=service.kernel.encoder)),
        raise_server_exceptions=False,
        headers=auth(tokens["admin"]),
    ) as c:
        err = _error(c, "/api/cases/import", "big.xlsx", data)
    assert "1000 行上限" in err["message"] and "LEIAN_MAX_IMPORT_ROWS" in err["message"]
    assert read_table(_sheet_with_a_far_row(500), "xlsx", max_rows=1000).rows  # within the limit: read


def test_parsing_an_upload_does_not_block_other_requests(service: LeianService, tokens: dict[str, str]) -> None:
    """While a big file is parsed, a health check is answered: the parse runs in a worker thread.

    Ordering, not timing: parsing on the event loop would finish the import before the health
    request is even read (both go through one event loop here)."""
    lines = [json.dumps({**ROW, "external_no": f"P-{i}"}, ensure_ascii=False) for i in range(150_000)]
    data = ("\n".join(lines) + "\n" + "[" * 100_000 + "]" * 100_000).encode("utf-8")  # refused at the end
    app = create_app(service)

    async def run() -> tuple[bool, int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=auth(tokens["admin"])) as ac:
            upload = asyncio.create_task(
                ac.post("/api/cases/import", files={"file": ("big.jsonl", data, "application/x-ndjson")})
            )
            await asyncio.sleep(0.5)  # let the upload be read and its parsing start
            health = await ac.get("/api/health")
            upload_done_first = upload.done()
            return upload_done_first, health.status_code, (await upload).status_code

    upload_done_first, health_status, upload_status = asyncio.run(run())
    assert health_status == 200 and upload_status == 422
    assert not upload_done_first
