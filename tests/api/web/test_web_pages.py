"""The web pages without a browser: login redirects, per-page permissions, assets served locally."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.web.pages import STATIC_DIR, WEB_DIR
from kb.service import LeianService
from tests.conftest import REPO, auth

PAGES = ["/", "/cases/1", "/groups", "/groups/1", "/modelcases", "/modelcases/1", "/supervision", "/import"]


def login(client: TestClient, username: str) -> None:
    res = client.post("/api/auth/login", json={"username": username, "password": "password-123"})
    assert res.status_code == 200, res.text


def test_pages_redirect_to_login_without_a_session(service: LeianService, tokens: dict[str, str]) -> None:
    with TestClient(create_app(service)) as client:
        for path in PAGES:
            res = client.get(path, follow_redirects=False)
            assert res.status_code == 303, path
            assert res.headers["location"].startswith("/login?next=")
        # A bearer token is for the API; pages need the session cookie of a login.
        res = client.get("/", headers=auth(tokens["admin"]), follow_redirects=False)
        assert res.status_code == 303
        assert client.get("/login").status_code == 200


def test_login_next_never_leaves_the_site(service: LeianService, tokens: dict[str, str]) -> None:
    with TestClient(create_app(service)) as client:
        page = client.get("/login", params={"next": "//evil.example/x"}).text
        assert 'data-next="/"' in page
        login(client, "u_handler")
        res = client.get("/login", params={"next": "/import"}, follow_redirects=False)
        assert res.status_code == 303 and res.headers["location"] == "/import"


def test_each_page_needs_its_permission(service: LeianService, tokens: dict[str, str]) -> None:
    with TestClient(create_app(service)) as client:
        login(client, "u_analyst")
        assert client.get("/").status_code == 200
        assert client.get("/groups").status_code == 200
        denied = client.get("/import")
        assert denied.status_code == 403 and "无权访问" in denied.text
        # The nav lists only the sections this role may open.
        nav = client.get("/").text
        assert 'href="/supervision"' in nav and 'href="/import"' not in nav
    with TestClient(create_app(service)) as client:
        login(client, "u_handler")
        page = client.get("/import")
        assert page.status_code == 200 and 'lang="zh-CN"' in page.text


def test_assets_are_served_by_the_app_and_reference_nothing_external(service: LeianService) -> None:
    with TestClient(create_app(service)) as client:
        for path in sorted(STATIC_DIR.rglob("*")):
            if path.is_file():
                rel = path.relative_to(STATIC_DIR).as_posix()
                assert client.get(f"/static/{rel}").status_code == 200, rel
    external = re.compile(r"""(src|href)\s*=\s*["']https?://|@import\s+url\(["']?https?://|fetch\(["']https?://""")
    for path in [*WEB_DIR.rglob("*.html"), *STATIC_DIR.rglob("*.js"), *STATIC_DIR.rglob("*.css")]:
        assert not external.search(path.read_text(encoding="utf-8")), path


def test_templates_reference_only_existing_scripts() -> None:
    for template in Path(WEB_DIR / "templates").glob("*.html"):
        for src in re.findall(r'src="/static/([^"]+)"', template.read_text(encoding="utf-8")):
            assert (STATIC_DIR / src).is_file(), f"{template.name}: {src}"
    for module in STATIC_DIR.glob("js/*.js"):
        for dep in re.findall(r'from "\./([^"]+)"', module.read_text(encoding="utf-8")):
            assert (module.parent / dep).is_file(), f"{module.name}: {dep}"


def test_help_menu_opens_the_guide_at_the_readers_role(service: LeianService, tokens: dict[str, str]) -> None:
    with TestClient(create_app(service)) as client:
        assert client.get("/help/", follow_redirects=False).status_code == 303
        login(client, "u_reviewer")
        home = client.get("/").text
        assert 'href="/help/#政策审查员"' in home
        page = client.get("/help/")
        assert page.status_code == 200
        for role in ("信访经办人", "政策审查员", "督查督办", "只读分析员", "系统管理员"):
            assert f'<h2 id="{role}">{role}</h2>' in page.text
        assert "<script>" not in page.text.split('<article class="card doc guide" id="guide">', 1)[1]
        shots = re.findall(r'<img src="screenshots/([^"]+)"', page.text)
        assert shots, "the guide shows screenshots"
        for name in shots:
            res = client.get(f"/help/screenshots/{name}")
            assert res.status_code == 200 and res.content[:8] == b"\x89PNG\r\n\x1a\n", name
        assert client.get("/help/screenshots/..%2F..%2Fpyproject.toml").status_code == 404
        assert client.get("/help", follow_redirects=False).headers["location"] == "/help/"


def test_every_guide_screenshot_is_one_a_browser_test_takes() -> None:
    guide = (REPO / "docs" / "用户手册.md").read_text(encoding="utf-8")
    used = set(re.findall(r"\]\(screenshots/([^)]+)\.png\)", guide))
    taken = {
        name
        for path in (REPO / "tests" / "api" / "web").glob("test_*.py")
        for name in re.findall(r'shot\(\w+, "([^"]+)"\)', path.read_text(encoding="utf-8"))
    }
    assert used and used <= taken, f"not taken by any browser test: {used - taken}"
    assert all((REPO / "docs" / "screenshots" / f"{n}.png").exists() for n in used)
