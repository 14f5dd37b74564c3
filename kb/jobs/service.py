"""Background jobs: submit, watch, cancel; the runner that executes them one at a time.

Long work (group discovery, reindex, a large import, a report) is submitted as a job over HTTP or the
CLI and answered at once with the job's id; the runner (a thread of the serving process, see
``JobRunner``) executes it with the submitter's own permissions, re-read when it starts, and writes
progress, the result or the error into the ``jobs`` row. What each kind does is registered by the
composition root (``kb/service.py``): this module knows no feature.

A job is cancelled at its next progress step: the work raises ``JobCancelled`` inside its
transaction, so an import or a discovery cut short writes nothing. A job whose process died is
marked ``interrupted`` when a runner starts again (its transaction died with it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.audit import AuditLog
from kb.clock import Clock
from kb.errors import FieldProblem, InvalidInputError, LeianError, NotFoundError, PermissionDeniedError
from kb.jobs.store import ACTIVE, JobStore
from kb.locks import try_lock
from kb.storage.db import write_private_bytes
from kb.users import SYSTEM, Principal, UserStore

log = logging.getLogger(__name__)

CLI_PREFIX = "cli:"
STATUS_LABELS = {
    "queued": "排队中",
    "running": "执行中",
    "succeeded": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
    "interrupted": "已中断",
}


class JobCancelled(LeianError):
    """Raised inside a job's work at the progress step after a cancellation was asked for."""

    code = "job_cancelled"


@dataclass
class JobContext:
    """What a job's work gets: its parameters, the acting user, an upload's path and progress."""

    job_id: int
    params: dict[str, Any]
    actor: Principal
    upload: Path | None
    report: Callable[[int, int | None, str], None]
    done: int = 0
    total: int | None = None

    def advance(self, n: int) -> None:
        """A ``ProgressFn`` (items done since the last call)."""
        self.done += n
        self.report(self.done, self.total, f"已处理 {self.done}" + (f" / {self.total}" if self.total else ""))

    def stage(self, message: str) -> None:
        """A ``StageFn`` (one Chinese line per stage)."""
        self.report(self.done, self.total, message)


@dataclass(frozen=True)
class JobKind:
    """One kind of job: who may submit it, how its parameters are checked and what it does."""

    name: str
    label: str
    permission: str
    run: Callable[[JobContext], Any]
    check: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda params: dict(params))
    provincial: bool = False
    needs_upload: bool = False
    cancellable: bool = True


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobService:
    def __init__(
        self,
        store: JobStore,
        users: UserStore,
        audit: AuditLog,
        clock: Clock,
        upload_dir: Path,
        *,
        stale_minutes: float = 10.0,
    ) -> None:
        self.store, self.users, self.audit, self.clock = store, users, audit, clock
        self.upload_dir = Path(upload_dir)
        self.stale_minutes = stale_minutes
        self.kinds: dict[str, JobKind] = {}
        self.wake = threading.Event()

    def register(self, kind: JobKind) -> None:
        self.kinds[kind.name] = kind

    def _now(self) -> str:
        return self.clock.now().isoformat()

    # -- the doors ----------------------------------------------------------------------------------
    def submit(
        self,
        kind: str,
        params: Mapping[str, Any] | None,
        actor: Principal,
        *,
        upload: bytes | None = None,
        filename: str | None = None,
    ) -> dict[str, Any]:
        spec = self.kinds.get(kind)
        if spec is None:
            raise InvalidInputError([FieldProblem("kind", f"应为 {', '.join(sorted(self.kinds))} 之一")])
        actor.require(spec.permission)
        if spec.provincial and not actor.scope.provincial:
            raise PermissionDeniedError(f"{spec.label}涉及全省案件，需省级用户执行")
        checked = spec.check(dict(params or {}))
        if spec.needs_upload:
            if not upload:
                raise InvalidInputError([FieldProblem("file", "请上传要导入的文件")])
            name = Path(filename or "upload").name
            stored = self.upload_dir / f"{secrets.token_hex(8)}-{name}"
            write_private_bytes(stored, upload)
            checked = {**checked, "filename": name, "upload": stored.name}
        job_id = self.store.create(kind, checked, actor.username, self._now())
        self.audit.record(actor, "job.submit", "job", job_id, {"kind": kind})
        self.wake.set()
        return self.get(job_id, actor)

    def _row(self, job_id: int, actor: Principal) -> sqlite3.Row:
        row = self.store.get(job_id)
        # Another user's job does not exist for a non-administrator (no probing of ids).
        if row is None or (row["created_by"] != actor.username and not actor.can("system:admin")):
            raise NotFoundError(f"后台任务 {job_id} 不存在")
        return row

    def get(self, job_id: int, actor: Principal) -> dict[str, Any]:
        return self.describe(self._row(job_id, actor))

    def list(self, actor: Principal, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        if status is not None and status not in STATUS_LABELS:
            raise InvalidInputError([FieldProblem("status", f"应为 {', '.join(STATUS_LABELS)} 之一")])
        mine = None if actor.can("system:admin") else actor.username
        return [self.describe(r) for r in self.store.list(created_by=mine, status=status, limit=limit)]

    def cancel(self, job_id: int, actor: Principal) -> dict[str, Any]:
        row = self._row(job_id, actor)
        if row["status"] not in ACTIVE:
            raise InvalidInputError([FieldProblem("status", f"任务已{STATUS_LABELS[row['status']]}，无法取消")])
        spec = self.kinds.get(row["kind"])
        if row["status"] == "running" and spec is not None and not spec.cancellable:
            raise InvalidInputError([FieldProblem("status", f"{spec.label}开始执行后不能取消")])
        self.store.request_cancel(job_id, self._now())
        self.audit.record(actor, "job.cancel", "job", job_id, {"kind": row["kind"]})
        return self.get(job_id, actor)

    def resubmit(self, job_id: int, actor: Principal) -> dict[str, Any]:
        """A new job with the same parameters (after a failure, cancellation or interruption)."""
        row = self._row(job_id, actor)
        if row["status"] in ACTIVE:
            raise InvalidInputError([FieldProblem("status", "任务尚未结束，无需重新提交")])
        spec = self.kinds.get(row["kind"])
        if spec is None:
            raise InvalidInputError([FieldProblem("kind", f"未知的任务类型 {row['kind']}")])
        actor.require(spec.permission)
        params = json.loads(row["params"])
        if spec.needs_upload and not (self.upload_dir / str(params.get("upload", ""))).is_file():
            raise InvalidInputError([FieldProblem("file", "原上传文件已不存在，请重新上传")])
        new_id = self.store.create(row["kind"], params, actor.username, self._now())
        self.audit.record(actor, "job.submit", "job", new_id, {"kind": row["kind"], "from": job_id})
        self.wake.set()
        return self.get(new_id, actor)

    def describe(self, row: sqlite3.Row) -> dict[str, Any]:
        spec = self.kinds.get(row["kind"])
        total = row["progress_total"]
        params = json.loads(row["params"])
        params.pop("upload", None)  # the stored file's name is the server's business
        return {
            "id": row["id"],
            "kind": row["kind"],
            "kind_label": spec.label if spec else row["kind"],
            "params": params,
            "status": row["status"],
            "status_label": STATUS_LABELS[row["status"]],
            "progress_done": row["progress_done"],
            "progress_total": total,
            "progress": (row["progress_done"] / total) if total else None,
            "message": row["message"],
            "result": None if row["result"] is None else json.loads(row["result"]),
            "error": row["error"],
            "cancel_requested": bool(row["cancel_requested"]),
            "cancellable": row["status"] == "queued"
            or (row["status"] == "running" and bool(spec and spec.cancellable)),
            "created_by": row["created_by"],
            "created_at": row["created_at"],
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
        }

    # -- the runner's side --------------------------------------------------------------------------
    def recover(self, me: str) -> int:
        """Mark as interrupted the running jobs whose runner is gone; returns how many."""
        host = me.split(":", 1)[0]
        stale_before = time.time() - self.stale_minutes * 60
        n = 0
        for row in self.store.list(status="running", limit=10_000):
            runner = str(row["runner"] or "")
            r_host, _, r_pid = runner.partition(":")
            dead_here = r_host == host and runner != me and (not r_pid.isdigit() or not _pid_alive(int(r_pid)))
            beat = row["heartbeat_at"]
            stale = beat is None or _epoch(beat) < stale_before
            if dead_here or stale:
                self.store.interrupt(int(row["id"]), self._now())
                log.warning("background job %s interrupted (runner %s gone)", row["id"], runner)
                n += 1
        return n

    def run_next(self, me: str) -> int | None:
        """Run the oldest queued job to its end; returns its id, or None when the queue is empty."""
        row = self.store.claim_next(me, self._now())
        if row is None:
            return None
        job_id = int(row["id"])
        spec = self.kinds.get(row["kind"])
        try:
            if spec is None:
                raise InvalidInputError([FieldProblem("kind", f"未知的任务类型 {row['kind']}")])
            actor = self._actor(str(row["created_by"]))
            if actor is None:
                raise PermissionDeniedError("提交任务的账户已停用或不存在，任务未执行")
            actor.require(spec.permission)
            params = json.loads(row["params"])
            upload = (self.upload_dir / params["upload"]) if spec.needs_upload else None
            if upload is not None and not upload.is_file():
                raise InvalidInputError([FieldProblem("file", "上传文件已不存在，请重新上传")])
            ctx = JobContext(job_id, params, actor, upload, self._reporter(job_id))
            with self._heartbeat(job_id):
                result = spec.run(ctx)
        except JobCancelled:
            self.store.finish(job_id, "cancelled", self._now(), message="已取消，未写入任何数据")
        except LeianError as e:
            self.store.finish(job_id, "failed", self._now(), error=str(e), message="失败")
        except Exception as e:  # a programming error must not kill the runner; the log has the trace
            log.exception("background job %s failed", job_id)
            self.store.finish(job_id, "failed", self._now(), error=f"内部错误：{type(e).__name__}", message="失败")
        else:
            self.store.finish(job_id, "succeeded", self._now(), result=result, message="已完成")
            if spec is not None and spec.needs_upload and ctx.upload is not None:
                ctx.upload.unlink(missing_ok=True)
        return job_id

    @contextmanager
    def _heartbeat(self, job_id: int, every: float = 30.0) -> Iterator[None]:
        """Beat while a long step reports no progress, so no runner takes the job for dead."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every):
                try:
                    self.store.heartbeat(job_id, self._now())
                except Exception:  # the next beat or the job's end will tell
                    log.debug("heartbeat of job %s failed", job_id)

        thread = threading.Thread(target=beat, name=f"leian-job-{job_id}-beat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(1.0)

    def _actor(self, username: str) -> Principal | None:
        """The submitter, re-read now: a disabled account's queued jobs do not run. A command-line
        submission without an account (``cli:NAME``, kb/users) keeps the command line's rights."""
        if username.startswith(CLI_PREFIX):
            return dataclasses.replace(
                SYSTEM, username=username, display_name=f"{username[len(CLI_PREFIX) :]}（命令行）"
            )
        return self.users.active_by_username(username)

    def _reporter(self, job_id: int, every: float = 0.5) -> Callable[[int, int | None, str], None]:
        last_at, last_message = [0.0], [""]

        def report(done: int, total: int | None, message: str) -> None:
            now = time.monotonic()
            if message == last_message[0] and now - last_at[0] < every and (total is None or done < total):
                return
            last_at[0], last_message[0] = now, message
            if self.store.progress(job_id, done, total, message, self._now()):
                raise JobCancelled("任务已取消")

        return report


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()


class JobRunner:
    """Executes queued jobs one at a time in a daemon thread of the serving process.

    One runner per data directory: the serving process starts it (``LEIAN_JOB_RUNNER=inline``, the
    default), or ``leian jobs worker`` runs the queue when no server is running.
    """

    def __init__(self, jobs: JobService, poll_seconds: float = 2.0, lock_path: Path | None = None) -> None:
        """``lock_path`` (several serving processes): the runner runs jobs only while it holds an
        exclusive ``flock`` on that file, so one process of the data directory runs the queue; the
        others try to take it at every poll, so when its holder dies another one carries on."""
        self.jobs, self.poll = jobs, poll_seconds
        self.name = runner_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lock_path = lock_path
        self._lock: Any = None

    def start(self) -> None:
        if self.lock_path is None:
            self.jobs.recover(self.name)
        self._thread = threading.Thread(target=self._loop, name="leian-jobs", daemon=True)
        self._thread.start()

    def holds_queue(self) -> bool:
        """Whether this runner may run jobs (always without a lock file; else while holding it)."""
        if self.lock_path is None or self._lock is not None:
            return True
        fh = try_lock(self.lock_path)
        if fh is None:
            return False
        self._lock = fh
        self.jobs.recover(self.name)  # the previous holder's running job, if it died, is 已中断
        log.info("background jobs now run in process %s", self.name)
        return True

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self.holds_queue():
                self._stop.wait(self.poll)
                continue
            try:
                ran = self.jobs.run_next(self.name)
            except Exception:  # the database gone away at shutdown, a full disk: retry later
                log.exception("background job runner step failed")
                ran = None
            if ran is None:
                self.jobs.wake.wait(self.poll)
                self.jobs.wake.clear()

    def drain(self) -> int:
        """Run every queued job in this thread (the CLI worker); returns how many ran."""
        self.jobs.recover(self.name)
        n = 0
        while self.jobs.run_next(self.name) is not None:
            n += 1
        return n

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.jobs.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


__all__ = ["STATUS_LABELS", "JobCancelled", "JobContext", "JobKind", "JobRunner", "JobService"]
