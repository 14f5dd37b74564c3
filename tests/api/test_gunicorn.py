"""The API workers under gunicorn, with the commands docs/deploy.md gives, read from the page itself.

docs/deploy.md ("API workers", gunicorn) documents one shell block: an ``export`` line naming the
settings, the one-process start that applies the migrations and brings the index files up to date,
and the gunicorn command with uvicorn's worker class. This test supplies its own values for the
exported variables (a temporary data directory, two workers, a free port) and runs the other lines
exactly as written: both workers answer, a case written through one is found by a search another
answers, and SIGTERM stops gunicorn and its workers cleanly with nothing lost.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.service import LeianService
from tests.api.test_serve_workers import PASSWORD, Workers, login, new_case, search_everywhere
from tests.conftest import make_settings
from tests.web_server import free_port, sample_rows

pytest.importorskip("gunicorn", reason="the deploy extra: pip install -e '.[deploy]'")
pytest.importorskip("uvicorn_worker", reason="the deploy extra: pip install -e '.[deploy]'")

REPO = Path(__file__).resolve().parents[2]
MARK = "雪豹观测站风向标"


def documented_block() -> list[str]:
    """The lines of docs/deploy.md's shell block that runs gunicorn (continuations joined)."""
    page = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", page, re.S) if "gunicorn " in b]
    assert len(blocks) == 1, "docs/deploy.md should hold exactly one gunicorn block"
    lines = blocks[0].replace("\\\n", " ").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


class Gunicorn(Workers):
    """The documented gunicorn command in a subprocess (bash ``exec``: the signals reach gunicorn)."""

    def __init__(self, data_dir: Path, command: str, env: dict[str, str]) -> None:
        self.port = int(env["BIND"].rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(data_dir / "serve.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready(data_dir)


@pytest.fixture
def documented(tmp_path: Path) -> Iterator[tuple[Gunicorn, Path]]:
    exported, start, run = documented_block()
    assert exported.startswith("export ")
    names = {item.split("=", 1)[0] for item in shlex.split(exported)[1:]}
    assert {"LEIAN_DATA_DIR", "LEIAN_API_WORKERS", "BIND"} <= names, exported
    assert "python" in start and "gunicorn" in run

    data = tmp_path / "data"
    settings = make_settings(data, encoder="hashing", threads=1, ingest_workers=1)
    service = LeianService(settings)
    service.ingest(sample_rows(120, tmp_path))
    service.users.create("admin", "admin", PASSWORD)
    service.close()
    env = {
        **os.environ,
        # The documented lines call `python` and `gunicorn`: this interpreter's virtualenv first.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO),
        "LEIAN_DATA_DIR": str(data),
        "LEIAN_API_WORKERS": "2",
        "BIND": f"127.0.0.1:{free_port()}",
        "LEIAN_ENCODER": "hashing",
        "LEIAN_PETITIONER_KEY": "test-secret-key",
        "LEIAN_THREADS": "1",
        "LEIAN_INGEST_WORKERS": "1",
    }
    if settings.database_url:
        env["LEIAN_DATABASE_URL"] = settings.database_url
    subprocess.run(["bash", "-c", start], cwd=REPO, env=env, check=True, timeout=300)
    server = Gunicorn(data, run, env)
    try:
        yield server, data
    finally:
        if server.proc.poll() is None:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(10)
        server.log.close()


def test_gunicorn_as_documented_serves_from_two_workers_and_stops_on_sigterm(
    documented: tuple[Gunicorn, Path],
) -> None:
    server, data = documented
    answered = server.until_pids(2, "GET", "/api/health")
    assert len(answered) == 2
    assert {r.json()["worker_pid"] for r in answered.values()} == {int(p) for p in answered}
    workers = server.worker_pids()
    assert {int(p) for p in answered} <= workers

    cookies, _ = login(server)
    created = server.request("POST", "/api/cases", cookies=cookies, json=new_case("GU-0001", MARK))
    assert created.status_code == 201, created.text
    writer = created.headers["x-leian-worker"]
    answers = search_everywhere(server, cookies, MARK)
    assert set(answers) - {writer}, "no other worker answered"
    for pid, hits in answers.items():
        assert hits[0] == "GU-0001", pid

    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(60) == 0
    log = (data / "serve.log").read_text()
    assert "Shutting down: Master" in log, log
    assert "Traceback" not in log, log
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    assert not alive, f"workers left running: {alive}"

    # Nothing acknowledged is lost: the case is stored and found by a service opened afterwards.
    reopened = LeianService(make_settings(data, encoder="hashing", threads=1, ingest_workers=1))
    try:
        hits = reopened.search_with_flags(text=MARK, k=3, mode="lexical").hits
        assert hits[0].case.external_no == "GU-0001"
    finally:
        reopened.close()
