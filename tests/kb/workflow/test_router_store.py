"""The fitted routing models are stored in the database and loaded by the next start instead of
fitted again, while they still match (issue 20, item 7); run with ``--db=postgres`` as well."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.service import LeianService
from kb.storage.db import Database
from kb.workflow import suggest as suggest_module
from kb.workflow.router_store import RouterModelStore
from kb.workflow.routing import RouterConfig
from kb.workflow.suggest import TARGETS, LiveRouter
from tests.conftest import make_settings

TEXT = "小区物业擅自上调物业费，电梯长期故障无人维修"


@pytest.fixture
def open_service(tmp_path: Path, segmenter: Segmenter) -> Iterator[type[LeianService]]:
    """Opens services on one data directory (and one database); closes them all at the end."""
    opened: list[LeianService] = []

    def opener() -> LeianService:
        svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
        opened.append(svc)
        return svc

    yield opener  # type: ignore[misc]
    for svc in opened:
        svc.close()


def proba(svc: LeianService, column: str) -> np.ndarray:
    query = svc.query_for_text(TEXT)
    model = svc.workflow.router.linear(column)
    assert model is not None
    return model.proba([query.tokens], query.vector[None, :], [query.text])[0]


def test_the_second_start_loads_the_stored_models_instead_of_fitting(open_service, sample_rows) -> None:
    first = open_service()
    first.ingest(sample_rows[:200])
    first.workflow.router.warm_up()
    assert first.workflow.router.fits == len(TARGETS)
    assert {t: s["source"] for t, s in first.health()["router_models"].items()} == dict.fromkeys(TARGETS, "fitted")
    expected = {column: proba(first, column) for column in TARGETS}
    first.close()

    second = open_service()
    second.workflow.router.warm_up()
    health = second.health()
    assert second.workflow.router.fits == 0
    assert {t: s["source"] for t, s in health["router_models"].items()} == dict.fromkeys(TARGETS, "loaded")
    assert health["router"] == "ready"
    for column in TARGETS:  # the same model: the same probabilities, the tokenizer re-attached
        np.testing.assert_allclose(proba(second, column), expected[column], rtol=1e-6)
    assert second.workflow.suggest(text=TEXT)["department"].value is not None
    assert second.workflow.router.fits == 0


def test_a_grown_labelled_count_or_another_configuration_refits_and_stores_again(open_service, sample_rows) -> None:
    first = open_service()
    first.ingest(sample_rows[:150])
    first.workflow.router.warm_up()
    stored = first.workflow.router.sources()["department"]["labelled_count"]
    first.ingest(sample_rows[150:300])  # far more than refit_growth (10 %) more labelled cases
    first.close()

    grown = open_service()
    grown.workflow.router.warm_up()
    assert grown.workflow.router.fits == len(TARGETS)
    assert grown.workflow.router.sources()["department"]["labelled_count"] > stored
    grown.close()

    again = open_service()
    again.workflow.router.warm_up()  # the refit was stored: the next start loads it
    assert again.workflow.router.fits == 0
    other = LiveRouter(again.kernel, RouterConfig(max_train=100))  # another configuration: no match
    other.warm_up()
    assert other.fits == len(TARGETS)


def test_other_user_dictionaries_refit(tmp_path: Path, sample_rows) -> None:
    """The title features are tokens: a deployment that changes its user dictionary gets a new fit."""
    words = tmp_path / "words.txt"
    words.write_text("快运通 10 nz\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    first = LeianService(settings, encoder=HashingEncoder())
    try:
        first.ingest(sample_rows[:150])
        first.workflow.router.warm_up()
        assert first.workflow.router.fits == len(TARGETS)
    finally:
        first.close()
    same = LeianService(settings, encoder=HashingEncoder(), segmenter=Segmenter())
    other = LeianService(settings, encoder=HashingEncoder(), segmenter=Segmenter(userdicts=[words]))
    try:
        same.workflow.router.warm_up()
        assert same.workflow.router.fits == 0  # the same dictionaries: loaded
        assert other.kernel.segmenter.dictionary_digest() != same.kernel.segmenter.dictionary_digest()
        other.workflow.router.warm_up()
        assert other.workflow.router.fits == len(TARGETS)
    finally:
        same.close()
        other.close()


@pytest.mark.parametrize("damage", ["digest", "unpicklable"])
def test_a_corrupt_stored_model_falls_back_to_a_fit(open_service, sample_rows, damage, caplog) -> None:
    first = open_service()
    first.ingest(sample_rows[:200])
    first.workflow.router.warm_up()
    blob = b"\x80\x05not a pickle"
    with first.db.transaction() as conn:
        if damage == "digest":  # a blob cut short: its digest no longer matches
            conn.execute("UPDATE router_models SET model = substr(model, 1, 100) WHERE target = 'department'")
        else:  # the digest matches, the content is no model
            conn.execute(
                "UPDATE router_models SET model = ?, digest = ? WHERE target = 'department'",
                (blob, hashlib.sha256(blob).hexdigest()),
            )
    first.close()

    second = open_service()
    with caplog.at_level(logging.WARNING, logger="kb.workflow.router_store"):
        second.workflow.router.warm_up()
    assert {t: s["source"] for t, s in second.workflow.router.sources().items()} == {
        "department": "fitted",
        "city": "loaded",
    }
    assert "fitting again" in caplog.text
    assert second.workflow.router.linear("department") is not None
    second.close()

    third = open_service()  # the refit overwrote the damaged row
    third.workflow.router.warm_up()
    assert third.workflow.router.fits == 0


def test_routers_starting_together_fit_each_target_once(service: LeianService, sample_rows) -> None:
    """Two workers on one database: one claims each fit, the other waits and loads what it stored."""
    service.ingest(sample_rows[:200])
    routers = [LiveRouter(service.kernel) for _ in range(2)]
    for router in routers:
        router.claim_poll_seconds = 0.05
    threads = [threading.Thread(target=router.warm_up) for router in routers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert sum(router.fits for router in routers) == len(TARGETS)
    assert all(router.state == "ready" for router in routers)
    sources = [str(s["source"]) for router in routers for s in router.sources().values()]
    assert sorted(sources) == ["fitted", "fitted", "loaded", "loaded"]
    assert service.db.query("SELECT * FROM router_fit_claims") == []  # every claim released


def test_a_claim_of_a_dead_process_is_taken_over(service: LeianService, sample_rows) -> None:
    service.ingest(sample_rows[:200])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store = RouterModelStore(service.db, service.clock)
    assert store.claim("department", f"{socket.gethostname()}:{dead.pid}")
    live = f"{socket.gethostname()}:{os.getpid()}:elsewhere"
    assert store.claim("city", live)
    router = LiveRouter(service.kernel)
    assert not store.claim("city", router.owner)  # a live owner's claim holds
    assert router.linear("department") is not None and router.fits == 1  # the dead one's is taken over
    assert router.linear("city", wait=False) is None and router.fits == 1  # held: skipped, not waited for
    store.release("city", live)
    assert router.linear("city") is not None and router.fits == 2


def test_health_answers_while_a_fit_holds_the_router(service: LeianService) -> None:
    answers: list[dict] = []
    with service.workflow.router._lock:  # as a fit in progress does, for minutes at 100,000 cases
        reader = threading.Thread(target=lambda: answers.append(service.health()), daemon=True)
        reader.start()
        reader.join(timeout=30)
    assert answers and answers[0]["router_models"] == {}


def test_the_labelled_count_is_read_again_only_when_the_filter_generation_moved(
    service: LeianService, sample_rows, monkeypatch
) -> None:
    service.ingest(sample_rows[:100])
    counted: list[str] = []
    real = suggest_module.store.labelled_count

    def counting(db: Database, column: str, statuses: Sequence[str]) -> int:
        counted.append(column)
        return real(db, column, statuses)

    monkeypatch.setattr(suggest_module.store, "labelled_count", counting)
    router = service.workflow.router
    first = router.labelled_count("department")
    assert router.labelled_count("department") == first and counted == ["department"]
    service.ingest(sample_rows[100:200])  # an insert moves the generation: counted again
    assert router.labelled_count("department") > first and counted == ["department", "department"]
