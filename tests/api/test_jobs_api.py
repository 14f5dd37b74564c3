"""Background jobs over HTTP and the CLI: submitted, run by the serving process's runner thread,
watched to the end; an upload imported in the background; cancellation and other users' jobs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import cli, register_commands
from kb.service import LeianService
from tests.conftest import SAMPLES, auth


def wait_for(client: TestClient, job_id: int, headers: dict[str, str]) -> dict:
    for _ in range(400):
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


@pytest.fixture
def running(service: LeianService, tokens: dict[str, str]) -> Iterator[TestClient]:
    """The app with its job runner on, as `leian serve` starts it."""
    with TestClient(create_app(service, run_jobs=True), raise_server_exceptions=False) as c:
        yield c


def test_import_upload_runs_in_background(running: TestClient, tokens: dict[str, str], service: LeianService) -> None:
    data = "".join(line for _, line in zip(range(25), SAMPLES.open(encoding="utf-8"), strict=False))
    handler = auth(tokens["handler"])
    answer = running.post(
        "/api/jobs/import", files={"file": ("来信.jsonl", data.encode(), "application/json")}, headers=handler
    )
    assert answer.status_code == 202, answer.text
    job = wait_for(running, answer.json()["id"], handler)
    assert job["status"] == "succeeded", job
    assert job["kind_label"] == "导入案件" and job["result"]["created"] == 25
    assert service.cases.count() == 25
    # Another handler's job is not even visible; the administrator sees every job.
    assert running.get(f"/api/jobs/{job['id']}", headers=auth(tokens["gz_handler"])).status_code == 404
    assert [j["id"] for j in running.get("/api/jobs", headers=auth(tokens["admin"])).json()] == [job["id"]]


def test_report_job_and_errors(running: TestClient, tokens: dict[str, str]) -> None:
    sup = auth(tokens["supervisor"])
    answer = running.post("/api/jobs", json={"kind": "report", "params": {"weeks": 2}}, headers=sup)
    assert answer.status_code == 202
    job = wait_for(running, answer.json()["id"], sup)
    assert job["status"] == "succeeded" and len(job["result"]["trend"]) == 2 and job["result"]["definitions"]
    bad = running.post("/api/jobs", json={"kind": "report", "params": {"group_by": "street"}}, headers=sup)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "group_by"
    denied = running.post("/api/jobs", json={"kind": "reindex"}, headers=sup)
    assert denied.status_code == 403
    finished = running.post(f"/api/jobs/{job['id']}/cancel", headers=sup)
    assert finished.status_code == 422 and "无法取消" in finished.json()["error"]["details"][0]["message"]


def test_cli_submit_worker_show(tmp_path: Path) -> None:
    register_commands()
    env = {"LEIAN_PETITIONER_KEY": "cli-test-key", "LEIAN_THREADS": "1", "LEIAN_INGEST_WORKERS": "1"}
    base = ["--data-dir", str(tmp_path / "data"), "--encoder", "hashing"]
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(line for _, line in zip(range(20), SAMPLES.open(encoding="utf-8"), strict=False)))
    runner = CliRunner()
    submitted = runner.invoke(cli, [*base, "jobs", "import", str(source)], env=env)
    assert submitted.exit_code == 0, submitted.output
    assert "#1 导入案件 排队中" in submitted.output
    worked = runner.invoke(cli, [*base, "jobs", "worker"], env=env)
    assert worked.exit_code == 0 and "已执行 1 个后台任务" in worked.output, worked.output
    shown = runner.invoke(cli, [*base, "jobs", "show", "1"], env=env)
    assert shown.exit_code == 0 and "已完成" in shown.output and "20" in shown.output, shown.output
    bad = runner.invoke(cli, [*base, "jobs", "submit", "report", "--param", "weeks"], env=env)
    assert bad.exit_code != 0 and "--param" in bad.output
