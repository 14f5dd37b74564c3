"""`leian serve --workers 2` as deployed: real processes, a real SQLite file and index files.

Any worker answers any request, a case written through one worker is found by a search another
worker answers (at once: a search first applies the database's change log), a login made through
one worker is honoured by the other, and a worker killed with SIGKILL in the middle of an import
loses nothing committed while the other keeps answering and uvicorn starts a replacement.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kb.service import LeianService
from tests.conftest import make_settings, postgres_mode
from tests.web_server import free_port, sample_rows

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "workers-pass-123"
# A phrase no sample petition contains: the lexical search finds the new case by it alone.
MARK = "鲸落灯塔螺旋桨"


class Workers:
    """`leian serve --workers N` in a subprocess on a free port; requests on fresh connections."""

    def __init__(self, data_dir: Path, workers: int, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(data_dir / "serve.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from api.cli import main; main()",
                "--data-dir",
                str(data_dir),
                "--encoder",
                "hashing",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready(data_dir)

    def wait_ready(self, data_dir: Path) -> None:
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {(data_dir / 'serve.log').read_text()}")
            try:
                if httpx.get(self.url + "/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)

    def request(self, method: str, path: str, cookies: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        """One request on a new connection (the kernel hands each to whichever worker accepts it)."""
        headers = dict(kw.pop("headers", {}))
        headers["Connection"] = "close"
        if cookies and "leian_csrf" in cookies:
            headers["X-CSRF-Token"] = cookies["leian_csrf"]
        with httpx.Client(base_url=self.url, cookies=cookies, timeout=60) as client:
            return client.request(method, path, headers=headers, **kw)

    def until_pids(self, want: int, method: str, path: str, **kw: Any) -> dict[str, httpx.Response]:
        """Repeat a request until ``want`` different workers have answered it; the first answer of each."""
        # Time-bounded, not count-bounded: a worker uvicorn has just started is still importing and
        # warming up, and until it accepts, every connection goes to the ones already listening.
        seen: dict[str, httpx.Response] = {}
        deadline = time.monotonic() + 120
        attempts = 0
        while time.monotonic() < deadline:
            response = self.request(method, path, **kw)
            attempts += 1
            seen.setdefault(response.headers["x-leian-worker"], response)
            if len(seen) >= want:
                return seen
            time.sleep(0.02)
        raise AssertionError(f"only workers {sorted(seen)} answered {attempts} requests in 120 s")

    def worker_pids(self) -> set[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)
        return {int(p) for p in out.stdout.split()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Workers, Path]]:
    data = tmp_path / "data"
    settings = make_settings(data, encoder="hashing", threads=1, ingest_workers=1)
    service = LeianService(settings)
    service.ingest(sample_rows(120, tmp_path))
    service.users.create("admin", "admin", PASSWORD)
    service.close()
    env = {**os.environ, "LEIAN_PETITIONER_KEY": "test-secret-key", "LEIAN_THREADS": "1"}
    env["LEIAN_INGEST_WORKERS"] = "1"
    if settings.database_url:
        env["LEIAN_DATABASE_URL"] = settings.database_url
    server = Workers(data, 2, env)
    try:
        yield server, data
    finally:
        server.stop()


def login(server: Workers) -> tuple[dict[str, str], str]:
    response = server.request("POST", "/api/auth/login", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return dict(response.cookies), response.headers["x-leian-worker"]


def new_case(external_no: str, text: str) -> dict[str, Any]:
    return {
        "external_no": external_no,
        "title": f"反映{text}问题",
        "content": f"我反映{text}的问题，{text}一直没有解决，请求有关部门尽快处理{text}。",
        "received_date": "2025-02-20",
        "channel": "来信",
        "city": "广州市",
        "category": "其他",
        "status": "pending",
    }


def found(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["case"]["external_no"] for hit in response.json()["hits"]]


def search_everywhere(server: Workers, cookies: dict[str, str], text: str, k: int = 5) -> dict[str, list[str]]:
    """The external numbers a lexical search for ``text`` finds, as answered by each of two workers."""
    body = {"text": text, "k": k, "mode": "lexical"}
    return {pid: found(r) for pid, r in server.until_pids(2, "POST", "/api/search", cookies=cookies, json=body).items()}


def test_any_worker_answers_sees_the_others_writes_and_shares_sessions(served: tuple[Workers, Path]) -> None:
    server, _ = served
    answered = server.until_pids(2, "GET", "/api/health")
    assert {r.json()["worker_pid"] for r in answered.values()} == {int(p) for p in answered}

    # A session opened through one worker is honoured by every worker (the sessions table).
    cookies, login_pid = login(server)
    me = server.until_pids(2, "GET", "/api/auth/me", cookies=cookies)
    assert all(r.status_code == 200 and r.json()["username"] == "admin" for r in me.values())
    assert login_pid in me

    # Written through one worker; the first search any other worker answers finds it.
    created = server.request("POST", "/api/cases", cookies=cookies, json=new_case("WK-0001", MARK))
    assert created.status_code == 201, created.text
    writer = created.headers["x-leian-worker"]
    answers = search_everywhere(server, cookies, MARK)
    for pid, hits in answers.items():
        assert hits[0] == "WK-0001", pid
    assert set(answers) - {writer}, "no other worker answered"

    # Updated and deleted through whichever worker: every worker follows.
    case_id = created.json()["id"]
    other = "冰川信号塔齿轮箱"
    changes = {"title": f"反映{other}问题", "content": f"{other}坏了，{other}"}
    updated = server.request("PATCH", f"/api/cases/{case_id}", cookies=cookies, json=changes)
    assert updated.status_code == 200, updated.text
    assert all(hits[0] == "WK-0001" for hits in search_everywhere(server, cookies, other).values())
    assert all("WK-0001" not in hits for hits in search_everywhere(server, cookies, MARK).values())
    assert server.request("DELETE", f"/api/cases/{case_id}", cookies=cookies).status_code == 204
    assert all("WK-0001" not in hits for hits in search_everywhere(server, cookies, other).values())
    health = server.until_pids(2, "GET", "/api/health")
    generations = {r.json()["index_generation"] for r in health.values()}
    assert len(generations) == 1, generations  # every worker reflects the same write generation


def import_file(prefix: str, n: int) -> bytes:
    rows = [new_case(f"{prefix}-{i:05d}", f"批量导入第{i}件{MARK}") for i in range(n)]
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


def test_a_worker_killed_mid_import_loses_nothing_committed(served: tuple[Workers, Path]) -> None:
    server, _ = served
    cookies, _ = login(server)
    committed = []
    for i in range(6):  # through both workers (fresh connections)
        response = server.request("POST", "/api/cases", cookies=cookies, json=new_case(f"KEEP-{i}", f"保留{i}号{MARK}"))
        assert response.status_code == 201, response.text
        committed.append(response.json()["external_no"])

    # An import on a kept-alive connection: the worker that answered the health check runs it.
    victim_result: dict[str, Any] = {}
    client = httpx.Client(base_url=server.url, cookies=cookies, timeout=120)
    victim = client.get("/api/health").headers["x-leian-worker"]

    def upload() -> None:
        try:
            victim_result["response"] = client.post(
                "/api/cases/import",
                files={"file": ("big.jsonl", io.BytesIO(import_file("LOST", 3000)), "application/json")},
                headers={"X-CSRF-Token": cookies["leian_csrf"]},
            )
        except httpx.HTTPError as exc:
            victim_result["error"] = exc

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(1.0)  # the worker is reading, validating or encoding the rows: mid-request
    os.kill(int(victim), signal.SIGKILL)
    thread.join(60)
    client.close()
    assert "error" in victim_result, f"the import finished before the kill: {victim_result}"

    # The other worker keeps answering at once; uvicorn starts a replacement for the dead one.
    survivor = server.request("GET", "/api/health")
    assert survivor.status_code == 200 and survivor.headers["x-leian-worker"] != victim
    deadline = time.monotonic() + 90
    while len(server.worker_pids() - {int(victim)}) < 2:
        assert time.monotonic() < deadline, "uvicorn did not replace the killed worker"
        time.sleep(0.5)
    answers = server.until_pids(2, "GET", "/api/health")
    assert victim not in answers

    # Nothing committed is lost, nothing of the killed import is stored, on every worker.
    for hits in search_everywhere(server, cookies, f"保留{MARK}", k=20).values():
        assert set(committed) <= set(hits)
    listed = server.request("GET", "/api/cases", cookies=cookies, params={"limit": 200})
    numbers = {c["external_no"] for c in listed.json()["items"]}
    assert set(committed) <= numbers
    assert not any(n.startswith("LOST-") for n in numbers)
    generations = {r.json()["index_generation"] for r in server.until_pids(2, "GET", "/api/health").values()}
    assert len(generations) == 1


@pytest.mark.skipif(postgres_mode(), reason="Milvus Lite is refused before the store is opened")
def test_several_workers_refuse_a_milvus_lite_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from api.cli import cli

    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "--index-backend", "milvus", "serve", "--workers", "2"]
    )
    assert result.exit_code != 0
    assert "Milvus 服务器" in result.output
