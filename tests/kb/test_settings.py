"""Typed settings: every bad value fails at start naming its variable, and every limit reaches its code path."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import cli
from indexing.encoders import ENCODERS
from indexing.fusion import FUSION_METHODS
from indexing.vectors import BACKENDS
from kb.errors import InvalidInputError
from kb.readers import read_rows
from kb.service import LeianService
from kb.settings import CHOICES, ENV, POSITIVE_INTS, EncoderName, FusionMethod, IndexBackend, Settings, load_settings
from tests.conftest import REPO, auth
from tests.helpers import ROWS

ENUMS = [("LEIAN_ENCODER", "encoder"), ("LEIAN_INDEX_BACKEND", "index_backend"), ("LEIAN_FUSION", "fusion")]


def _error(env: dict[str, str], **overrides: object) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as err:
        load_settings(env, **overrides)
    return err.value


# -- enumerations ----------------------------------------------------------------------------------
def test_the_literals_are_the_registries() -> None:
    """A new encoder, backend or fusion method is added to its registry and to its Literal together."""
    assert set(get_args(EncoderName)) == set(ENCODERS)
    assert set(get_args(IndexBackend)) == set(BACKENDS)
    assert set(get_args(FusionMethod)) == set(FUSION_METHODS)


def test_bad_fusion_is_refused_at_start_with_the_allowed_values() -> None:
    err = _error({"LEIAN_FUSION": "foo"})
    assert [p.field for p in err.problems] == ["LEIAN_FUSION"]
    assert err.problems[0].message == "环境变量 LEIAN_FUSION 应为 linear、rrf 之一，当前为 'foo'"


@pytest.mark.parametrize(("var", "name"), ENUMS)
def test_each_bad_enumeration_names_the_variable_and_the_allowed_values(var: str, name: str) -> None:
    err = _error({var: "foo"})
    assert [p.field for p in err.problems] == [var]
    assert var in err.message and "'foo'" in err.message
    assert all(value in err.message for value in CHOICES[name])


@pytest.mark.parametrize(("var", "name"), ENUMS)
def test_keyword_overrides_and_with_are_checked_the_same_way(var: str, name: str) -> None:
    err = _error({}, **{name: "foo"})
    assert [p.field for p in err.problems] == [var]
    assert name in err.message and all(value in err.message for value in CHOICES[name])
    with pytest.raises(InvalidInputError, match=var):
        Settings().with_(**{name: "foo"})
    # An override replaces a bad environment value, so nothing is reported for it.
    assert getattr(load_settings({var: "foo"}, **{name: CHOICES[name][-1]}), name) == CHOICES[name][-1]


def test_every_problem_is_reported_at_once() -> None:
    err = _error({"LEIAN_FUSION": "foo", "LEIAN_INDEX_BACKEND": "bar", "LEIAN_THREADS": "0"})
    assert [p.field for p in err.problems] == ["LEIAN_INDEX_BACKEND", "LEIAN_FUSION", "LEIAN_THREADS"]


# -- numbers and ranges ----------------------------------------------------------------------------
NUMERIC = [ENV[name] for name in (*POSITIVE_INTS, "dense_weight")]


@pytest.mark.parametrize("var", NUMERIC)
def test_every_malformed_number_names_the_variable(var: str) -> None:
    err = _error({var: "两个"})
    assert [p.field for p in err.problems] == [var] and "两个" in err.message


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("LEIAN_THREADS", "0"),
        ("LEIAN_CANDIDATE_DEPTH", "0"),
        ("LEIAN_CANDIDATE_DEPTH", "-5"),
        ("LEIAN_DENSE_WEIGHT", "1.5"),
        ("LEIAN_DENSE_WEIGHT", "-0.1"),
        ("LEIAN_DENSE_WEIGHT", "nan"),
        ("LEIAN_MAX_TEXT_CHARS", "0"),
        ("LEIAN_MAX_BODY_BYTES", "0"),
        ("LEIAN_MAX_UPLOAD_BYTES", "-1"),
        ("LEIAN_MAX_LIBRARY_UPLOAD_BYTES", "0"),
        ("LEIAN_MAX_DECOMPRESSED_BYTES", "0"),
    ],
)
def test_out_of_range_numbers_name_the_variable(var: str, value: str) -> None:
    err = _error({var: value})
    assert [p.field for p in err.problems] == [var] and var in err.message


def test_in_range_edges_are_accepted() -> None:
    s = load_settings({"LEIAN_DENSE_WEIGHT": "0", "LEIAN_THREADS": "1", "LEIAN_CANDIDATE_DEPTH": "1"})
    assert (s.dense_weight, s.threads, s.candidate_depth) == (0.0, 1, 1)
    assert load_settings({"LEIAN_DENSE_WEIGHT": "1"}).dense_weight == 1.0
    with pytest.raises(InvalidInputError, match="LEIAN_THREADS"):
        Settings(threads=0)
    with pytest.raises(InvalidInputError, match="LEIAN_DENSE_WEIGHT"):
        Settings().with_(dense_weight=2.0)


def test_hashing_dimension_must_be_a_number() -> None:
    assert load_settings({"LEIAN_ENCODER": "hashing", "LEIAN_ENCODER_MODEL": "64"}).encoder_model == "64"
    err = _error({"LEIAN_ENCODER": "hashing", "LEIAN_ENCODER_MODEL": "bge"})
    assert [p.field for p in err.problems] == ["LEIAN_ENCODER_MODEL"]


def test_limits_are_read_from_the_environment_with_the_old_defaults() -> None:
    base = load_settings({})
    mb = 1024 * 1024
    assert (base.max_body_bytes, base.max_upload_bytes, base.max_library_upload_bytes) == (64 * mb, 50 * mb, 20 * mb)
    assert (base.max_decompressed_bytes, base.max_text_chars) == (256 * mb, 20000)
    env = {ENV[name]: str(1000 + i) for i, name in enumerate(POSITIVE_INTS)}
    s = load_settings(env)
    assert [getattr(s, name) for name in POSITIVE_INTS] == [1000 + i for i in range(len(POSITIVE_INTS))]


def test_unknown_keyword_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="fuson"):
        load_settings({}, fuson="rrf")


def test_every_setting_has_a_variable_documented_in_the_readme() -> None:
    from dataclasses import fields

    assert set(ENV) == {f.name for f in fields(Settings)}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") : readme.index("## Command line")]
    assert [var for var in ENV.values() if f"`{var}`" not in table] == []


# -- the CLI door ------------------------------------------------------------------------------------
def test_cli_refuses_a_bad_option_or_variable_before_doing_anything(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "d"), "--encoder", "hashing"]
    res = CliRunner().invoke(cli, [*base, "--index-backend", "foo", "search", "工资"])
    assert res.exit_code == 2
    assert "LEIAN_INDEX_BACKEND" in res.output and all(v in res.output for v in ("faiss", "exact", "milvus"))
    res = CliRunner().invoke(cli, [*base, "serve"], env={"LEIAN_FUSION": "foo"})
    assert res.exit_code == 2
    assert "环境变量 LEIAN_FUSION 应为 linear、rrf 之一，当前为 'foo'" in res.output
    assert not (tmp_path / "d").exists()


# -- limits reach their code paths ---------------------------------------------------------------
@pytest.fixture
def limited(service: LeianService, tokens: dict[str, str]) -> Iterator[TestClient]:
    """A client on a service whose limits are small, read from LEIAN_* variables."""
    env = {
        "LEIAN_MAX_BODY_BYTES": "8192",
        "LEIAN_MAX_UPLOAD_BYTES": "2000",
        "LEIAN_MAX_LIBRARY_UPLOAD_BYTES": "1000",
        "LEIAN_MAX_DECOMPRESSED_BYTES": "3072",
        "LEIAN_MAX_TEXT_CHARS": "50",
    }
    settings = load_settings(env, data_dir=service.settings.data_dir, petitioner_key="test-secret-key", threads=2)
    small = LeianService(settings, encoder=service.encoder)
    with TestClient(create_app(small), headers=auth(tokens["admin"])) as client:
        yield client
    small.db.close()


def _jsonl(n: int) -> bytes:
    return "".join(json.dumps(dict(ROWS[i % len(ROWS)]), ensure_ascii=False) + "\n" for i in range(n)).encode("utf-8")


def test_body_limit_from_the_environment_gives_413(limited: TestClient) -> None:
    r = limited.post("/api/cases/import", files={"file": ("c.jsonl", b"x" * 9000)})
    assert r.status_code == 413 and r.json()["error"]["code"] == "http_413"
    assert "8 KB" in r.json()["error"]["message"]


def test_upload_limits_are_the_configured_ones(limited: TestClient) -> None:
    r = limited.post("/api/cases/import", files={"file": ("c.jsonl", b" " * 2001)})
    assert r.status_code == 422 and "文件超过 2000 字节 上限" in r.json()["error"]["message"]
    assert limited.post("/api/cases/import", files={"file": ("c.jsonl", _jsonl(1))}).status_code == 200
    r = limited.post("/api/modelcases/import", files={"file": ("lib.json", b" " * 1001)})
    assert r.status_code == 422 and "文件超过 1000 字节 上限" in r.json()["error"]["message"]


def test_gzip_expansion_limit_is_the_configured_one(limited: TestClient) -> None:
    big = gzip.compress(_jsonl(40))  # small on the wire, more than 3 KB expanded
    assert len(big) < 2000 and len(gzip.decompress(big)) > 3072
    r = limited.post("/api/cases/import", files={"file": ("c.jsonl.gz", big)})
    assert r.status_code == 422 and "解压后超过 3 KB 上限" in r.json()["error"]["message"]
    assert len(list(read_rows(big, "jsonl"))) == 40  # the default limit is far larger


def test_search_text_limit_is_the_configured_one(limited: TestClient) -> None:
    r = limited.post("/api/search", json={"text": "工资" * 30})
    assert r.status_code == 422 and "检索内容超过 50 字" in r.json()["error"]["message"]
    assert limited.post("/api/search", json={"text": "工资" * 10}).status_code == 200


def test_cli_ingest_uses_the_configured_expansion_limit(tmp_path: Path) -> None:
    data = tmp_path / "c.jsonl.gz"
    data.write_bytes(gzip.compress(_jsonl(40)))
    env = {"LEIAN_MAX_DECOMPRESSED_BYTES": "3072", "LEIAN_PETITIONER_KEY": "k"}
    res = CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path / "d"), "--encoder", "hashing", "ingest", "--format", "jsonl", str(data)],
        env=env,
    )
    assert res.exit_code == 2 and "解压后超过 3 KB 上限" in res.output


def test_login_lock_out_and_export_cap_are_the_configured_ones(tmp_path: Path) -> None:
    from indexing.encoders.hashing import HashingEncoder
    from kb.sessions import LoginLockedError

    settings = load_settings(
        {"LEIAN_LOGIN_MAX_FAILURES": "2", "LEIAN_LOGIN_LOCK_MINUTES": "7", "LEIAN_MAX_EXPORT_ROWS": "3"},
        data_dir=tmp_path,
        encoder="hashing",
    )
    service = LeianService(settings, encoder=HashingEncoder())
    try:
        service.users.create("u1", "handler", "password-123")
        assert service.sessions.login("u1", "wrong-one") is None
        assert service.sessions.login("u1", "wrong-two") is None
        with pytest.raises(LoginLockedError, match="7 分钟"):
            service.sessions.login("u1", "password-123")
        _, token = service.users.create("admin1", "admin", "password-123")
        with TestClient(create_app(service)) as client:
            res = client.get("/api/cases/export", params={"limit": 4}, headers=auth(token))
            assert res.status_code == 422 and "LEIAN_MAX_EXPORT_ROWS" in res.text
            assert client.get("/api/cases/export", params={"limit": 3}, headers=auth(token)).status_code == 200
    finally:
        service.close()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "至少 12 位"),
        ("aaaaaaaaaaaa", "重复"),
        ("Password123", "常见密码"),
        ("1qaz2wsx3edc", "常见密码"),
        ("onlylettersherenow", "两类"),
        ("u_policy-2026-x", "用户名"),
    ],
)
def test_password_policy_refuses_weak_passwords_with_the_reason(tmp_path: Path, password: str, reason: str) -> None:
    from indexing.encoders.hashing import HashingEncoder

    service = LeianService(load_settings({}, data_dir=tmp_path, encoder="hashing"), encoder=HashingEncoder())
    try:
        with pytest.raises(InvalidInputError, match=reason):
            service.users.create("u_policy", "admin", password)
        assert service.users.count() == 0
        service.users.create("u_policy", "admin", "correct-horse-42")
    finally:
        service.close()


def test_a_serving_process_encodes_on_serve_threads_and_shares_its_index(tmp_path: Path) -> None:
    """`leian serve` (the app opening its own service): the query encoder runs on
    LEIAN_SERVE_THREADS (default 1), not LEIAN_THREADS, and the index follows the change log so a
    CLI command may run beside it; a CLI command on the same settings keeps LEIAN_THREADS."""
    settings = load_settings(data_dir=tmp_path / "d", encoder="use-m3", petitioner_key="k", threads=2)
    assert settings.serve_threads == 1
    app = create_app(settings=settings, warm_router=False, run_jobs=False)
    with TestClient(app):
        served = app.state.service
        assert served.encoder.threads == 1 and served.index.shared
        assert served.settings.threads == 2  # bulk work (group discovery) keeps LEIAN_THREADS
    cli_side = LeianService(settings, open_index=False)
    try:
        assert cli_side.encoder.threads == 2 and not cli_side.index.shared
    finally:
        cli_side.close()
    assert load_settings(env={"LEIAN_SERVE_THREADS": "2"}).serve_threads == 2
