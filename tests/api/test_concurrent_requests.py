"""Concurrent requests to one API worker: FastAPI runs the sync endpoints in its thread pool.

With ``--db=postgres`` (``./run test-postgres``) the threads share the store's pool of
connections (kb/storage/db.py); on SQLite they take turns on its one connection. Either way every
request is answered and every write is stored once.
"""

from __future__ import annotations

import json
import threading

from fastapi.testclient import TestClient

from kb.service import LeianService
from kb.storage.db import POOL_SIZE
from tests.helpers import ROWS


def test_reads_and_writes_from_many_threads(client: TestClient, service: LeianService) -> None:
    jsonl = "\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS).encode("utf-8")
    r = client.post("/api/cases/import", files={"file": ("cases.jsonl", jsonl, "application/json")})
    assert r.status_code == 200, r.text
    statuses: list[int] = []
    created: list[int] = []
    lock = threading.Lock()

    def reader() -> None:
        for _ in range(5):
            codes = [
                client.get("/api/cases", params={"limit": 5}).status_code,
                client.get(f"/api/cases/by-external/{ROWS[0]['external_no']}").status_code,
                client.get("/api/health").status_code,
            ]
            with lock:
                statuses.extend(codes)

    def writer(n: int) -> None:
        for i in range(3):
            row = dict(ROWS[1], external_no=f"并发-{n}-{i}")
            r = client.post("/api/cases", json=row)
            with lock:
                statuses.append(r.status_code)
                if r.status_code == 201:
                    created.append(r.json()["id"])

    threads = [threading.Thread(target=reader) for _ in range(6)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(statuses)) == [200, 201] and len(statuses) == 6 * 15 + 9
    assert len(set(created)) == 9
    body = client.get("/api/health").json()
    assert body["cases"] == len(ROWS) + 9 and body["indexed_vectors"] == len(ROWS) + 9
    if service.db.dialect == "postgresql":  # the threads shared at most POOL_SIZE connections
        assert 1 <= len(service.db._pool.all) <= POOL_SIZE
