"""Crash safety: SIGKILL a real process mid-import and mid index save, then check on restart.

After every kill: each import file is in the database whole or not at all, every import the process
reported as committed is there (records lost = 0), and the vector index holds exactly the cases
of the database (a stale or half-saved index is detected and rebuilt from it).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.service import LeianService
from tests.conftest import REPO, make_settings

pytestmark = pytest.mark.slow
ENV = {**os.environ, "LEIAN_PETITIONER_KEY": "test-secret-key", "PYTHONUNBUFFERED": "1", "LEIAN_THREADS": "1"}
WORDS = [
    "拖欠",
    "工资",
    "物业",
    "维修",
    "征地",
    "补偿",
    "养老",
    "保险",
    "医保",
    "报销",
    "噪音",
    "污染",
    "学位",
    "教育",
    "平台",
    "运费",
    "退款",
    "房屋",
    "质量",
    "安置",
]
FILES, ROWS_PER_FILE, RUNS = 5, 200, 3


def write_files(folder: Path, rnd: random.Random) -> list[Path]:
    paths = []
    for f in range(FILES):
        path = folder / f"batch{f}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i in range(ROWS_PER_FILE):
                text = "".join(rnd.choice(WORDS) for _ in range(40))
                row = {
                    "external_no": f"F{f}-{i:04d}",
                    "title": text[:12],
                    "content": text,
                    "received_date": "2025-01-01",
                    "city": rnd.choice(["广州市", "深圳市"]),
                    "petitioner_id": f"44010619900101{i:04d}",
                }
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def reopen(data_dir: Path, segmenter: Segmenter) -> LeianService:
    return LeianService(make_settings(data_dir), encoder=HashingEncoder(), segmenter=segmenter)


def files_present(service: LeianService) -> list[int]:
    """Cases per import file; asserts each file is there whole or not at all."""
    per_file = [0] * FILES
    for row in service.db.query("SELECT external_no FROM cases"):
        per_file[int(row[0][1 : row[0].index("-")])] += 1
    assert all(n in (0, ROWS_PER_FILE) for n in per_file), per_file
    return per_file


def check_consistent(service: LeianService) -> None:
    """Vectors for all cases, the index holds exactly the database's cases, SQLite is intact."""
    case_ids = sorted(int(r[0]) for r in service.db.query("SELECT id FROM cases"))
    vector_ids = sorted(int(r[0]) for r in service.db.query("SELECT case_id FROM case_vectors"))
    assert vector_ids == case_ids
    assert sorted(int(i) for i in service.index.vectors.ids()) == case_ids
    assert len(service.index.lexical) == len(case_ids)
    assert service.db.query_one("PRAGMA integrity_check")[0] == "ok"


def test_sigkill_mid_import_loses_no_committed_case(tmp_path: Path, segmenter: Segmenter) -> None:
    rnd = random.Random(8)
    files = write_files(tmp_path, rnd)
    report = []
    for run in range(RUNS):
        data_dir = tmp_path / f"run{run}"
        cmd = [sys.executable, "-m", "api.cli", "--data-dir", str(data_dir), "--encoder", "hashing", "ingest"]
        proc = subprocess.Popen(
            [*cmd, *map(str, files)], cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        kill_after = 1 + run % (FILES - 2)
        committed = 0
        assert proc.stdout is not None
        for line in proc.stdout:
            if "导入完成" in line:
                committed += 1
                if committed == kill_after:
                    break
        time.sleep(rnd.uniform(0.0, 0.8))  # somewhere inside the next file's import
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        service = reopen(data_dir, segmenter)
        try:
            check_consistent(service)
            per_file = files_present(service)
            whole = sum(1 for n in per_file if n)
            lost = sum(ROWS_PER_FILE for f in range(committed) if per_file[f] == 0)
            assert lost == 0 and whole >= committed and per_file[:whole] == [ROWS_PER_FILE] * whole
            report.append((run, committed, whole, lost, service.index.rebuilt_from_db))
        finally:
            service.close()
    print(f"\nimport kills: {len(report)} runs (run, reported, present, records lost, index rebuilt): {report}")


SAVER = """
import sys
from pathlib import Path
from indexing.encoders.hashing import HashingEncoder
from kb.service import LeianService
from kb.settings import Settings
svc = LeianService(Settings(data_dir=Path(sys.argv[1]), petitioner_key="k", threads=1), encoder=HashingEncoder())
i = 0
while True:
    row = {"external_no": f"S-{i}", "content": "拖欠工资 物业维修 " * (i % 7 + 1), "received_date": "2025-01-01"}
    svc.ingest([(1, row)])
    print(f"committed S-{i}", flush=True)
    svc.index.save()  # and again: most kills land inside a save
    i += 1
"""


def test_sigkill_mid_index_save_is_detected_and_rebuilt(tmp_path: Path, segmenter: Segmenter) -> None:
    rnd = random.Random(9)
    report = []
    for run in range(RUNS):
        data_dir = tmp_path / f"save{run}"
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(data_dir)], cwd=REPO, env=ENV, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        seen: list[str] = []
        deadline = rnd.randint(20, 60)
        for line in proc.stdout:
            seen.append(line.split()[-1])
            if len(seen) >= deadline:
                break
        time.sleep(rnd.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        service = reopen(data_dir, segmenter)
        try:
            check_consistent(service)
            present = {r[0] for r in service.db.query("SELECT external_no FROM cases")}
            lost = len(set(seen) - present)
            assert seen and lost == 0
            report.append((run, len(seen), len(present), lost, service.index.rebuilt_from_db))
        finally:
            service.close()
    print(f"\nsave kills: {len(report)} runs (run, reported, present, records lost, index rebuilt): {report}")


def test_half_written_or_stale_index_is_rebuilt(service: LeianService, tmp_path: Path) -> None:
    from tests.helpers import rows

    service.ingest(rows())  # commits, then saves the index
    path = service.settings.index_path
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # what a non-atomic writer would leave behind
    again = reopen(service.settings.data_dir, service.segmenter)
    try:
        assert again.index.rebuilt_from_db
        check_ids = sorted(int(r[0]) for r in again.db.query("SELECT id FROM cases"))
        assert sorted(int(i) for i in again.index.vectors.ids()) == check_ids
        with again.db.transaction() as conn:  # a write the saved index never saw
            conn.execute("DELETE FROM cases WHERE external_no = 'T-006'")
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    finally:
        again.db.close()
    third = reopen(service.settings.data_dir, service.segmenter)
    try:
        assert third.index.rebuilt_from_db and len(third.index.vectors) == len(check_ids) - 1
    finally:
        third.close()
