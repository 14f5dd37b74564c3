"""A CLI command on the data directory of a running `leian serve` (one worker), as an operator runs
`leian ingest` on the server: the server's next search finds what the CLI wrote (it follows the
database's change log), a CLI search sees the server's writes, neither process overwrites the
other's index files, and after the server stops the files on disk hold every write (the next start
opens them without a rebuild).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from kb.service import LeianService
from tests.api.test_serve_workers import MARK, PASSWORD, REPO, Workers, found, import_file, new_case
from tests.conftest import make_settings
from tests.web_server import sample_rows


def cli(data: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-c",
        "from api.cli import main; main()",
        "--data-dir",
        str(data),
        "--encoder",
        "hashing",
    ]
    return subprocess.run([*command, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_cli_ingest_beside_a_running_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = make_settings(data, encoder="hashing", threads=1, ingest_workers=1)
    service = LeianService(settings)
    service.ingest(sample_rows(60, tmp_path))
    service.users.create("admin", "admin", PASSWORD)
    service.close()
    env = {**os.environ, "LEIAN_PETITIONER_KEY": "test-secret-key", "LEIAN_THREADS": "1", "LEIAN_INGEST_WORKERS": "1"}
    if settings.database_url:
        env["LEIAN_DATABASE_URL"] = settings.database_url
    server = Workers(data, 1, env)
    try:
        response = server.request("POST", "/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert response.status_code == 200, response.text
        cookies = dict(response.cookies)
        upload = tmp_path / "more.jsonl"
        upload.write_bytes(import_file("CLI", 3))
        done = cli(data, env, "ingest", str(upload))
        assert done.returncode == 0, done.stderr
        body = {"text": MARK, "k": 5, "mode": "lexical"}
        wanted = {"CLI-00000", "CLI-00001", "CLI-00002"}
        deadline = time.monotonic() + 30
        hits: list[str] = []
        while time.monotonic() < deadline:
            hits = found(server.request("POST", "/api/search", cookies=cookies, json=body))
            if wanted <= set(hits):
                break
            time.sleep(0.2)
        assert wanted <= set(hits), hits
        # The other way round: written through the server, found by a CLI search.
        created = server.request("POST", "/api/cases", cookies=cookies, json=new_case("SRV-0001", "齿轮箱冰川信号塔"))
        assert created.status_code == 201, created.text
        searched = cli(data, env, "search", "齿轮箱冰川信号塔", "--mode", "lexical", "-k", "3", "--json")
        assert searched.returncode == 0, searched.stderr
        assert json.loads(searched.stdout)[0]["case"]["external_no"] == "SRV-0001"
    finally:
        server.stop()
    reopened = LeianService(settings)
    try:
        assert not reopened.index.rebuilt_from_db and reopened.index.lexical_source == "file"
        assert reopened.cases.count() == 64 and len(reopened.index.vectors) == 64
        assert {h.case.external_no for h in reopened.search(text=MARK, k=5, mode="lexical")} >= wanted
    finally:
        reopened.close()
