"""`leian backup` while the service writes, then `leian restore`: same cases, same search answers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import cli, register_commands
from indexing.encoders.hashing import HashingEncoder
from kb import backup as backups
from kb.audit import AuditFilter
from kb.errors import ConflictError, InvalidInputError
from kb.service import LeianService
from tests.conftest import make_settings
from tests.helpers import ROWS, rows


def _cli(data_dir: Path, *args: str) -> str:
    register_commands()
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data_dir), "--encoder", "hashing", *args],
        env={"LEIAN_PETITIONER_KEY": "test-secret-key"},
    )
    assert result.exit_code == 0, result.output
    return result.output


def _snapshot(service: LeianService) -> list[tuple]:
    return [
        tuple(r)
        for r in service.db.query("SELECT external_no, content, city, status, petitioner_key FROM cases ORDER BY id")
    ]


def test_online_backup_and_restore_roundtrip(service: LeianService, tmp_path: Path) -> None:
    service.ingest(rows())
    stop = threading.Event()

    def keep_writing() -> None:  # the service keeps writing while the backup runs
        i = 0
        while not stop.is_set():
            service.ingest([(1, {**ROWS[0], "external_no": f"LIVE-{i}"})])
            i += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        out = _cli(service.settings.data_dir, "backup", str(tmp_path / "bk"))
    finally:
        stop.set()
        writer.join()
    assert "备份完成" in out
    manifest = backups.verify(tmp_path / "bk")
    assert manifest["integrity"] == "ok" and manifest["cases"] >= len(ROWS)

    target = tmp_path / "restored"
    out = _cli(target, "restore", str(tmp_path / "bk"))
    assert f"{manifest['cases']} 件案件" in out
    restored = LeianService(make_settings(target), encoder=HashingEncoder(), segmenter=service.segmenter)
    try:
        expected = _snapshot(service)[: manifest["cases"]]
        assert _snapshot(restored) == expected  # a consistent prefix: every case the copy saw, whole
        assert sorted(restored.index.vectors.ids()) == [
            r["id"] for r in restored.db.query("SELECT id FROM cases ORDER BY id")
        ]
        a = [h.case.external_no for h in restored.search(text="拖欠工资", k=5)]
        assert a and all(restored.get_case_by_external(x) for x in a)
        assert restored.audit.query(AuditFilter(action="system.restore"))[1] == 1
    finally:
        restored.close()


def test_restore_refuses_to_overwrite_and_detects_damage(service: LeianService, tmp_path: Path) -> None:
    service.ingest(rows())
    backups.backup(service.settings, tmp_path / "bk")
    with pytest.raises(ConflictError):
        backups.backup(service.settings, tmp_path / "bk")
    with pytest.raises(ConflictError):
        backups.restore(service.settings, tmp_path / "bk")
    db_file = tmp_path / "bk" / backups.DB_FILE
    data = bytearray(db_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    db_file.write_bytes(bytes(data))
    with pytest.raises(InvalidInputError, match="校验和"):
        backups.restore(service.settings.with_(data_dir=tmp_path / "other"), tmp_path / "bk")


def _rewrite_manifest(folder: Path) -> None:
    """An attacker (or a careless copy) also rewrote the manifest's checksum: only the file check is left."""
    import hashlib
    import json

    manifest_path = folder / backups.MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("damage", ["truncated", "random", "empty"])
def test_a_truncated_or_random_database_is_refused_without_a_traceback(
    service: LeianService, tmp_path: Path, damage: str
) -> None:
    import os

    service.ingest(rows())
    backups.backup(service.settings, tmp_path / "bk")
    db_file = tmp_path / "bk" / backups.DB_FILE
    data = db_file.read_bytes()
    db_file.write_bytes({"truncated": data[: len(data) // 3], "random": os.urandom(len(data)), "empty": b""}[damage])
    _rewrite_manifest(tmp_path / "bk")
    target = service.settings.with_(data_dir=tmp_path / "other")
    with pytest.raises(InvalidInputError) as err:
        backups.restore(target, tmp_path / "bk")
    assert "不是有效的 Leian 数据库" in err.value.message or "完整性" in err.value.message
    assert not target.db_path.exists()
    register_commands()
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "cli"), "restore", str(tmp_path / "bk")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "不是有效的 Leian 数据库" in result.output or "完整性" in result.output


def test_restore_refuses_while_the_service_runs(service: LeianService, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    service.ingest(rows())
    backups.backup(service.settings, tmp_path / "bk")
    live = make_settings(tmp_path / "live", encoder="hashing")
    with TestClient(create_app(settings=live, warm_router=False)) as client:  # `leian serve`'s lifespan
        assert client.get("/api/health").status_code in (200, 401)
        assert backups.serving(live)
        with pytest.raises(ConflictError, match="服务正在运行"):
            backups.restore(live, tmp_path / "bk", force=True)
    assert not backups.serving(live)
    backups.restore(live, tmp_path / "bk", force=True)  # stopped: allowed
