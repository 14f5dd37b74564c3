"""A live Leian server for browser tests: a temp data dir, sample cases, demo users, uvicorn in a thread."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from api.app import create_app
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import Clock, FixedClock
from kb.service import LeianService
from kb.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples" / "cases.jsonl"
PASSWORD = "demo-pass-123"
# (username, role, display name, unit, scope kind): provincial staff and two unit accounts.
DEMO_USERS = [
    ("handler", "handler", "张经办", None, None),
    ("reviewer", "reviewer", "李审查", None, None),
    ("supervisor", "supervisor", "王督查", None, None),
    ("admin", "admin", "系统管理员", None, None),
    ("gz_handler", "handler", "陈属地", "广州市", "city"),
    ("jt_officer", "handler", "周交通", "省交通运输厅", "department"),
    ("zf_officer", "handler", "赵政法", "省委政法委", "zhengfa"),
    ("gz_court", "handler", "钱法官", "广州市中级人民法院", "department"),
]


def sample_rows(limit: int, tmp: Path) -> list[tuple[int, dict[str, Any]]]:
    """The first ``limit`` bundled samples; generated deterministically if the bundle is absent."""
    path = SAMPLES
    if not path.exists():
        out = tmp / "samples"
        subprocess.run(
            [sys.executable, "-m", "samplegen", "--n", str(max(limit, 400)), "--out", str(out), "--quiet"],
            check=True,
            cwd=REPO,
        )
        path = out / "cases.jsonl"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, start=1):
            if line.strip():
                rows.append((i, json.loads(line)))
            if len(rows) >= limit:
                break
    return rows


# The sample petitions end in February 2025: the browser tests' server lives a few days later, on a
# clock they can move (deadlines, the 复查 window), so overdue and near-due cases appear as in practice.
TODAY = dt.date(2025, 3, 3)


def build_service(
    data_dir: Path,
    rows: list[tuple[int, dict[str, Any]]],
    segmenter: Segmenter | None = None,
    clock: Clock | None = None,
) -> LeianService:
    settings = Settings(data_dir=data_dir, petitioner_key="web-test-key", threads=2)
    service = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter, clock=clock or FixedClock(TODAY))
    service.ingest(rows)
    for username, role, display, unit, scope in DEMO_USERS:
        service.users.create(username, role, PASSWORD, unit=unit, scope=scope, display_name=display)
    from kb.modelcases.library import load_samples

    load_samples(service.modelcases)
    groups = getattr(service, "groups", None)
    if groups is not None:
        groups.discover()
    return service


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving ``create_app(service)`` on a free 127.0.0.1 port in a daemon thread."""

    def __init__(self, service: LeianService) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(service), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


if __name__ == "__main__":  # manual preview: python -m tests.web_server /tmp/leian-web
    import tempfile

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    svc = build_service(target, sample_rows(300, target))
    with LiveServer(svc) as live:
        print(live.url, flush=True)
        while True:
            time.sleep(3600)
