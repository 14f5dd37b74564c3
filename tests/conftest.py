"""Shared fixtures: a service on a temporary directory, an API client with a token per role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.service import LeianService
from kb.settings import Settings

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


def make_settings(tmp: Path, **overrides: object) -> Settings:
    # The shared test host is busy: pools are tested as configured, not fitted to its load.
    base = Settings(data_dir=tmp, petitioner_key="test-secret-key", threads=2, ingest_workers_by_load=False)
    return base.with_(**overrides)


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
