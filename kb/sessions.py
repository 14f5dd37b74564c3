"""Web login sessions: a fresh random token per login, stored only as a hash, with an expiry.

Failed logins are throttled per user name and per client address by ``kb/login_throttle.py``
(counted before the password is checked, atomically, so concurrent guesses cannot overrun the
limit); every failure, lock and success is also audited.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3

from kb.audit import AuditLog
from kb.clock import Clock, SystemClock
from kb.errors import PermissionDeniedError
from kb.login_throttle import LoginThrottle
from kb.settings import LOGIN_CLIENT_MAX_FAILURES, LOGIN_LOCK_MINUTES, LOGIN_MAX_FAILURES, SESSION_HOURS
from kb.storage.db import Database
from kb.users import PRINCIPAL_COLUMNS, Credential, Principal, UserStore, hash_token, principal_from_row

# The defaults; a deployment sets LEIAN_SESSION_HOURS, LEIAN_LOGIN_MAX_FAILURES, LEIAN_LOGIN_LOCK_MINUTES.
MAX_FAILURES = LOGIN_MAX_FAILURES


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


class LoginLockedError(PermissionDeniedError):
    code = "login_locked"


class SessionStore:
    def __init__(
        self,
        db: Database,
        users: UserStore,
        audit: AuditLog,
        hours: float = SESSION_HOURS,
        *,
        max_failures: int = LOGIN_MAX_FAILURES,
        lock_minutes: int = LOGIN_LOCK_MINUTES,
        client_max_failures: int = LOGIN_CLIENT_MAX_FAILURES,
        clock: Clock | None = None,
    ) -> None:
        self.db, self.users, self.audit, self.hours = db, users, audit, hours
        self.max_failures, self.lock_minutes = max_failures, lock_minutes
        self.throttle = LoginThrottle(
            db,
            clock or SystemClock(),
            max_failures=max_failures,
            client_max_failures=client_max_failures,
            lock_minutes=lock_minutes,
        )

    def login(self, username: str, password: str, client: str | None = None) -> tuple[Principal, str] | None:
        """Check the password; on success open a session and return (principal, token). Audited.

        ``client`` is the caller's address (the HTTP door passes it): failures are limited per user
        name and per client, and a locked name or client gets ``LoginLockedError`` without any
        password check.
        """
        now = dt.datetime.now(dt.UTC)
        name = username[:64]
        reservation = self.throttle.reserve(name, client)
        if reservation.locked is not None:
            detail = {"locked": reservation.locked}
            self.audit.record(None, "auth.login_locked", "user", name, detail, username=name)
            if reservation.locked == "client":
                raise LoginLockedError(f"本机登录失败次数过多，请 {self.lock_minutes} 分钟后再试")
            raise LoginLockedError(f"登录失败次数过多，请 {self.lock_minutes} 分钟后再试")
        principal = self.users.by_password(username, password)
        if principal is None:
            self.audit.record(None, "auth.login_failed", "user", name, username=name)
            return None
        self.throttle.succeeded(reservation)
        token = "ls_" + secrets.token_urlsafe(32)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES (?,?,?,?)",
                (hash_token(token), principal.user_id, _iso(now), _iso(now + dt.timedelta(hours=self.hours))),
            )
            self.audit.record(principal, "auth.login", "user", principal.user_id, conn=conn)
        return principal, token

    def by_token(self, token: str) -> Principal | None:
        row = self.db.query_one(
            f"SELECT {PRINCIPAL_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires_at > ? AND u.active = 1",
            (hash_token(token), _iso(dt.datetime.now(dt.UTC))),
        )
        return None if row is None else principal_from_row(row)

    def live_counts(self) -> dict[int, int]:
        """Live (unrevoked, unexpired) sessions per user id."""
        rows = self.db.query(
            "SELECT user_id, COUNT(*) FROM sessions WHERE revoked = 0 AND expires_at > ? GROUP BY user_id",
            (_iso(dt.datetime.now(dt.UTC)),),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    def of_user(self, user_id: int) -> list[Credential]:
        """The user's web sessions, oldest first, named by a prefix of their hash."""
        rows = self.db.query(
            "SELECT token_hash, created_at, expires_at, revoked FROM sessions WHERE user_id = ? ORDER BY created_at",
            (user_id,),
        )
        now = _iso(dt.datetime.now(dt.UTC))
        return [
            Credential("session", r["token_hash"][:12], "网页登录", r["created_at"], r["expires_at"],
                       not r["revoked"] and r["expires_at"] > now)
            for r in rows
        ]  # fmt: skip

    @staticmethod
    def revoke_all(conn: sqlite3.Connection, user_id: int) -> int:
        """Revoke every session of the user inside the caller's transaction; how many were open."""
        return conn.execute("UPDATE sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0", (user_id,)).rowcount

    def logout(self, token: str, actor: Principal | None = None) -> bool:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE sessions SET revoked = 1 WHERE token_hash = ? AND revoked = 0", (hash_token(token),)
            )
            if cur.rowcount and actor is not None:
                self.audit.record(actor, "auth.logout", "user", actor.user_id, conn=conn)
        return bool(cur.rowcount)
