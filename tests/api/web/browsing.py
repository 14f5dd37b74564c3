"""Helpers for the browser tests: Chromium, sign-in through the form, screenshots, request logs.

Debian's /usr/bin/chromium through Playwright's Python API against uvicorn on a free port
(tests/web_server.py). Screenshots (1366×768) go to var/screenshots/, the CI artifact folder that
docs/用户手册.md shows.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.web_server import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "var" / "screenshots"
GUIDE_SHOTS = REPO / "docs" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
VIEWPORT = {"width": 1366, "height": 768}

MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,  # a live server, discovery of groups and a real browser: ~1.5 min on a busy 2-core box
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)"
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (dev extra)")
# The first search of a fresh server also fits the routing model: allow for a slow CI machine.
sync_api.expect.set_options(timeout=20_000)
expect = sync_api.expect


def login(browser: Any, url: str, username: str) -> Any:
    """A fresh context signed in as ``username`` through the login form; returns its page.

    ``page.errors`` collects script errors and ``page.api_log`` every /api/ response as
    (status, method, path) so tests can assert what a page asked for.
    """
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    errors: list[str] = []
    log: list[tuple[int, str, str]] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def record(response: Any) -> None:
        path = response.url.split(url, 1)[-1]
        if path.startswith("/api/"):
            log.append((response.status, response.request.method, path))

    page.on("response", record)
    page.errors = errors
    page.api_log = log
    page.goto(f"{url}/")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{url}/")
    return page


def shot(page: Any, name: str) -> None:
    """A 1366×768 screenshot into var/screenshots/; with LEIAN_GUIDE_SHOTS=1 also a 256-colour copy
    into docs/screenshots/, the pictures docs/用户手册.md shows (so the guide is refreshed by a run)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("LEIAN_GUIDE_SHOTS") == "1":
        from PIL import Image

        GUIDE_SHOTS.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as img:
            img.convert("RGB").quantize(colors=256).save(GUIDE_SHOTS / f"{name}.png", optimize=True)


def wrapped_cells(page: Any, selector: str) -> list[str]:
    """Texts of the cells under ``selector`` whose content takes more than one line."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter((td) => {
            const range = document.createRange();
            range.selectNodeContents(td);
            const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top));
            return tops.length && Math.max(...tops) - Math.min(...tops) > 4;
        }).map((td) => td.textContent)""",
        selector,
    )
