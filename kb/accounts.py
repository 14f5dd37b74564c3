"""Account administration: list users, disable and enable them, list and revoke their tokens.

The one place these rules live, for both doors (``leian users …`` and ``/api/users``):

- the actor needs ``users:admin``;
- a bound administrator (a scope other than the province's) sees and manages only accounts whose
  scope lies within its own (``Scope.contains``, the rule ``UserStore.create`` applies to new
  accounts); any other account answers "不存在", as another unit's case does;
- nobody disables their own account (an administrator could lock everyone out);
- disabling an account also revokes every API token and web session it holds, in the same
  transaction, so they stop working at once and stay dead if it is enabled again (it then needs a
  new token: ``leian users token``);
- every change is audited inside its own transaction (``users.disable``, ``users.enable``,
  ``users.revoke_tokens``, ``users.create``), and so is reading a user's credentials
  (``users.tokens``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from kb.audit import AuditLog
from kb.errors import FieldProblem, InvalidInputError, NotFoundError
from kb.sessions import SessionStore
from kb.storage.db import Database
from kb.users import Account, Credential, Principal, UserStore


class AccountService:
    def __init__(self, db: Database, users: UserStore, sessions: SessionStore, audit: AuditLog) -> None:
        self.db, self.users, self.sessions, self.audit = db, users, sessions, audit

    # -- reads ---------------------------------------------------------------------------------------
    def list_accounts(self, actor: Principal) -> list[Account]:
        """The accounts ``actor`` may manage, by user name."""
        actor.require("users:admin")
        live = self.sessions.live_counts()
        return [
            dataclasses.replace(a, sessions=live.get(a.principal.user_id, 0))
            for a in self.users.accounts()
            if actor.scope.contains(a.principal.scope)
        ]

    def get(self, actor: Principal, username: str) -> Account:
        """One account ``actor`` may manage, or NotFoundError (also for accounts outside its scope)."""
        actor.require("users:admin")
        account = self.users.account(username)
        if account is None or not actor.scope.contains(account.principal.scope):
            raise NotFoundError(f"用户 {username} 不存在")
        live = self.sessions.live_counts()
        return dataclasses.replace(account, sessions=live.get(account.principal.user_id, 0))

    def credentials(self, actor: Principal, username: str) -> list[Credential]:
        """The user's API tokens and web sessions (live and past), never the tokens themselves. Audited."""
        user = self.get(actor, username).principal
        out = self.users.api_tokens(user.user_id) + self.sessions.of_user(user.user_id)
        self.audit.record(actor, "users.tokens", "user", user.username)
        return out

    # -- changes -------------------------------------------------------------------------------------
    def create(
        self,
        actor: Principal,
        username: str,
        role: str,
        password: str | None,
        *,
        unit: str | None = None,
        scope: str | None = None,
        cities: Iterable[str] = (),
        display_name: str = "",
    ) -> tuple[Principal, str]:
        """``UserStore.create`` (its checks, the actor's scope included) and its audit event, in one transaction."""
        with self.db.transaction() as conn:
            principal, token = self.users.create(
                username, role, password, unit=unit, scope=scope, cities=cities, display_name=display_name, actor=actor
            )
            detail = {"role": role, "scope": principal.scope.kind, "unit": principal.unit}
            self.audit.record(actor, "users.create", "user", username, detail, conn=conn)
        return principal, token

    def disable(self, actor: Principal, username: str) -> Account:
        """Disable the account and revoke all its tokens and sessions at once. Audited."""
        user = self.get(actor, username).principal
        if user.user_id == actor.user_id:
            raise InvalidInputError([FieldProblem("username", "不能停用自己的账号")])
        with self.db.transaction() as conn:
            changed = self.users.set_active(conn, user.user_id, False)
            tokens = self.users.revoke_api_tokens(conn, user.user_id)
            sessions = self.sessions.revoke_all(conn, user.user_id)
            detail = {"changed": changed, "tokens_revoked": tokens, "sessions_revoked": sessions}
            self.audit.record(actor, "users.disable", "user", username, detail, conn=conn)
        return self.get(actor, username)

    def enable(self, actor: Principal, username: str) -> Account:
        """Enable the account again (its old tokens stay revoked). Audited."""
        user = self.get(actor, username).principal
        with self.db.transaction() as conn:
            changed = self.users.set_active(conn, user.user_id, True)
            self.audit.record(actor, "users.enable", "user", username, {"changed": changed}, conn=conn)
        return self.get(actor, username)

    def revoke_tokens(
        self, actor: Principal, username: str, kinds: Iterable[str] = ("token", "session")
    ) -> dict[str, int]:
        """Revoke the user's API tokens and/or web sessions; how many of each were live. Audited."""
        wanted = set(kinds)
        if not wanted or wanted - {"token", "session"}:
            raise InvalidInputError([FieldProblem("kinds", "应为 token（API 令牌）或 session（网页会话）")])
        user = self.get(actor, username).principal
        with self.db.transaction() as conn:
            counts = {
                "tokens": self.users.revoke_api_tokens(conn, user.user_id) if "token" in wanted else 0,
                "sessions": self.sessions.revoke_all(conn, user.user_id) if "session" in wanted else 0,
            }
            self.audit.record(actor, "users.revoke_tokens", "user", username, counts, conn=conn)
        return counts
