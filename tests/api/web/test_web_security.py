"""Browser attacks without a browser: CSRF, XSS through a display name, open redirect, security headers."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.csrf import CSRF_COOKIE, csrf_token
from api.headers import CSP
from api.web.pages import STATIC_DIR, WEB_DIR, safe_next
from kb.service import LeianService
from tests.api.test_permissions import endpoints
from tests.conftest import auth
from tests.helpers import ROWS

PASSWORD = "password-123"
SELF = "http://testserver"


def signed_in(service: LeianService, username: str = "u_admin") -> TestClient:
    client = TestClient(create_app(service), raise_server_exceptions=False, follow_redirects=False)
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client


def token_of(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies[CSRF_COOKIE]}


def case_count(service: LeianService) -> int:
    row = service.db.query_one("SELECT COUNT(*) FROM cases")
    return int(row[0]) if row else 0


# -- CSRF ------------------------------------------------------------------------------------------
def test_login_issues_a_script_readable_strict_csrf_cookie_bound_to_the_session(
    service: LeianService, tokens: dict
) -> None:
    client = signed_in(service)
    cookies = [
        c.lower()
        for c in client.post("/api/auth/login", json={"username": "u_admin", "password": PASSWORD}).headers.get_list(
            "set-cookie"
        )
    ]
    csrf = next(c for c in cookies if c.startswith(CSRF_COOKIE))
    assert "httponly" not in csrf and "samesite=strict" in csrf and "path=/" in csrf
    assert client.cookies[CSRF_COOKIE] == csrf_token(client.cookies["leian_session"])
    # Logout clears it with the session.
    assert client.post("/api/auth/logout", headers=token_of(client)).status_code == 204
    assert CSRF_COOKIE not in client.cookies


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver:8001"},  # another port of the same host: same site, other origin
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["other-port", "other-host", "null-origin", "cross-site", "same-site"],
)
def test_foreign_cookie_writes_are_refused_even_with_the_token(
    service: LeianService, tokens: dict, headers: dict
) -> None:
    client = signed_in(service, "u_handler")
    r = client.post("/api/cases", json=ROWS[0], headers={**token_of(client), **headers})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_refused"
    assert "其他站点" in r.json()["error"]["message"]
    assert case_count(service) == 0
    # The issue's attack: a multipart import from another port, no preflight.
    files = {"file": ("x.jsonl", json.dumps(ROWS[0], ensure_ascii=False).encode(), "application/octet-stream")}
    assert client.post("/api/cases/import", files=files, headers=headers).status_code == 403
    assert case_count(service) == 0


@pytest.mark.parametrize("sent", [None, "", "wrong", "\xe4-not-ascii".encode("latin-1"), "0" * 64])
def test_cookie_writes_without_the_right_token_are_refused(
    service: LeianService, tokens: dict, sent: str | None
) -> None:
    client = signed_in(service, "u_handler")
    headers = {} if sent is None else {"X-CSRF-Token": sent}
    r = client.post("/api/cases", json=ROWS[0], headers=headers)
    assert r.status_code == 403 and "CSRF" in r.json()["error"]["message"]
    assert case_count(service) == 0
    # A token of another session does not do either.
    other = signed_in(service, "u_admin")
    assert client.post("/api/cases", json=ROWS[0], headers=token_of(other)).status_code == 403


def test_same_origin_cookie_writes_with_the_token_and_bearer_writes_pass(service: LeianService, tokens: dict) -> None:
    client = signed_in(service, "u_handler")
    for headers in ({}, {"Origin": SELF}, {"Origin": SELF + ":80", "Sec-Fetch-Site": "same-origin"}):
        r = client.post(
            "/api/cases", json={**ROWS[0], "external_no": f"T-{len(headers)}"}, headers={**token_of(client), **headers}
        )
        assert r.status_code == 201, r.text
    # Bearer tokens are not sent by browsers on their own: no CSRF token needed, whatever the Origin.
    api = TestClient(create_app(service), raise_server_exceptions=False)
    r = api.post(
        "/api/cases",
        json={**ROWS[0], "external_no": "T-bearer"},
        headers={**auth(tokens["handler"]), "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 201, r.text
    # Reads are not affected.
    assert client.get("/api/cases", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_login_from_another_site_is_refused(service: LeianService, tokens: dict) -> None:
    client = TestClient(create_app(service), raise_server_exceptions=False)
    body = {"username": "u_admin", "password": PASSWORD}
    for headers in ({"Origin": "http://testserver:9999"}, {"Sec-Fetch-Site": "cross-site"}):
        r = client.post("/api/auth/login", json=body, headers=headers)
        assert r.status_code == 403 and "leian_session" not in client.cookies
    assert client.post("/api/auth/login", json=body, headers={"Origin": SELF}).status_code == 200


def test_every_cookie_write_route_is_covered(service: LeianService, tokens: dict) -> None:
    app = create_app(service)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    assert client.post("/api/auth/login", json={"username": "u_admin", "password": PASSWORD}).status_code == 200
    checked = 0
    for ep in endpoints(app):
        for method in {ep.method} & {"POST", "PUT", "PATCH", "DELETE"}:
            if ep.path == "/api/auth/login":
                continue
            path = re.sub(r"\{[^}]+\}", "1", ep.path)
            r = client.request(method, path, json={}, headers={"Origin": "http://evil.example"})
            assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_refused", (method, path)
            r = client.request(method, path, json={})
            assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_refused", (method, path)
            checked += 1
    assert checked >= 20
    assert case_count(service) == 0


def test_sessions_without_a_csrf_cookie_get_one(service: LeianService, tokens: dict) -> None:
    client = signed_in(service)
    session = client.cookies["leian_session"]
    client.cookies.delete(CSRF_COOKIE)
    assert client.get("/api/auth/me").status_code == 200
    assert client.cookies[CSRF_COOKIE] == csrf_token(session)


# -- XSS through the display name ---------------------------------------------------------------------
HOSTILE_NAME = "</script><script>alert(document.cookie)</script><img src=x onerror=alert(1)>&amp;"


def test_display_name_cannot_break_out_of_the_me_script(service: LeianService) -> None:
    service.users.create("u_evil", "handler", PASSWORD, display_name=HOSTILE_NAME)
    client = signed_in(service, "u_evil")
    page = client.get("/").text
    assert "<script>alert" not in page and "<img src=x" not in page
    block = re.search(r'<script id="me" type="application/json">(.*?)</script>', page, re.S)
    assert block is not None
    assert "<" not in block.group(1) and ">" not in block.group(1)
    assert json.loads(block.group(1))["display_name"] == HOSTILE_NAME
    # The name in the header is HTML-escaped by the template.
    assert html.escape(HOSTILE_NAME, quote=False) in page or "&lt;/script&gt;" in page


# -- open redirect -----------------------------------------------------------------------------------
OFF_SITE = [
    "//evil.example",
    "/\\evil.example",
    "/\\\\evil.example",
    "\\\\evil.example",
    "https://evil.example/x",
    "http:evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%0A/evil.example".replace("%0A", "\r"),
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_off_site_targets(target: str) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/import", "/cases/3?reveal=true", "/?q=拖欠 工资", "/groups/1#top"])
def test_safe_next_keeps_site_paths(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "raw",
    [
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "/%5Cevil.example",
        "%2F%09%2Fevil.example",
        "https%3A%2F%2Fevil.example",
    ],
)
def test_login_page_and_redirect_never_leave_the_site(service: LeianService, tokens: dict, raw: str) -> None:
    anonymous = TestClient(create_app(service), follow_redirects=False)
    assert 'data-next="/"' in anonymous.get(f"/login?next={raw}").text
    client = signed_in(service)
    r = client.get(f"/login?next={raw}")
    assert r.status_code == 303 and r.headers["location"] == "/"


# -- headers -------------------------------------------------------------------------------------------
def _assert_headers(res, csp: str = CSP) -> None:  # type: ignore[no-untyped-def]
    assert res.headers["content-security-policy"] == csp
    assert res.headers["x-frame-options"] == "DENY"
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["referrer-policy"] == "no-referrer"


def test_security_headers_on_pages_api_errors_and_static(service: LeianService, tokens: dict) -> None:
    client = signed_in(service)
    for path in ("/", "/login", "/import", "/api/auth/me", "/api/cases", "/static/js/api.js", "/api/nope", "/nope"):
        _assert_headers(client.get(path))
    anonymous = TestClient(create_app(service), raise_server_exceptions=False)
    _assert_headers(anonymous.get("/api/cases"))  # 401
    _assert_headers(anonymous.post("/api/auth/login", json={"username": "x", "password": "y"}))
    _assert_headers(client.post("/api/cases", json=ROWS[0]))  # CSRF refusal
    for path in ("/docs", "/redoc"):
        res = anonymous.get(path)
        policy = res.headers["content-security-policy"]
        assert "https:" not in policy and "script-src 'self' 'unsafe-inline'" in policy  # served locally
        assert "frame-ancestors 'none'" in res.headers["content-security-policy"]
        assert res.headers["x-frame-options"] == "DENY"


def test_csp_directives_are_strict() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'" and directives["img-src"] == "'self' data:"
    assert "unsafe" not in CSP


def test_templates_and_scripts_need_nothing_the_csp_forbids() -> None:
    """No inline script, style attribute, <style> block or on* handler that the CSP would block."""
    for path in WEB_DIR.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle\s*=", text), path.name
        assert not re.search(r"<style\b", text), path.name
        assert not re.search(r"\son[a-z]+\s*=", text), path.name
        for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", text, re.S):
            assert "src=" in attrs or 'type="application/json"' in attrs, (path.name, attrs)
            assert "src=" not in attrs or not body.strip(), path.name
    for path in STATIC_DIR.rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\(|new Function\(|setAttribute\(\s*[\"']style", text), path.name
        assert not re.search(r"innerHTML\s*=.*style=", text), path.name


# -- the same attacks in Chromium ----------------------------------------------------------------------
ROW = {
    "external_no": "CSRF-1",
    "title": "x",
    "content": "跨站导入的案件内容",
    "received_date": "2025-03-01",
    "city": "广州市",
    "channel": "来信",
}
ATTACK = """<!doctype html><meta charset="utf-8"><body><script>
const form = new FormData();
form.append("file", new Blob([JSON.stringify(ROW)]), "x.jsonl");
fetch("TARGET/api/cases/import", {method: "POST", body: form, mode: "no-cors", credentials: "include"})
  .then(() => { document.title = "sent"; }, () => { document.title = "sent"; });
</script></body>""".replace("ROW", json.dumps(ROW, ensure_ascii=False))


@pytest.mark.browser
@pytest.mark.slow
def test_in_chromium_pages_obey_the_csp_xss_is_inert_and_same_site_csrf_fails(tmp_path, browser) -> None:  # type: ignore[no-untyped-def]
    import functools
    import http.server
    import threading
    from pathlib import Path

    from tests.web_server import PASSWORD as DEMO_PASSWORD
    from tests.web_server import LiveServer, build_service, free_port, sample_rows

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs /usr/bin/chromium")
    service = build_service(tmp_path / "data", sample_rows(40, tmp_path))
    service.users.create("evil", "handler", DEMO_PASSWORD, display_name=HOSTILE_NAME)
    before = case_count(service)
    site = tmp_path / "attacker"
    site.mkdir()
    with LiveServer(service) as live:
        (site / "attack.html").write_text(ATTACK.replace("TARGET", live.url), encoding="utf-8")
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
        attacker = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        threading.Thread(target=attacker.serve_forever, daemon=True).start()
        ctx = browser.new_context(locale="zh-CN")
        try:
            page = ctx.new_page()
            violations: list[str] = []
            dialogs: list[str] = []
            page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{live.url}/login?next=/%5Cevil.example")
            page.fill("#username", "evil")
            page.fill("#password", DEMO_PASSWORD)
            page.press("#password", "Enter")
            page.wait_for_url(f"{live.url}/")  # not evil.example
            pages = ("/", "/cases/1", "/groups", "/modelcases", "/modelcases/1", "/supervision", "/import")
            for path in (*pages, "/queue", "/inbox", "/help/"):
                page.goto(live.url + path)
                page.wait_for_load_state("networkidle")
            assert page.locator(".who-name").inner_text() == HOSTILE_NAME
            assert not dialogs, dialogs
            assert not violations, violations
            # A page on another port of the same host (same site) posts an import with the cookie.
            page.goto(f"http://127.0.0.1:{attacker.server_address[1]}/attack.html")
            page.wait_for_function("document.title === 'sent'")
            page.wait_for_timeout(300)
        finally:
            ctx.close()
            attacker.shutdown()
    assert case_count(service) == before
    service.close()
