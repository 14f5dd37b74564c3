"""Web login sessions: a fresh random token per login, stored only as a hash, with an expiry.

Failed logins are counted from the audit log, so a username is locked for a while after too many
wrong passwords without any extra state.
"""

from __future__ import annotations

import datetime as dt
import secrets

from kb.audit import AuditLog
from kb.errors import PermissionDeniedError
from kb.settings import LOGIN_LOCK_MINUTES, LOGIN_MAX_FAILURES, SESSION_HOURS
from kb.storage.db import Database
from kb.users import PRINCIPAL_COLUMNS, Principal, UserStore, hash_token, principal_from_row

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
    ) -> None:
        self.db, self.users, self.audit, self.hours = db, users, audit, hours
        self.max_failures, self.lock_minutes = max_failures, lock_minutes

    def login(self, username: str, password: str) -> tuple[Principal, str] | None:
        """Check the password; on success open a session and return (principal, token). Audited."""
        now = dt.datetime.now(dt.UTC)
        since = _iso(now - dt.timedelta(minutes=self.lock_minutes))
        name = username[:64]
        if self.audit.count_recent("auth.login_failed", name, since) >= self.max_failures:
            self.audit.record(None, "auth.login_locked", "user", name, username=name)
            raise LoginLockedError(f"登录失败次数过多，请 {self.lock_minutes} 分钟后再试")
        principal = self.users.by_password(username, password)
        if principal is None:
            self.audit.record(None, "auth.login_failed", "user", name, username=name)
            return None
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

    def logout(self, token: str, actor: Principal | None = None) -> bool:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE sessions SET revoked = 1 WHERE token_hash = ? AND revoked = 0", (hash_token(token),)
            )
            if cur.rowcount and actor is not None:
                self.audit.record(actor, "auth.logout", "user", actor.user_id, conn=conn)
        return bool(cur.rowcount)
