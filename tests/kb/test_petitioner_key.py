"""Every command on a data directory hashes identities with that directory's key, and only that key
(issue 15, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import cli, register_commands
from indexing.encoders.hashing import HashingEncoder
from kb.errors import ConflictError
from kb.identity_key import DEMO_KEY_FILE, KEY_FILE, fingerprint, key_file
from kb.service import LeianService
from kb.settings import Settings
from tests.helpers import ROWS

WITH_ID = [r for r in ROWS if r.get("petitioner_id")]


def _rows(rows: list[dict]) -> list[tuple[int, dict]]:
    return list(enumerate(rows, start=1))


def _cli(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    register_commands()
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "--encoder", "hashing", *args], env=env or {})
    return result.exit_code, result.output


def test_ingest_into_the_demo_directory_uses_its_key_file(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    data.mkdir()
    (data / DEMO_KEY_FILE).write_text("demo-secret\n", encoding="utf-8")  # as `leian demo` wrote it
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in WITH_ID), encoding="utf-8")
    code, output = _cli(data, "ingest", str(source), env={"LEIAN_PETITIONER_KEY": ""})
    assert code == 0, output
    assert f"新增 {len(WITH_ID)} 件" in output
    service = LeianService(Settings(data_dir=data, threads=1), encoder=HashingEncoder())
    try:
        assert service.settings.petitioner_key == "demo-secret"
        assert service.get_case_by_external(WITH_ID[0]["external_no"]).petitioner_key
        assert service.health()["petitioner_key"] == "ok"
    finally:
        service.close()


def test_a_directory_key_file_is_preferred_over_nothing_and_the_environment_over_it(tmp_path: Path) -> None:
    assert key_file(tmp_path) is None
    (tmp_path / KEY_FILE).write_text("own-key", encoding="utf-8")
    assert (
        LeianService(
            Settings(data_dir=tmp_path, threads=1), encoder=HashingEncoder(), open_index=False
        ).settings.petitioner_key
        == "own-key"
    )
    explicit = Settings(data_dir=tmp_path, threads=1, petitioner_key="env-key")
    svc = LeianService(explicit, encoder=HashingEncoder(), open_index=False)
    assert svc.settings.petitioner_key == "env-key"
    svc.close()


def test_a_different_key_is_refused_instead_of_making_new_hashes(tmp_path: Path) -> None:
    first = LeianService(Settings(data_dir=tmp_path, threads=1, petitioner_key="key-one"), encoder=HashingEncoder())
    first.ingest(_rows(WITH_ID[:1]))
    stored = first.get_case_by_external(WITH_ID[0]["external_no"]).petitioner_key
    first.close()
    other = LeianService(Settings(data_dir=tmp_path, threads=1, petitioner_key="key-two"), encoder=HashingEncoder())
    try:
        assert other.health()["petitioner_key"] == "mismatch"
        with pytest.raises(ConflictError, match="信访人密钥与本数据目录此前使用的不一致"):
            other.ingest(_rows(WITH_ID))
        assert other.cases.count() == 1  # nothing written
        assert other.get_case_by_external(WITH_ID[0]["external_no"]).petitioner_key == stored
        # Rows without identities hash nothing, so they are still accepted.
        plain = {k: v for k, v in ROWS[2].items() if k not in ("petitioner_id", "petitioner_phone")}
        assert other.ingest(_rows([plain])).created == 1
    finally:
        other.close()


def test_the_fingerprint_does_not_reveal_the_key() -> None:
    assert "key-one" not in fingerprint("key-one") and fingerprint("key-one") != fingerprint("key-two")
