"""/docs and /redoc render in Chromium with every outside request blocked (issue 15, item 15).

FastAPI's default pages load Swagger UI and ReDoc from a CDN and stay blank offline; ``api/docs.py``
serves the assets of the ``fastapi-offline`` package instead. The browser context aborts any request
that does not go to the test server and records it: the test fails if a page asked for one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from indexing.encoders.hashing import HashingEncoder
from kb.service import LeianService
from tests.conftest import REPO, make_settings
from tests.web_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "var" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (dev extra)")
# Parsing the OpenAPI document on a busy 2-core machine takes a few seconds.
sync_api.expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    service = LeianService(make_settings(tmp_path_factory.mktemp("docs")), encoder=HashingEncoder())
    with LiveServer(service) as live:
        yield live
    service.close()


@pytest.fixture(scope="module")
def offline_page(server: LiveServer) -> Iterator[tuple[Any, list[str]]]:
    """A page whose context lets through requests to the test server only; the rest are recorded."""
    blocked: list[str] = []
    own = urlsplit(server.url).netloc

    def only_local(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        ctx.route("**/*", only_local)
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        yield page, blocked
        browser.close()


def test_swagger_ui_renders_without_outside_requests(server: LiveServer, offline_page: tuple[Any, list[str]]) -> None:
    page, blocked = offline_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server.url}/docs")
    sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("Leian")
    # The operations are listed from /openapi.json: the import template endpoint among them.
    sync_api.expect(page.locator(".opblock-summary-path", has_text="/api/cases/import/template")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "docs-swagger.png"))
    assert blocked == [] and errors == []


def test_redoc_renders_without_outside_requests(server: LiveServer, offline_page: tuple[Any, list[str]]) -> None:
    page, blocked = offline_page
    page.goto(f"{server.url}/redoc")
    sync_api.expect(page.locator("h1").first).to_contain_text("Leian")
    sync_api.expect(page.get_by_text("导入说明", exact=False).first).to_be_attached()
    page.screenshot(path=str(SHOTS / "docs-redoc.png"))
    assert blocked == []
