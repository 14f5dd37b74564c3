"""Users, roles, permissions and API tokens (tokens and passwords are stored only as hashes)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.passwords import password_problems
from kb.scope import KIND_LABELS, PROVINCE, Scope
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
    """Who is acting: ``role`` decides what, ``scope`` (kb/scope.py) decides which cases; ``unit`` is
    the account's unit (None for the bureau's provincial accounts)."""

    user_id: int
    username: str
    role: str
    display_name: str = ""
    unit: str | None = None
    scope: Scope = field(default=PROVINCE)

    @property
    def permissions(self) -> frozenset[str]:
        return PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDeniedError(f"当前角色（{ROLE_LABELS.get(self.role, self.role)}）无权执行此操作")


SYSTEM = Principal(0, "system", "admin", "系统")

# The columns a principal is read from (``u`` is the users table in the caller's query).
PRINCIPAL_COLUMNS = "u.id, u.username, u.role, u.display_name, u.unit, u.scope_kind, u.scope_cities"


def principal_from_row(row: sqlite3.Row) -> Principal:
    """A principal from a row of ``PRINCIPAL_COLUMNS``."""
    scope = Scope(row["scope_kind"] or "province", row["unit"], frozenset(json.loads(row["scope_cities"] or "[]")))
    if scope.kind == "province":
        scope = PROVINCE
    return Principal(row["id"], row["username"], row["role"], row["display_name"], row["unit"], scope)


# -- unit names ------------------------------------------------------------------------------------
class _NamedUnit(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def cities(self) -> tuple[str, ...]: ...


class UnitLookup(Protocol):
    """The part of the units catalog (``kernel.units``, kb/units) accounts are checked against."""

    def require(
        self, name: str, field: str, kinds: Collection[str] | None = None, row: int | None = None
    ) -> _NamedUnit: ...

    def city_of(self, name: str) -> str | None: ...


# The unit kinds (kb/units) an account of each scope kind may be bound to.
_UNIT_KINDS = {
    "city": ("city", "district"),
    "cities": ("division", "province"),
    "department": ("department", "zhengfa_body", "division"),
    "zhengfa": ("zhengfa", "zhengfa_body"),
    "province": ("province", "division", "department", "zhengfa", "zhengfa_body"),
}


def _check_unit(units: UnitLookup | None, name: str, field_name: str, kinds: Collection[str]) -> str:
    """THE place unit names are checked for accounts: 1–64 characters without control characters,
    and, with the units catalog (``kernel.units``), a known unit of one of ``kinds`` (an alias
    gives its canonical name; an unknown name is refused with the closest known ones)."""
    name = (name or "").strip()
    if not name or len(name) > 64 or any(ord(ch) < 32 for ch in name):
        raise InvalidInputError([FieldProblem(field_name, "单位名称应为 1–64 个字符")])
    return units.require(name, field_name, kinds).name if units is not None else name


def _division_cities(units: UnitLookup | None, unit: str | None) -> list[str]:
    """The cities a supervision division covers, per the catalog (none without it)."""
    if units is None or unit is None:
        return []
    return list(units.require(unit, "unit").cities)


def account_scope(
    kind: str | None, unit: str | None, cities: Iterable[str] = (), units: UnitLookup | None = None
) -> tuple[str | None, Scope]:
    """(canonical unit, scope) for a new account, or InvalidInputError naming the field.

    ``kind`` defaults to ``cities`` when cities are given, else ``province``. A city scope needs a
    city (or district) unit and covers that city; a cities scope needs at least one city (a
    supervision division's own cities by default); a department or 政法 scope needs its unit.
    """
    wanted = [c.strip() for c in cities if c and c.strip()]
    kind = kind or ("cities" if wanted else "province")
    if kind not in KIND_LABELS:
        raise InvalidInputError([FieldProblem("scope", f"权限范围应为 {', '.join(KIND_LABELS)} 之一")])
    unit = _check_unit(units, unit, "unit", _UNIT_KINDS[kind]) if unit and unit.strip() else None
    if kind == "city":
        if unit is None:
            raise InvalidInputError([FieldProblem("unit", "地市权限范围需绑定地市单位（如 广州市）")])
        if wanted:
            raise InvalidInputError([FieldProblem("cities", "地市权限范围即所绑定的地市，不能另列地市")])
        return unit, Scope.city_of(_city_of(units, unit), unit)
    if kind == "cities":
        wanted = wanted or _division_cities(units, unit)
        if not wanted:
            raise InvalidInputError([FieldProblem("cities", "督查片区权限范围需至少列出一个地市")])
        return unit, Scope.cities_of((_check_unit(units, c, "cities", ("city",)) for c in wanted), unit)
    if wanted:
        raise InvalidInputError([FieldProblem("cities", f"{KIND_LABELS[kind]}权限范围不能另列地市")])
    if kind in ("department", "zhengfa"):
        if unit is None:
            raise InvalidInputError([FieldProblem("unit", f"{KIND_LABELS[kind]}权限范围需绑定单位")])
        return unit, Scope(kind, unit)
    return unit, PROVINCE


def _city_of(units: UnitLookup | None, unit: str) -> str:
    """The city a city-scoped unit belongs to: the unit itself, or (with the catalog) a district's city."""
    return (units.city_of(unit) if units is not None else None) or unit


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


@dataclass(frozen=True)
class Account:
    """A user as administrators list them: who, whether active, and the credentials they hold."""

    principal: Principal
    active: bool
    created_at: str
    has_password: bool
    tokens: int = 0
    sessions: int = 0


@dataclass(frozen=True)
class Credential:
    """One API token or web session of a user, named by a short prefix of its hash (never the token)."""

    kind: str  # "token" or "session"
    id: str
    name: str
    created_at: str
    expires_at: str | None
    active: bool  # neither revoked nor expired


# A hash of a random password nobody knows: checked when the user name has no password, so a
# failed login costs one scrypt whether or not the account exists (no timing oracle).
_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


class UserStore:
    def __init__(
        self,
        db: Database,
        min_password_length: int = MIN_PASSWORD_LENGTH,
        units: Callable[[], UnitLookup] | None = None,
    ) -> None:
        """``units`` gives the units catalog when an account is created (``lambda: kernel.units``);
        without it unit names are checked for shape only."""
        self.db, self.min_password_length, self._units = db, min_password_length, units
        # Real password hash verifications done (the throttling tests count these, not the clock).
        self.password_checks = 0
        self._checks_lock = threading.Lock()

    def create(
        self,
        username: str,
        role: str,
        password: str | None = None,
        *,
        unit: str | None = None,
        scope: str | None = None,
        cities: Iterable[str] = (),
        display_name: str = "",
        actor: Principal = SYSTEM,
    ) -> tuple[Principal, str]:
        """Create a user bound to ``unit`` and a ``scope`` kind (kb/scope.py) and issue a first API
        token; returns (principal, token) — the token is shown once. A bound administrator
        (``actor``) may only create accounts within its own scope."""
        actor.require("users:admin")
        if role not in PERMISSIONS:
            raise InvalidInputError([FieldProblem("role", f"角色应为 {', '.join(PERMISSIONS)} 之一")])
        if not username or len(username) > 64:
            raise InvalidInputError([FieldProblem("username", "用户名长度应为 1–64")])
        if password is not None:
            problems = password_problems(password, username, self.min_password_length)
            if problems:
                raise InvalidInputError([FieldProblem("password", "；".join(problems))])
        unit, granted = account_scope(scope, unit, cities, self._units() if self._units else None)
        if not actor.scope.contains(granted):
            raise PermissionDeniedError(f"只能创建{actor.scope.describe()}内的账号")
        if self.db.query_one("SELECT 1 FROM users WHERE username = ?", (username,)):
            raise ConflictError(f"用户 {username} 已存在")
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO users(username, display_name, role, city, unit, scope_kind, scope_cities, "
                "password_hash, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    username,
                    display_name or username,
                    role,
                    granted.city,  # kept for readers of the old column
                    unit,
                    granted.kind,
                    json.dumps(sorted(granted.cities), ensure_ascii=False),
                    hash_password(password) if password else None,
                    now(),
                ),
            )
            user_id = int(cur.lastrowid or 0)
            token = self._issue(conn, user_id, "initial")
        return Principal(user_id, username, role, display_name or username, unit, granted), token

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
            f"SELECT {PRINCIPAL_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = ? AND t.revoked = 0 AND u.active = 1",
            (hash_token(token),),
        )
        return None if row is None else principal_from_row(row)

    def by_password(self, username: str, password: str) -> Principal | None:
        """The active user with that password. Exactly one hash verification whatever the outcome:
        an unknown name, a disabled account or one without a password is checked against a dummy
        hash, so a failure takes as long for an existing user as for anyone else."""
        row = self.db.query_one(
            f"SELECT {PRINCIPAL_COLUMNS}, u.password_hash, u.active FROM users u WHERE u.username = ?",
            (username,),
        )
        usable = row is not None and bool(row["password_hash"]) and bool(row["active"])
        matches = self._verify(password, row["password_hash"] if usable and row is not None else _dummy_hash())
        if not usable or not matches or row is None:
            return None
        return principal_from_row(row)

    def _verify(self, password: str, stored: str) -> bool:
        with self._checks_lock:
            self.password_checks += 1
        return verify_password(password, stored)

    # -- administration (kb/accounts.py decides who may; these only read and write) ------------------
    def accounts(self) -> list[Account]:
        """Every user, with the count of its live API tokens (``sessions`` is filled by kb/accounts.py)."""
        rows = self.db.query(
            f"SELECT {PRINCIPAL_COLUMNS}, u.active, u.created_at, u.password_hash IS NOT NULL AS has_password, "
            "(SELECT COUNT(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked = 0) AS tokens "
            "FROM users u ORDER BY u.username"
        )
        return [
            Account(
                principal_from_row(r),
                bool(r["active"]),
                r["created_at"],
                bool(r["has_password"]),
                int(r["tokens"]),
            )
            for r in rows
        ]

    def account(self, username: str) -> Account | None:
        return next((a for a in self.accounts() if a.principal.username == username), None)

    def api_tokens(self, user_id: int) -> list[Credential]:
        rows = self.db.query(
            "SELECT token_hash, name, created_at, revoked FROM api_tokens WHERE user_id = ? ORDER BY created_at, rowid",
            (user_id,),
        )
        return [
            Credential("token", r["token_hash"][:12], r["name"], r["created_at"], None, not r["revoked"]) for r in rows
        ]

    def set_active(self, conn: sqlite3.Connection, user_id: int, active: bool) -> bool:
        """Enable or disable an account inside the caller's transaction; whether it changed."""
        cur = conn.execute(
            "UPDATE users SET active = ? WHERE id = ? AND active != ?", (int(active), user_id, int(active))
        )
        return bool(cur.rowcount)

    @staticmethod
    def revoke_api_tokens(conn: sqlite3.Connection, user_id: int) -> int:
        """Revoke every API token of the user inside the caller's transaction; how many were live."""
        return conn.execute("UPDATE api_tokens SET revoked = 1 WHERE user_id = ? AND revoked = 0", (user_id,)).rowcount

    def by_username(self, username: str) -> Principal | None:
        """The user of that name (active or not), as a principal."""
        row = self.db.query_one(f"SELECT {PRINCIPAL_COLUMNS} FROM users u WHERE u.username = ?", (username,))
        return None if row is None else principal_from_row(row)

    def active_by_username(self, username: str) -> Principal | None:
        """The ACTIVE user of that name (a disabled account acts no more, not even in queued jobs)."""
        row = self.db.query_one(
            f"SELECT {PRINCIPAL_COLUMNS} FROM users u WHERE u.username = ? AND u.active = 1", (username,)
        )
        return None if row is None else principal_from_row(row)

    def count(self) -> int:
        row = self.db.query_one("SELECT COUNT(*) FROM users")
        return int(row[0]) if row else 0
