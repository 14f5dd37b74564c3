"""Accounts and login (issue 16): disable / enable / revoke on both doors, scoped to the admin's
unit, audited; the password policy; login throttling per user and per client under concurrency;
uniform cost of a failed login; the index left alone by `leian users …`."""

from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import cli, register_commands
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.audit import AuditFilter
from kb.clock import FixedClock
from kb.errors import InvalidInputError, NotFoundError
from kb.passwords import common_passwords, password_problems
from kb.service import LeianService
from kb.sessions import LoginLockedError
from kb.settings import MIN_PASSWORD_LENGTH, load_settings
from tests.conftest import auth, make_settings
from tests.helpers import rows

PASSWORD = "password-123"
ENV = {"LEIAN_PETITIONER_KEY": "test-secret-key", "LEIAN_THREADS": "1"}


def _actions(service: LeianService, prefix: str) -> list[dict]:
    return service.audit.query(AuditFilter(action=prefix), limit=1000)[0]


# -- disable / enable / revoke ----------------------------------------------------------------------
def test_disabled_user_cannot_log_in_and_its_tokens_and_sessions_stop_at_once(
    service: LeianService, tokens: dict
) -> None:
    admin = service.users.by_username("u_admin")
    assert admin is not None
    session = service.sessions.login("u_handler", PASSWORD)
    assert session is not None
    _, cookie = session
    assert service.users.by_token(tokens["handler"]) and service.sessions.by_token(cookie)
    service.accounts.disable(admin, "u_handler")
    assert service.users.by_token(tokens["handler"]) is None
    assert service.sessions.by_token(cookie) is None
    assert service.sessions.login("u_handler", PASSWORD) is None
    account = service.accounts.get(admin, "u_handler")
    assert not account.active and account.tokens == 0 and account.sessions == 0
    # Enabled again: a login works, the old credentials stay dead.
    service.accounts.enable(admin, "u_handler")
    assert service.sessions.login("u_handler", PASSWORD) is not None
    assert service.users.by_token(tokens["handler"]) is None and service.sessions.by_token(cookie) is None
    events = {e["action"]: e for e in _actions(service, "users")}
    assert events["users.disable"]["detail"] == {"changed": True, "tokens_revoked": 1, "sessions_revoked": 1}
    assert events["users.disable"]["username"] == "u_admin" and events["users.disable"]["record_id"] == "u_handler"
    assert "users.enable" in events
    with pytest.raises(InvalidInputError, match="不能停用自己的账号"):
        service.accounts.disable(admin, "u_admin")


def test_revoke_tokens_ends_api_tokens_and_sessions_and_lists_them_without_the_token(
    service: LeianService, tokens: dict
) -> None:
    admin = service.users.by_username("u_admin")
    assert admin is not None
    second = service.users.issue_token("u_reviewer", "脚本")
    login = service.sessions.login("u_reviewer", PASSWORD)
    assert login is not None
    listed = service.accounts.credentials(admin, "u_reviewer")
    assert sorted(c.kind for c in listed) == ["session", "token", "token"] and all(c.active for c in listed)
    assert tokens["reviewer"] not in json.dumps([c.__dict__ for c in listed]) and second not in str(listed)
    assert service.accounts.revoke_tokens(admin, "u_reviewer") == {"tokens": 2, "sessions": 1}
    assert service.users.by_token(second) is None and service.sessions.by_token(login[1]) is None
    assert not any(c.active for c in service.accounts.credentials(admin, "u_reviewer"))
    # The account itself stays usable: a new login works.
    assert service.sessions.login("u_reviewer", PASSWORD) is not None
    assert [e["detail"] for e in _actions(service, "users.revoke_tokens")] == [{"tokens": 2, "sessions": 1}]
    assert _actions(service, "users.tokens")


def test_http_users_api_is_admin_only_audited_and_takes_effect(
    client: TestClient, service: LeianService, tokens: dict
) -> None:
    assert client.get("/api/users", headers=auth(tokens["supervisor"])).status_code == 403
    assert client.post("/api/users/u_analyst/disable", headers=auth(tokens["handler"])).status_code == 403
    listing = client.get("/api/users").json()
    assert {u["username"] for u in listing["items"]} == {
        f"u_{r}" for r in ("admin", "handler", "reviewer", "supervisor", "analyst")
    } | {"u_gz"}
    assert client.get("/api/cases", headers=auth(tokens["analyst"])).status_code == 200
    r = client.post("/api/users/u_analyst/disable")
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["tokens"] == 0
    assert client.get("/api/cases", headers=auth(tokens["analyst"])).status_code == 401
    with TestClient(create_app(service)) as web:
        refused = web.post("/api/auth/login", json={"username": "u_analyst", "password": PASSWORD})
        assert refused.status_code == 401
    assert client.post("/api/users/u_analyst/enable").json()["active"] is True
    assert client.post("/api/users/u_gz/revoke-tokens").json() == {"tokens": 1, "sessions": 0}
    assert client.get("/api/cases", headers=auth(tokens["gz_handler"])).status_code == 401
    assert [c["active"] for c in client.get("/api/users/u_gz/tokens").json()] == [False]
    assert client.post("/api/users/nobody/disable").status_code == 404
    actions = [e["action"] for e in _actions(service, "users")]
    assert actions.count("users.disable") == 1 and actions.count("users.enable") == 1
    assert actions.count("users.revoke_tokens") == 1


def test_a_city_admin_manages_only_accounts_within_its_city(
    client: TestClient, service: LeianService, tokens: dict
) -> None:
    gz_admin, gz_token = service.users.create("gz_admin", "admin", "Gz-admin-2026!", unit="广州市", scope="city")
    service.users.create("sz_handler", "handler", "Sz-handler-2026!", unit="深圳市", scope="city")
    seen = client.get("/api/users", headers=auth(gz_token)).json()
    assert {u["username"] for u in seen["items"]} == {"gz_admin", "u_gz"}
    for target in ("sz_handler", "u_admin", "u_handler"):  # another city's, and provincial accounts
        for action in ("disable", "enable", "revoke-tokens"):
            r = client.post(f"/api/users/{target}/{action}", headers=auth(gz_token))
            assert r.status_code == 404, (target, action, r.text)
        assert client.get(f"/api/users/{target}/tokens", headers=auth(gz_token)).status_code == 404
        with pytest.raises(NotFoundError):
            service.accounts.disable(gz_admin, target)
    assert all(a.active for a in service.accounts.list_accounts(service.users.by_username("u_admin")))  # type: ignore[arg-type]
    assert client.post("/api/users/u_gz/disable", headers=auth(gz_token)).status_code == 200
    assert client.get("/api/cases", headers=auth(tokens["gz_handler"])).status_code == 401


def test_cli_users_list_disable_enable_tokens_revoke(tmp_path: Path, segmenter: Segmenter) -> None:
    settings = make_settings(tmp_path, encoder="hashing")
    svc = LeianService(settings, segmenter=segmenter)
    svc.ingest(rows())
    svc.close()
    index_before = settings.index_path.read_bytes()
    register_commands()
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path), "--encoder", "hashing"]

    def run(*args: str) -> str:
        res = runner.invoke(cli, [*base, *args], env=ENV)
        assert res.exit_code == 0, (args, res.output)
        return res.output

    token = (
        run("users", "create", "boss", "--role", "admin", "--password", "Chief-admin-2026!")
        .split("API 令牌：")[1]
        .strip()
    )
    run("users", "create", "wang", "--role", "handler", "--password", PASSWORD)
    run(
        "users",
        "create",
        "gzadmin",
        "--role",
        "admin",
        "--unit",
        "广州市",
        "--scope",
        "city",
        "--password",
        "Gz-admin-2026!",
    )
    assert "wang" in run("users", "list") and "启用" in run("users", "list")
    assert "已停用用户 wang" in run("users", "disable", "wang", "--as", "boss")
    listed = json.loads(run("users", "list", "--json"))
    assert {u["username"]: u["active"] for u in listed} == {"boss": True, "gzadmin": True, "wang": False}
    run("users", "enable", "wang", "--as", "boss")
    assert "API 令牌" in run("users", "tokens", "boss")
    assert "1 个 API 令牌" in run("users", "revoke-tokens", "boss", "--as", "boss")
    # A city admin cannot touch a provincial account from the CLI either.
    res = runner.invoke(cli, [*base, "users", "disable", "wang", "--as", "gzadmin"], env=ENV)
    assert res.exit_code == 2 and "不存在" in res.output
    res = runner.invoke(cli, [*base, "users", "create", "x1", "--role", "handler", "--password", "12345678"], env=ENV)
    assert res.exit_code == 2 and "密码至少 12 位" in res.output
    # None of these commands needs the index: it is byte-identical afterwards.
    assert settings.index_path.read_bytes() == index_before
    svc = LeianService(settings, segmenter=segmenter)
    try:
        assert not svc.index.rebuilt_from_db
        assert svc.users.by_token(token) is None
        actions = [e["action"] for e in _actions(svc, "users")]
        assert actions.count("users.create") == 3 and "users.disable" in actions and "users.revoke_tokens" in actions
    finally:
        svc.close()


# -- password policy --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1!xyz", "至少 12 位"),
        ("qwertyuiop123", "常见密码"),
        ("woaini1314520", "常见密码"),
        ("Admin@123456", "常见密码"),
        ("aaaaaaaaaaaa1", "重复"),
        ("abc!abc!abc!", "重复"),
        ("123456789012a", "连续"),
        ("abcdefgh1234", "连续"),
        ("zyxwvu987654", "连续"),
        ("1qaz2wsx3edc4rfv", "常见密码"),
    ],
)
def test_password_policy_refuses_short_common_repeated_and_sequential(password: str, reason: str) -> None:
    problems = password_problems(password, "u_x", MIN_PASSWORD_LENGTH)
    assert any(reason in p for p in problems), problems


def test_password_policy_defaults_and_the_existing_fixture_passwords() -> None:
    assert MIN_PASSWORD_LENGTH == 12 and load_settings({}).min_password_length == 12
    assert len(common_passwords()) >= 1000 and "123456" in common_passwords()
    # The passwords tests, the demo and docs use stay valid (demo: 12 random characters + "-NN").
    for good in ("password-123", "demo-pass-123", "Leian-test-2025", "Handling-2026!", "correct-horse-42"):
        assert password_problems(good, "u_x", MIN_PASSWORD_LENGTH) == [], good


def test_the_demo_accounts_pass_the_policy(tmp_path: Path, segmenter: Segmenter) -> None:
    from api.cli.cases import DEMO_USERS, demo_users

    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter, open_index=False)
    try:
        lines = demo_users(svc, tmp_path)
        assert len(lines) == len(DEMO_USERS)
        user, _, password = lines[0].split()[:3]
        assert svc.sessions.login(user, password) is not None
    finally:
        svc.close()


# -- throttling ---------------------------------------------------------------------------------------
def test_forty_concurrent_wrong_passwords_get_at_most_the_lock_threshold_of_checks(
    service: LeianService, tokens: dict
) -> None:
    limit = service.sessions.max_failures
    before = service.users.password_checks

    def attempt(i: int) -> str:
        try:
            return "ok" if service.sessions.login("u_admin", f"wrong-{i}", client=f"10.0.0.{i}") else "failed"
        except LoginLockedError:
            return "locked"

    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert service.users.password_checks - before == limit
    assert outcomes.count("failed") == limit and outcomes.count("locked") == 40 - limit
    # The right password is refused too while the name is locked, without a check.
    with pytest.raises(LoginLockedError):
        service.sessions.login("u_admin", PASSWORD)
    assert service.users.password_checks - before == limit


def test_password_spraying_from_one_client_is_limited_across_user_names(tmp_path: Path, segmenter: Segmenter) -> None:
    clock = FixedClock(dt.datetime(2026, 12, 1, 10, 0))
    settings = make_settings(tmp_path, login_client_max_failures=6, login_lock_minutes=10)
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter, clock=clock, open_index=False)
    try:
        svc.users.create("real", "handler", PASSWORD)
        for i in range(6):
            assert svc.sessions.login(f"user{i}", "Spring2026!", client="203.0.113.9") is None
        checks = svc.users.password_checks
        with pytest.raises(LoginLockedError, match="本机"):
            svc.sessions.login("real", PASSWORD, client="203.0.113.9")
        assert svc.users.password_checks == checks
        # Another client is not affected; after the lock window the sprayer may try again.
        assert svc.sessions.login("real", PASSWORD, client="198.51.100.1") is not None
        clock.advance(minutes=11)
        assert svc.sessions.login("real", PASSWORD, client="203.0.113.9") is not None
        locked = [e for e in _actions(svc, "auth.login_locked") if e["detail"] == {"locked": "client"}]
        assert len(locked) == 1
        # Neither typed names nor addresses are stored in the throttling table.
        stored = json.dumps([tuple(r) for r in svc.db.query("SELECT * FROM login_attempts")])
        assert "203.0.113.9" not in stored and "user0" not in stored
    finally:
        svc.close()


def test_the_http_login_counts_per_client_address(tmp_path: Path, segmenter: Segmenter) -> None:
    settings = make_settings(tmp_path, login_client_max_failures=3)
    svc = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter, open_index=False)
    try:
        svc.users.create("real", "handler", PASSWORD)
        with TestClient(create_app(svc), client=("203.0.113.9", 5000)) as sprayer:
            for name in ("a1", "a2", "a3"):
                assert sprayer.post("/api/auth/login", json={"username": name, "password": "x"}).status_code == 401
            r = sprayer.post("/api/auth/login", json={"username": "real", "password": PASSWORD})
            assert r.status_code == 403 and r.json()["error"]["code"] == "login_locked"
        with TestClient(create_app(svc), client=("198.51.100.1", 5000)) as other:
            assert other.post("/api/auth/login", json={"username": "real", "password": PASSWORD}).status_code == 200
    finally:
        svc.close()


def test_a_failed_login_costs_one_hash_check_whether_or_not_the_user_exists(
    service: LeianService, tokens: dict
) -> None:
    admin = service.users.by_username("u_admin")
    assert admin is not None
    service.users.create("no_password", "analyst", None)
    service.accounts.disable(admin, "u_analyst")
    for name in ("u_handler", "nobody-here", "no_password", "u_analyst"):
        before = service.users.password_checks
        assert service.sessions.login(name, "wrong-password") is None
        assert service.users.password_checks - before == 1, name


@pytest.mark.parametrize("typed", ["440106199001011234", "138-1234-5678"])
def test_failed_login_names_typed_as_id_or_phone_are_masked_in_the_audit_log(service: LeianService, typed: str) -> None:
    assert service.sessions.login(typed, "wrong-password", client="10.1.1.1") is None
    events = _actions(service, "auth.login_failed")
    assert len(events) == 1 and typed not in json.dumps(events, ensure_ascii=False)
    assert "*" in events[0]["username"]


# -- file modes ---------------------------------------------------------------------------------------
def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_key_file_credentials_file_and_their_folder_are_owner_only(tmp_path: Path, segmenter: Segmenter) -> None:
    from api.cli.cases import demo_users
    from kb.identity_key import create_key_file

    old = os.umask(0o022)
    try:
        key = create_key_file(tmp_path / "fresh")
        assert _mode(key) == 0o600 and _mode(tmp_path / "fresh") == 0o700
        svc = LeianService(
            make_settings(tmp_path / "demo"), encoder=HashingEncoder(), segmenter=segmenter, open_index=False
        )
        try:
            demo_users(svc, tmp_path / "demo")
        finally:
            svc.close()
        assert _mode(tmp_path / "demo" / "demo-credentials.txt") == 0o600
        for name in ("leian.db", "leian.db-wal", "leian.db-shm"):
            if (tmp_path / "demo" / name).exists():
                assert _mode(tmp_path / "demo" / name) == 0o600, name
    finally:
        os.umask(old)


def test_forty_concurrent_http_logins_with_wrong_passwords_get_five_checks(service: LeianService, tokens: dict) -> None:
    before = service.users.password_checks
    with TestClient(create_app(service)) as web:

        def attempt(i: int) -> int:
            return web.post("/api/auth/login", json={"username": "u_admin", "password": f"wrong-{i}"}).status_code

        with ThreadPoolExecutor(max_workers=40) as pool:
            statuses = list(pool.map(attempt, range(40)))
    limit = service.sessions.max_failures
    assert service.users.password_checks - before == limit
    assert statuses.count(401) == limit and statuses.count(403) == 40 - limit
