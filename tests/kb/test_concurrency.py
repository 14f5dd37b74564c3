"""Concurrent writes and searches through one app from several threads: no errors, no lost writes."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from api.app import create_app
from kb.audit import AuditFilter
from kb.service import LeianService
from tests.conftest import auth
from tests.helpers import ROWS, rows

THREADS, WRITES = 4, 12


def test_concurrent_writes_and_searches(service: LeianService, tokens: dict[str, str]) -> None:
    service.ingest(rows())
    app = create_app(service)
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        with TestClient(app, raise_server_exceptions=False, headers=auth(tokens["handler"])) as client:
            start.wait()
            for i in range(WRITES):
                row = {**ROWS[i % len(ROWS)], "external_no": f"C{n}-{i}", "content": f"第{n}组第{i}件：拖欠工资问题"}
                r = client.post("/api/cases", json=row)
                if r.status_code != 201:
                    errors.append(f"create {r.status_code} {r.text[:200]}")
                    continue
                case_id = r.json()["id"]
                r = client.patch(f"/api/cases/{case_id}", json={"status": "in_progress"})
                if r.status_code != 200:
                    errors.append(f"update {r.status_code} {r.text[:200]}")
                r = client.post("/api/search", json={"text": "拖欠工资", "k": 5})
                if r.status_code != 200 or not r.json()["hits"]:
                    errors.append(f"search {r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    written = {f"C{n}-{i}" for n in range(THREADS) for i in range(WRITES)}
    stored = {r[0]: r[1] for r in service.db.query("SELECT external_no, status FROM cases WHERE external_no LIKE 'C%'")}
    assert set(stored) == written and set(stored.values()) == {"in_progress"}
    assert len(service.index.vectors) == service.cases.count() == len(ROWS) + len(written)
    creates = service.audit.query(AuditFilter(action="cases.create"), limit=1000)[1]
    updates = service.audit.query(AuditFilter(action="cases.update"), limit=1000)[1]
    assert creates == updates == len(written)
