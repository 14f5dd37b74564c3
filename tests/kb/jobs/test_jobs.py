"""Background jobs on a real SQLite service: submit, run, progress, cancellation that writes nothing,
results that survive a restart, interrupted jobs, scoping and parameter errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.audit import AuditFilter
from kb.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from kb.jobs.service import JobKind, JobRunner
from kb.service import LeianService
from kb.users import Principal
from tests.conftest import SAMPLES, make_settings


def sample_bytes(n: int) -> bytes:
    with SAMPLES.open(encoding="utf-8") as fh:
        return "".join(line for _, line in zip(range(n), fh, strict=False)).encode("utf-8")


def principal(service: LeianService, name: str) -> Principal:
    found = service.users.by_username(name)
    assert found is not None
    return found


@pytest.fixture
def svc(tmp_path: Path, segmenter: Segmenter) -> LeianService:
    service = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
    service.users.create("boss", "admin", "password-12345")
    service.users.create("rev", "reviewer", "password-12345")
    service.users.create("hd", "handler", "password-12345")
    service.users.create("gz", "handler", "password-12345", unit="广州市", scope="city")
    yield service
    service.close()


def test_import_job_runs_with_progress_and_result(svc: LeianService) -> None:
    handler = principal(svc, "hd")
    job = svc.jobs.submit("import", {}, handler, upload=sample_bytes(40), filename="来信.jsonl")
    assert job["status"] == "queued" and job["params"]["filename"] == "来信.jsonl"
    assert "upload" not in job["params"]  # the stored file's name stays on the server
    assert svc.cases.count() == 0
    assert svc.jobs.run_next("test:1") == job["id"]
    done = svc.jobs.get(job["id"], handler)
    assert done["status"] == "succeeded", done
    assert done["progress_total"] == 40 and done["progress_done"] == 40 and done["progress"] == 1.0
    assert done["result"]["created"] == 40 and "40" in done["result"]["summary"]
    assert svc.cases.count() == 40
    assert not list((svc.settings.data_dir / "jobs" / "uploads").iterdir())  # the upload is removed after
    events, _ = svc.audit.query(AuditFilter(), limit=50)
    assert any(e["action"] == "job.submit" and e["record_id"] == str(job["id"]) for e in events)


def test_cancel_mid_import_writes_nothing(svc: LeianService) -> None:
    handler = principal(svc, "hd")
    real = svc.jobs.kinds["import"]

    def cancelled_at_first_progress(ctx):  # the user presses 取消 while the file is being encoded
        svc.jobs.store.request_cancel(ctx.job_id, "2026-12-02T10:00:00+08:00")
        return real.run(ctx)

    svc.jobs.register(
        JobKind("import", real.label, real.permission, cancelled_at_first_progress, real.check, needs_upload=True)
    )
    job = svc.jobs.submit("import", {}, handler, upload=sample_bytes(30), filename="cases.jsonl")
    svc.jobs.run_next("test:1")
    after = svc.jobs.get(job["id"], handler)
    assert after["status"] == "cancelled" and "未写入" in after["message"]
    assert svc.cases.count() == 0


def test_cancel_queued_job_and_refuse_finished(svc: LeianService) -> None:
    reviewer = principal(svc, "rev")
    job = svc.jobs.submit("report", {"weeks": 2}, reviewer)
    assert svc.jobs.cancel(job["id"], reviewer)["status"] == "cancelled"
    assert svc.jobs.run_next("test:1") is None  # nothing left to run
    with pytest.raises(InvalidInputError, match="无法取消"):
        svc.jobs.cancel(job["id"], reviewer)
    again = svc.jobs.resubmit(job["id"], reviewer)
    assert again["status"] == "queued" and again["id"] != job["id"] and again["params"]["weeks"] == 2


def test_discover_job_needs_provincial_reviewer(svc: LeianService) -> None:
    svc.ingest([(i, row) for i, row in enumerate(json.loads(x) for x in sample_bytes(120).decode().splitlines())])
    with pytest.raises(PermissionDeniedError):
        svc.jobs.submit("discover", {}, principal(svc, "hd"))  # a handler may not regroup
    reviewer = principal(svc, "rev")
    job = svc.jobs.submit("discover", {"mode": "full"}, reviewer)
    svc.jobs.run_next("test:1")
    done = svc.jobs.get(job["id"], reviewer)
    assert done["status"] == "succeeded", done
    assert done["result"]["cases"] == 120 and done["result"]["groups"] == len(svc.groups.list_groups())


def test_bad_parameters_name_the_field(svc: LeianService) -> None:
    reviewer = principal(svc, "rev")
    with pytest.raises(InvalidInputError) as e:
        svc.jobs.submit("discover", {"mode": "everything"}, reviewer)
    assert e.value.problems[0].field == "mode"
    with pytest.raises(InvalidInputError) as e:
        svc.jobs.submit("report", {"weeks": 99}, reviewer)
    assert e.value.problems[0].field == "weeks"
    with pytest.raises(InvalidInputError) as e:
        svc.jobs.submit("reindex", {"bogus": 1}, principal(svc, "boss"))
    assert e.value.problems[0].field == "bogus"
    with pytest.raises(InvalidInputError) as e:
        svc.jobs.submit("launch", {}, reviewer)
    assert e.value.problems[0].field == "kind"
    with pytest.raises(InvalidInputError) as e:
        svc.jobs.submit("import", {}, principal(svc, "hd"))
    assert e.value.problems[0].field == "file"


def test_jobs_are_private_to_their_submitter(svc: LeianService) -> None:
    job = svc.jobs.submit("report", {}, principal(svc, "rev"))
    with pytest.raises(NotFoundError):
        svc.jobs.get(job["id"], principal(svc, "hd"))
    with pytest.raises(NotFoundError):
        svc.jobs.cancel(job["id"], principal(svc, "gz"))
    assert [j["id"] for j in svc.jobs.list(principal(svc, "hd"))] == []
    assert [j["id"] for j in svc.jobs.list(principal(svc, "boss"))] == [job["id"]]


def test_a_disabled_account_s_queued_job_does_not_run(svc: LeianService) -> None:
    job = svc.jobs.submit("report", {}, principal(svc, "rev"))
    svc.accounts.disable(principal(svc, "boss"), "rev")
    svc.jobs.run_next("test:1")
    row = svc.jobs.get(job["id"], principal(svc, "boss"))
    assert row["status"] == "failed" and "停用" in row["error"]


def test_result_survives_restart_and_dead_runner_is_interrupted(tmp_path: Path, segmenter: Segmenter) -> None:
    settings = make_settings(tmp_path)
    first = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    first.users.create("rev", "reviewer", "password-12345")
    reviewer = principal(first, "rev")
    done = first.jobs.submit("report", {"weeks": 3}, reviewer)
    first.jobs.run_next("test:1")
    cut = first.jobs.submit("report", {}, reviewer)
    # A runner on this machine took the job, then its process died (pid 2**22+1 is never alive).
    first.jobs.store.claim_next(f"{JobRunner(first.jobs).name.split(':')[0]}:4194305", "2026-12-02T10:00:00+08:00")
    first.close()

    second = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    try:
        reviewer = principal(second, "rev")
        kept = second.jobs.get(done["id"], reviewer)
        assert kept["status"] == "succeeded" and len(kept["result"]["trend"]) == 3
        assert second.jobs.get(cut["id"], reviewer)["status"] == "running"
        assert second.jobs.recover(JobRunner(second.jobs).name) == 1
        interrupted = second.jobs.get(cut["id"], reviewer)
        assert interrupted["status"] == "interrupted" and "回滚" in interrupted["message"]
    finally:
        second.close()


def test_runner_thread_picks_up_submitted_jobs(svc: LeianService) -> None:
    runner = JobRunner(svc.jobs, poll_seconds=0.1)
    runner.start()
    try:
        reviewer = principal(svc, "rev")
        job = svc.jobs.submit("report", {"weeks": 1}, reviewer)
        for _ in range(200):
            if svc.jobs.get(job["id"], reviewer)["status"] == "succeeded":
                break
            time.sleep(0.05)
        assert svc.jobs.get(job["id"], reviewer)["status"] == "succeeded"
    finally:
        runner.stop()
