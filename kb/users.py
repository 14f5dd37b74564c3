"""Users, roles, permissions and API tokens (tokens and passwords are stored only as hashes)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.passwords import password_problems
from kb.settings import MIN_PASSWORD_LENGTH
from kb.storage.cases import now
from kb.storage.db import Database

ROLE_LABELS = {
    "handler": "信访经办人",
    "reviewer": "政策审查员",
    "supervisor": "督查督办",
    "admin": "系统管理员",
    "analyst": "只读分析员",
}
_READ = {"cases:read", "search", "groups:read", "modelcases:read", "workflow:read", "reports:read"}
PERMISSIONS: dict[str, frozenset[str]] = {
    "analyst": frozenset(_READ),
    "handler": frozenset(_READ | {"cases:write", "cases:import", "pii:read", "workflow:write", "modelcases:draft"}),
    "reviewer": frozenset(
        _READ | {"groups:write", "groups:decide", "modelcases:draft", "modelcases:write", "modelcases:publish"}
    ),
    "supervisor": frozenset(_READ | {"reports:export", "workflow:write", "packages:write"}),
    "admin": frozenset(
        _READ
        | {
            "cases:write",
            "cases:import",
            "pii:read",
            "workflow:write",
            "packages:write",
            "groups:write",
            "groups:decide",
            "modelcases:draft",
            "modelcases:write",
            "modelcases:publish",
            "reports:export",
            "audit:read",
            "users:admin",
            "system:admin",
        }
    ),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting: role decides what, ``city`` (None = provincial) decides which cases."""

    user_id: int
    username: str
    role: str
    city: str | None = None
    display_name: str = ""

    @property
    def permissions(self) -> frozenset[str]:
        return PERMISSIONS.get(self.role, frozenset())

    def sees(self, city: str | None) -> bool:
        """Whether records of ``city`` are within this user's locality scope."""
        return self.city is None or city == self.city

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDeniedError(f"当前角色（{ROLE_LABELS.get(self.role, self.role)}）无权执行此操作")


SYSTEM = Principal(0, "system", "admin", None, "系统")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt_hex)).split("$")[2], digest_hex)


class UserStore:
    def __init__(self, db: Database, min_password_length: int = MIN_PASSWORD_LENGTH) -> None:
        self.db, self.min_password_length = db, min_password_length

    def create(
        self, username: str, role: str, password: str | None = None, city: str | None = None, display_name: str = ""
    ) -> tuple[Principal, str]:
        """Create a user and a first API token; returns (principal, token) — the token is shown once."""
        if role not in PERMISSIONS:
            raise InvalidInputError([FieldProblem("role", f"角色应为 {', '.join(PERMISSIONS)} 之一")])
        if not username or len(username) > 64:
            raise InvalidInputError([FieldProblem("username", "用户名长度应为 1–64")])
        if password is not None:
            problems = password_problems(password, username, self.min_password_length)
            if problems:
                raise InvalidInputError([FieldProblem("password", "；".join(problems))])
        if self.db.query_one("SELECT 1 FROM users WHERE username = ?", (username,)):
            raise ConflictError(f"用户 {username} 已存在")
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO users(username, display_name, role, city, password_hash, created_at) VALUES (?,?,?,?,?,?)",
                (username, display_name or username, role, city, hash_password(password) if password else None, now()),
            )
            user_id = int(cur.lastrowid or 0)
            token = self._issue(conn, user_id, "initial")
        return Principal(user_id, username, role, city, display_name or username), token

    def _issue(self, conn: object, user_id: int, name: str) -> str:
        token = "lk_" + secrets.token_urlsafe(32)
        conn.execute(  # type: ignore[attr-defined]
            "INSERT INTO api_tokens(token_hash, user_id, name, created_at) VALUES (?,?,?,?)",
            (hash_token(token), user_id, name, now()),
        )
        return token

    def issue_token(self, username: str, name: str = "cli") -> str:
        row = self.db.query_one("SELECT id FROM users WHERE username = ? AND active = 1", (username,))
        if row is None:
            raise NotFoundError(f"用户 {username} 不存在")
        with self.db.transaction() as conn:
            return self._issue(conn, int(row["id"]), name)

    def by_token(self, token: str) -> Principal | None:
        row = self.db.query_one(
            "SELECT u.id, u.username, u.role, u.city, u.display_name "
            "FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = ? AND t.revoked = 0 AND u.active = 1",
            (hash_token(token),),
        )
        if row is None:
            return None
        return Principal(row["id"], row["username"], row["role"], row["city"], row["display_name"])

    def by_password(self, username: str, password: str) -> Principal | None:
        row = self.db.query_one(
            "SELECT id, username, role, city, display_name, password_hash FROM users WHERE username = ? AND active = 1",
            (username,),
        )
        if row is None or not row["password_hash"] or not verify_password(password, row["password_hash"]):
            return None
        return Principal(row["id"], row["username"], row["role"], row["city"], row["display_name"])

    def by_username(self, username: str) -> Principal | None:
        """The user of that name (active or not), as a principal."""
        row = self.db.query_one(
            "SELECT id, username, role, city, display_name FROM users WHERE username = ?", (username,)
        )
        if row is None:
            return None
        return Principal(row["id"], row["username"], row["role"], row["city"], row["display_name"])

    def count(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) FROM users")
        return int(row[0]) if row else 0
