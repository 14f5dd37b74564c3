"""The routing models are fitted at start in the background and health says when they are ready
(issue 15, item 16)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from api.app import create_app
from kb.service import LeianService


def test_serving_fits_the_router_in_the_background_and_health_reports_it(
    service: LeianService, sample_rows: list[tuple[int, dict]]
) -> None:
    service.ingest(sample_rows[:200])
    assert service.health()["router"] == "lazy"  # nothing fitted yet
    with TestClient(create_app(service, warm_router=True)) as client:
        service.workflow.router.warm_up_in_background().join(timeout=120)
        health = client.get("/api/health").json()
    assert health["router"] == "ready"
    assert set(service.workflow.router._models) == {"department", "city"}
    started = time.perf_counter()
    service.workflow.suggest(text="包工头拖欠工资三个月")
    assert time.perf_counter() - started < 5  # answered from the fitted models, no fit on first use


def test_a_test_client_around_a_given_service_does_not_warm_by_default(service: LeianService) -> None:
    with TestClient(create_app(service)) as client:
        assert client.get("/api/health").json()["router"] == "lazy"
