"""One live server and one Chromium for all browser tests (building the data takes a minute)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web_server import LiveServer, build_service, sample_rows


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Any]]:
    tmp = tmp_path_factory.mktemp("web")
    rows = sample_rows(240, tmp)
    service = build_service(tmp / "data", rows)
    with LiveServer(service) as server:
        yield server, service
    service.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from tests.api.web.browsing import ARGS, CHROMIUM, sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()
