"""The migration record and the runner that applies a given list of them, once each, in order.

Storage knows no feature: whoever opens the database passes the list (``kb.schema.ALL_MIGRATIONS``
in the product). A step's SQL is a plain script today; a later dialect split can replace ``sql`` by
one script per dialect without changing the runner's contract.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from kb.errors import LeianError

LEDGER_SQL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations "
    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
)


@dataclass(frozen=True)
class Migration:
    """One schema step. ``version`` is recorded in ``schema_migrations`` and never reused."""

    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        return split_sql(self.sql)


class MigrationOrderError(ValueError):
    """A migration list with a duplicate, non-positive or decreasing version (a programming error)."""


class MigrationError(LeianError):
    """A step failed while the database opened; it was rolled back and is not recorded."""

    code = "migration_failed"


class Transactional(Protocol):
    """What the runner needs from a database: one all-or-nothing transaction at a time."""

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...


def split_sql(script: str) -> list[str]:
    """Split a script into complete statements (trigger bodies and string literals keep their semicolons)."""
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip().rstrip(";").strip():  # not the empty piece after the last ";"
                statements.append(buffer.strip())
            buffer = ""
    tail = buffer[:-1].strip()  # the ";" added after the last piece
    if tail:
        statements.append(tail)
    return statements


def check_order(migrations: Sequence[Migration]) -> None:
    """Refuse a list whose versions are not unique and strictly increasing in the order given."""
    previous: Migration | None = None
    seen: dict[int, Migration] = {}
    for migration in migrations:
        if migration.version <= 0:
            raise MigrationOrderError(f"迁移版本必须为正整数：{migration.version}（{migration.name}）")
        if migration.version in seen:
            first = seen[migration.version]
            raise MigrationOrderError(
                f"迁移版本 {migration.version} 重复：“{first.name}”与“{migration.name}”；新迁移请使用下一个未用的版本号"
            )
        if previous is not None and migration.version < previous.version:
            raise MigrationOrderError(
                f"迁移顺序错误：版本 {migration.version}（{migration.name}）排在版本 {previous.version}"
                f"（{previous.name}）之后；列表必须按版本号严格递增"
            )
        seen[migration.version] = migration
        previous = migration


def _recorded(conn: sqlite3.Connection) -> set[int]:
    return {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}


def applied_versions(db: Transactional) -> list[int]:
    """The versions recorded in the database, ascending (empty for a database never migrated)."""
    with db.transaction() as conn:
        conn.execute(LEDGER_SQL)
        return sorted(_recorded(conn))


def apply(db: Transactional, migrations: Sequence[Migration]) -> list[int]:
    """Apply every step not yet recorded, in list order, each in its own transaction.

    A step and its ``schema_migrations`` row commit together, so a failing step leaves neither its
    tables nor its record behind and the next open tries it again. Returns the versions applied.
    """
    check_order(migrations)
    done = set(applied_versions(db))
    applied: list[int] = []
    for migration in migrations:
        if migration.version in done:
            continue
        try:
            with db.transaction() as conn:
                for statement in migration.statements():
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations(version, name) VALUES (?, ?)", (migration.version, migration.name)
                )
        except sqlite3.Error as exc:
            raise MigrationError(f"数据库迁移 {migration.version}（{migration.name}）失败，已回滚：{exc}") from exc
        applied.append(migration.version)
    return applied


def assemble(order: Sequence[Migration], declared: Mapping[str, Sequence[Migration]]) -> tuple[Migration, ...]:
    """The stated order, checked: increasing versions, and exactly the steps the features declare.

    ``declared`` maps an owner (a feature) to its own list; a step declared but missing from the
    order, or ordered but declared by no feature (or by two), is refused so neither can be forgotten.
    """
    check_order(order)
    owners: dict[Migration, str] = {}
    for owner, steps in declared.items():
        check_order(steps)
        for step in steps:
            if step in owners:
                raise MigrationOrderError(f"迁移 {step.version}（{step.name}）同时由 {owners[step]} 与 {owner} 声明")
            owners[step] = owner
    for step in order:
        if step not in owners:
            raise MigrationOrderError(f"迁移 {step.version}（{step.name}）不属于任何功能模块的 MIGRATIONS")
    listed = set(order)
    for step, owner in owners.items():
        if step not in listed:
            raise MigrationOrderError(
                f"{owner} 声明的迁移 {step.version}（{step.name}）未列入总顺序；请以下一个版本号追加到末尾"
            )
    return tuple(order)
