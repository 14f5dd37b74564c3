"""Everything built lazily is warmed at start in the background, and health says when (issue 20, item 7)."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from api.app import create_app
from kb.service import LeianService
from kb.warmup import Warmup


def test_serving_warms_every_lazy_part_and_health_reports_each(
    service: LeianService, sample_rows: list[tuple[int, dict]]
) -> None:
    service.ingest(sample_rows[:200])
    assert set(service.health()["warm"].values()) == {"pending"}
    assert not service.modelcases.index.ready
    with TestClient(create_app(service, warm_router=True)) as client:
        service.warmup.start().join(timeout=300)
        health = client.get("/api/health").json()
    assert health["warm"] == {"encoder": "ready", "router": "ready", "model_cases": "ready"}
    assert health["router"] == "ready" and health["lexical_index"] in ("file", "database")
    assert set(health["warm_seconds"]) == {"encoder", "router", "model_cases"}
    assert {s["source"] for s in health["router_models"].values()} == {"fitted"}
    assert service.modelcases.index.ready
    assert set(service.workflow.router._models) == {"department", "city"}


def test_a_failed_step_is_reported_and_the_others_still_run() -> None:
    done: list[str] = []

    def broken() -> None:
        raise OSError("disk gone")

    warmup = Warmup([("a", lambda: done.append("a")), ("b", broken), ("c", lambda: done.append("c"))])
    assert warmup.state() == {"a": "pending", "b": "pending", "c": "pending"}
    assert warmup.start() is warmup.start()  # idempotent
    warmup.start().join(timeout=30)
    assert warmup.state() == {"a": "ready", "b": "failed", "c": "ready"}
    assert sorted(done) == ["a", "c"] and set(warmup.seconds()) == {"a", "b", "c"}


def test_a_quick_step_is_ready_while_a_slow_one_still_warms() -> None:
    """The model-case index no longer waits behind the routing fit: the steps run at once."""
    release, quick_done = threading.Event(), threading.Event()
    warmup = Warmup([("router", lambda: release.wait(60)), ("model_cases", quick_done.set)])
    thread = warmup.start()
    assert quick_done.wait(30)
    deadline = time.monotonic() + 30
    while warmup.state()["model_cases"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert warmup.state() == {"router": "warming", "model_cases": "ready"}
    assert set(warmup.seconds()) == {"model_cases"}
    release.set()
    thread.join(timeout=30)
    assert warmup.state() == {"router": "ready", "model_cases": "ready"}
