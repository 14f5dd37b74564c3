"""Web login, the append-only audit log, personal-data masking (API, CSV, logs) and hostile input."""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.audit import AuditFilter
from kb.logmask import install_log_masking
from kb.service import LeianService
from kb.sessions import MAX_FAILURES
from tests.conftest import auth
from tests.helpers import ROWS

ID_NUMBER, PHONE, CARD = "440106199001011234", "13812345678", "6222021234567890123"


def _jsonl(rows: list[dict]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode("utf-8")


def _events(service: LeianService, **filters: str) -> list[dict]:
    return service.audit.query(AuditFilter(**filters), limit=1000)[0]


# -- web login -----------------------------------------------------------------------------------
def test_login_sets_strict_httponly_cookie_and_logout_revokes_it(service: LeianService, tokens: dict) -> None:
    with TestClient(create_app(service)) as web:
        assert web.get("/api/auth/me").status_code == 401
        r = web.post("/api/auth/login", json={"username": "u_handler", "password": "password-123"})
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        token = web.cookies.get("leian_session")
        assert token and token.startswith("ls_")
        # Only the hash is stored.
        stored = [row[0] for row in service.db.query("SELECT token_hash FROM sessions")]
        assert token not in stored and len(stored) == 1
        me = web.get("/api/auth/me").json()
        assert me["role"] == "handler" and "cases:write" in me["permissions"]
        assert web.get("/api/cases").status_code == 200
        assert web.post("/api/auth/logout", headers={"X-CSRF-Token": web.cookies["leian_csrf"]}).status_code == 204
        web.cookies.set("leian_session", token)
        assert web.get("/api/auth/me").status_code == 401


def test_wrong_password_is_401_audited_and_locks_after_repeated_failures(service: LeianService, tokens: dict) -> None:
    with TestClient(create_app(service)) as web:
        for _ in range(MAX_FAILURES):
            r = web.post("/api/auth/login", json={"username": "u_admin", "password": "wrong-password"})
            assert r.status_code == 401 and r.json()["error"]["message"] == "用户名或密码错误"
        r = web.post("/api/auth/login", json={"username": "u_admin", "password": "password-123"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "login_locked"
        assert len(_events(service, action="auth.login_failed")) == MAX_FAILURES
        assert len(_events(service, action="auth.login_locked")) == 1
        r = web.post("/api/auth/login", json={"username": "u_admin", "password": "x", "extra": 1})
        assert r.status_code == 422


def test_expired_session_is_rejected(service: LeianService, tokens: dict) -> None:
    result = service.sessions.login("u_analyst", "password-123")
    assert result is not None
    principal, token = result
    assert service.sessions.by_token(token) == principal
    with service.db.transaction() as conn:
        conn.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00+00:00'")
    assert service.sessions.by_token(token) is None


# -- audit log -----------------------------------------------------------------------------------
def test_audit_records_writes_reveals_exports_and_is_append_only(client: TestClient, service: LeianService) -> None:
    r = client.post("/api/cases/import", files={"file": ("c.jsonl", _jsonl(ROWS), "application/json")})
    assert r.status_code == 200
    case_id = client.get("/api/cases/by-external/T-005").json()["id"]
    client.get(f"/api/cases/{case_id}", params={"reveal": "true"})
    client.get(f"/api/cases/{case_id}")  # a masked read is not a personal-data read
    client.patch(f"/api/cases/{case_id}", json={"status": "resolved", "resolved_date": "2025-08-01"})
    client.delete(f"/api/cases/{case_id}")
    actions = [e["action"] for e in _events(service, username="u_admin")]
    assert actions.count("cases.import") == 1
    assert actions.count("cases.reveal") == 1
    assert "cases.update" in actions and "cases.delete" in actions
    reveal = _events(service, action="cases.reveal")[0]
    assert reveal["record_id"] == str(case_id) and reveal["role"] == "admin"

    export = client.get("/api/audit/export", params={"action": "cases"})
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert {r["action"] for r in rows} >= {"cases.import", "cases.reveal", "cases.update", "cases.delete"}
    assert _events(service, action="audit.export")

    for sql in ("UPDATE audit_events SET username = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"), service.db.transaction() as conn:
            conn.execute(sql)


def test_audit_api_is_admin_only_and_filters(client: TestClient, service: LeianService, tokens: dict) -> None:
    service.audit.record(None, "groups.decide", "group", 7, {"note": f"电话 {PHONE}"})
    assert client.get("/api/audit", headers=auth(tokens["supervisor"])).status_code == 403
    page = client.get("/api/audit", params={"record_type": "group", "record_id": "7"}).json()
    assert page["total"] == 1
    event = page["items"][0]
    assert event["action"] == "groups.decide" and PHONE not in json.dumps(event, ensure_ascii=False)
    assert client.get("/api/audit", params={"action": "groups"}).json()["total"] == 1
    assert client.get("/api/audit", params={"since": "2999-01-01"}).json()["total"] == 0


def test_denied_requests_are_audited(client: TestClient, service: LeianService, tokens: dict) -> None:
    r = client.post("/api/cases", json=ROWS[0], headers=auth(tokens["analyst"]))
    assert r.status_code == 403
    denied = _events(service, action="cases.denied")
    assert denied and denied[0]["username"] == "u_analyst"


# -- personal data -------------------------------------------------------------------------------
def test_personal_data_masked_in_responses_search_and_logs(
    client: TestClient, tokens: dict, caplog: pytest.LogCaptureFixture
) -> None:
    row = {**ROWS[0], "content": f"身份证{ID_NUMBER}，电话{PHONE}，银行卡{CARD}，工资被拖欠。"}
    case = client.post("/api/cases", json=row).json()
    hits = client.post("/api/search", json={"text": "工资被拖欠"}).json()["hits"]
    listing = client.get("/api/cases").json()["items"]
    for payload in (case, hits, listing):
        text = json.dumps(payload, ensure_ascii=False)
        assert ID_NUMBER not in text and PHONE not in text and CARD not in text and "张三" not in text
    # A role without pii:read asking to reveal still gets masked data.
    analyst = client.get(f"/api/cases/{case['id']}", params={"reveal": "true"}, headers=auth(tokens["analyst"]))
    assert PHONE not in analyst.text and analyst.json()["petitioner_name"] == "张*"

    install_log_masking()
    with caplog.at_level(logging.INFO):
        logging.getLogger("leian.test").info("case text %s / %s / %s", row["content"], 42, {"x": 1})
    assert ID_NUMBER not in caplog.text and PHONE not in caplog.text and CARD not in caplog.text
    assert "138****5678" in caplog.text and "42" in caplog.text


def test_serve_warns_when_no_petitioner_key(service: LeianService, caplog: pytest.LogCaptureFixture) -> None:
    keyless = LeianService(service.settings.with_(petitioner_key=None), encoder=service.encoder)
    try:
        with caplog.at_level(logging.WARNING), TestClient(create_app(keyless)):
            pass
        assert "LEIAN_PETITIONER_KEY" in caplog.text
        with pytest.raises(Exception, match="LEIAN_PETITIONER_KEY"):
            keyless.ingest([(1, ROWS[0])])
    finally:
        keyless.db.close()


# -- hostile input -------------------------------------------------------------------------------
def test_oversized_bodies_get_413_in_the_standard_shape(service: LeianService, tokens: dict) -> None:
    small = LeianService(service.settings.with_(max_body_bytes=4096), encoder=service.encoder)
    try:
        with TestClient(create_app(small), headers=auth(tokens["admin"])) as c:
            r = c.post("/api/search", json={"text": "工资" * 5000})
            assert r.status_code == 413 and r.json()["error"]["code"] == "http_413"
            assert "请求内容过大" in r.json()["error"]["message"]
            r = c.post("/api/cases/import", files={"file": ("c.jsonl", b"x" * 10000)})
            assert r.status_code == 413
            # Without a Content-Length header the streamed body is counted instead.
            r = c.post(
                "/api/search",
                content=iter([b'{"text": "', b"a" * 5000, b'"}']),
                headers={"content-type": "application/json"},
            )
            assert r.status_code == 413
            assert c.post("/api/search", json={"text": "工资"}).status_code == 200
    finally:
        small.db.close()


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        (b"{not json", "application/json", None),
        (json.dumps({**ROWS[0], "unknown_field": 1}).encode(), "application/json", "unknown_field"),
        (json.dumps({**ROWS[0], "content": "   "}).encode(), "application/json", "content"),
        (json.dumps({**ROWS[0], "content": "长" * 20001}).encode(), "application/json", "content"),
        (json.dumps({**ROWS[0], "content": "\x00\x01\x1b"}).encode(), "application/json", "content"),
    ],
)
def test_malformed_case_bodies_are_clear_422(client: TestClient, body: bytes, content_type: str, field: str) -> None:
    r = client.post("/api/cases", content=body, headers={"content-type": content_type})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input"
    if field:
        assert field in {d["field"] for d in error["details"]}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("broken.xlsx", b"PK\x03\x04 not really a zip"),
        ("broken.csv", b'external_no,content\n"unterminated,x\n'),
        ("ragged.csv", "external_no,content,received_date\nA,内容\n".encode()),
        ("bad.jsonl", b'{"external_no": "A"\n'),
        ("latin.csv", b"external_no,content\n\xff\xfe\xfa,\x81\n"),
        ("bomb.jsonl.gz", b"\x1f\x8b\x08\x00garbage"),
        ("empty.csv", b""),
        ("notes.txt", b"hello"),
    ],
)
def test_broken_uploads_are_4xx_never_5xx(client: TestClient, service: LeianService, name: str, data: bytes) -> None:
    r = client.post("/api/cases/import", files={"file": (name, data)})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["message"]
    assert service.cases.count() == 0


def test_wrongly_encoded_json_is_400_in_chinese(client: TestClient) -> None:
    r = client.post(
        "/api/cases", content='{"content": "登记"}'.encode("gb18030"), headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert "UTF-8" in r.json()["error"]["message"]


def test_control_characters_are_stripped_from_stored_text(client: TestClient) -> None:
    row = {**ROWS[0], "title": "标题\x00\x07", "content": "内容\x1b[31m正文\u0000"}
    case = client.post("/api/cases", json=row).json()
    assert case["title"] == "标题" and "\x1b" not in case["content"] and "\x00" not in case["content"]


@pytest.mark.parametrize("spelling", ["true", "y", "t", "%74rue", "TRUE", "on", "1", "yes", "false&reveal=1"])
def test_every_spelling_that_unmasks_is_audited(
    client: TestClient, service: LeianService, tokens: dict, spelling: str
) -> None:
    # FastAPI reads reveal as a bool (y, t, on, any case, percent-encoded): the audit must see the same.
    assert client.post("/api/cases/import", files={"file": ("c.jsonl", _jsonl(ROWS), "application/json")}).is_success
    case_id = client.get("/api/cases/by-external/T-001").json()["id"]
    res = client.get(f"/api/cases/{case_id}?reveal={spelling}", headers=auth(tokens["handler"]))
    assert res.status_code == 200 and res.json()["petitioner_name"] == "张三"  # unmasked
    assert len(_events(service, action="cases.reveal", username="u_handler")) == 1


@pytest.mark.parametrize("spelling", ["false", "0", "no", "off", "n"])
def test_a_masked_read_is_not_a_reveal(client: TestClient, service: LeianService, tokens: dict, spelling: str) -> None:
    assert client.post("/api/cases/import", files={"file": ("c.jsonl", _jsonl(ROWS), "application/json")}).is_success
    case_id = client.get("/api/cases/by-external/T-001").json()["id"]
    res = client.get(f"/api/cases/{case_id}?reveal={spelling}", headers=auth(tokens["handler"]))
    assert res.status_code == 200 and res.json()["petitioner_name"] != "张三"
    assert _events(service, action="cases.reveal", username="u_handler") == []
