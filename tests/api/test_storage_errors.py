"""Storage failures answer clean errors: a read-only database 503, a full disk 507, nothing stored;
a write whose commit succeeded is acknowledged even when the index file cannot be saved."""

from __future__ import annotations

import errno
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.errors import StorageFullError, StorageReadOnlyError, storage_error
from kb.service import LeianService
from tests.conftest import auth

PASSWORD = "Storage-errors-2026!"


def case(no: str, content: str = "小区物业长期不维修电梯，业主多次反映无果，请求督促整改。") -> dict[str, str]:
    return {"external_no": no, "content": content, "received_date": "2025-05-01", "city": "广州市"}


@pytest.fixture
def handler(service: LeianService) -> Iterator[TestClient]:
    service.users.create("writer", "handler", PASSWORD)
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        r = client.post("/api/auth/login", json={"username": "writer", "password": PASSWORD})
        assert r.status_code == 200
        _, token = service.users.create("writer2", "handler", PASSWORD)
        client.headers.update(auth(token))
        yield client


def test_a_read_only_database_answers_503_for_writes_and_logins(service: LeianService, handler: TestClient) -> None:
    service.db._conn.execute("PRAGMA query_only = ON")  # SQLite refuses every write: SQLITE_READONLY
    try:
        r = handler.post("/api/cases", json=case("RO-1"))
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "storage_read_only" and "只读" in r.json()["error"]["message"]
        login = handler.post("/api/auth/login", json={"username": "writer", "password": PASSWORD})
        assert login.status_code == 503 and "只读" in login.json()["error"]["message"]
    finally:
        service.db._conn.execute("PRAGMA query_only = OFF")
    assert service.cases.get_by_external("RO-1") is None


def test_a_full_disk_answers_507_and_stores_nothing(service: LeianService, handler: TestClient) -> None:
    assert handler.post("/api/cases", json=case("FULL-0")).status_code == 201
    conn = service.db._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLITE_FULL
    try:
        r = handler.post("/api/cases", json=case("FULL-1", "电梯停运三个月无人维修。" * 900))
        assert r.status_code == 507, r.text
        assert r.json()["error"]["code"] == "storage_full" and "存储空间已满" in r.json()["error"]["message"]
    finally:
        conn.execute("PRAGMA max_page_count = 1073741823")
    assert service.cases.get_by_external("FULL-1") is None
    # Acknowledged once space is back, exactly once.
    assert handler.post("/api/cases", json=case("FULL-1")).status_code == 201


def test_a_stored_write_is_acknowledged_when_the_index_cannot_be_saved(
    service: LeianService, handler: TestClient
) -> None:
    # Journal and snapshot cannot be written (their places are taken by folders): every index file
    # write fails with an OSError after the case's transaction has committed.
    for path in (service.index.journal_path, service.settings.index_path):
        path.unlink(missing_ok=True)
        path.mkdir(parents=True)
    r = handler.post("/api/cases", json=case("IDX-1"))
    assert r.status_code == 201, r.text  # stored, so acknowledged: a retry would be a conflict
    assert service.cases.get_by_external("IDX-1") is not None
    hits = handler.post("/api/search", json={"text": "小区物业长期不维修电梯", "k": 5}).json()["hits"]
    assert "IDX-1" in {h["case"]["external_no"] for h in hits}


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (OSError(errno.EROFS, "Read-only file system"), StorageReadOnlyError),
        (OSError(errno.ENOSPC, "No space left on device"), StorageFullError),
        (OSError(errno.ENOENT, "No such file"), None),
    ],
)
def test_storage_errors_are_classified(exc: OSError, kind: type | None) -> None:
    found = storage_error(exc)
    assert (type(found) if found else None) is kind


def test_a_reveal_or_export_whose_audit_cannot_be_written_is_withheld(
    service: LeianService, handler: TestClient
) -> None:
    row = case("RO-REVEAL", "小区电梯停运三个月，业主代表联系电话13912345678，请求督促物业维修。")
    created = handler.post("/api/cases", json=row)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    revealed = handler.get(f"/api/cases/{cid}", params={"reveal": "true"})
    assert revealed.status_code == 200 and "13912345678" in revealed.text  # audited, then served
    service.db._conn.execute("PRAGMA query_only = ON")  # the audit event cannot be written
    try:
        for path, params in ((f"/api/cases/{cid}", {"reveal": "true"}), ("/api/cases/export", {"format": "csv"})):
            r = handler.get(path, params=params)
            assert r.status_code == 503, (path, r.status_code)
            assert r.json()["error"]["code"] == "storage_read_only"
            assert "13912345678" not in r.text and "RO-REVEAL" not in r.text
        masked = handler.get(f"/api/cases/{cid}")  # a masked read needs no audit event: still served
        assert masked.status_code == 200 and "13912345678" not in masked.text
    finally:
        service.db._conn.execute("PRAGMA query_only = OFF")
