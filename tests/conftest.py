"""Shared fixtures: a service on a temporary directory, an API client with a token per role.

``--db=postgres`` (or ``LEIAN_TEST_DB=postgres``) runs every test that builds its settings with
``make_settings`` (the ``service`` fixture and most service tests) on a fresh database of a
throw-away PostgreSQL cluster (tests/pg.py) instead of the SQLite file; the ``postgres`` marker
selects the tests that always use PostgreSQL.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.service import LeianService
from kb.settings import Settings
from tests import pg
from tests.milvus_server import milvus_server  # noqa: F401  (the session's Milvus server, for milvus_server tests)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples" / "cases.jsonl"
EVAL_DIR = REPO.parent / "shared" / "eval"
ROLES = ("admin", "handler", "reviewer", "supervisor", "analyst")


@pytest.fixture(scope="session")
def segmenter() -> Segmenter:
    return Segmenter()


@pytest.fixture(scope="session")
def sample_rows() -> list[tuple[int, dict]]:
    """The bundled synthetic petitions as (line, row) pairs."""
    with SAMPLES.open(encoding="utf-8") as fh:
        return [(i, json.loads(line)) for i, line in enumerate(fh, start=1) if line.strip()]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("LEIAN_TEST_DB", "sqlite"),
        help="the store make_settings() gives tests: sqlite (default) or postgres (a throw-away cluster)",
    )


_DB = {"kind": "sqlite"}


def pytest_configure(config: pytest.Config) -> None:
    _DB["kind"] = config.getoption("--db")


def pytest_unconfigure(config: pytest.Config) -> None:
    pg.stop_shared()


def postgres_mode() -> bool:
    """True when this run puts make_settings() databases on PostgreSQL (``--db=postgres``)."""
    return _DB["kind"] == "postgres"


def make_settings(tmp: Path, **overrides: object) -> Settings:
    if postgres_mode() and "database_url" not in overrides:
        overrides["database_url"] = pg.shared().database_for(tmp)
    # The shared test host is busy: pools are tested as configured, not fitted to its load.
    base = Settings(data_dir=tmp, petitioner_key="test-secret-key", threads=2, ingest_workers_by_load=False)
    return base.with_(**overrides)


@pytest.fixture(autouse=True)
def _cli_uses_the_test_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``--db=postgres``, a CLI command a test runs on a service's data directory opens that
    service's PostgreSQL database (as it would open the SQLite file there), not a new SQLite file."""
    if not postgres_mode():
        return
    from api.cli import common
    from kb.settings import load_settings

    def with_test_database(**overrides: object) -> Settings:
        settings = load_settings(**overrides)
        url = pg.noted_url(settings.data_dir)
        return settings.with_(database_url=url) if url and not settings.database_url else settings

    monkeypatch.setattr(common, "load_settings", with_test_database)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh database on the session's throw-away PostgreSQL cluster (skipped without PostgreSQL)."""
    if pg.pg_bin() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pytest.importorskip("psycopg")
    cluster = pg.shared()
    url = cluster.new_database()
    yield url
    cluster.drop_database(url)


@pytest.fixture
def service(tmp_path: Path, segmenter: Segmenter) -> Iterator[LeianService]:
    """A service with the fake hashing encoder: for tests where the model is not the subject."""
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
    yield svc
    svc.close()


@pytest.fixture
def tokens(service: LeianService) -> dict[str, str]:
    """One user and token per role, provincial; plus `gz_handler` bound to 广州市."""
    out = {}
    for role in ROLES:
        _, out[role] = service.users.create(f"u_{role}", role, "password-123")
    _, out["gz_handler"] = service.users.create("u_gz", "handler", "password-123", unit="广州市", scope="city")
    return out


@pytest.fixture
def client(service: LeianService, tokens: dict[str, str]) -> Iterator[TestClient]:
    """A client authenticated as admin; pass `headers=auth(tokens[role])` for other roles."""
    with TestClient(create_app(service), raise_server_exceptions=False) as c:
        c.headers.update(auth(tokens["admin"]))
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
