"""SQLite SQL, as the stores write it, rewritten for PostgreSQL (sqlglot does the parsing).

The stores keep one SQL text (SQLite's dialect, ``?`` placeholders); on a PostgreSQL database each
distinct statement is translated once (cached) into what psycopg runs. sqlglot's SQLite -> Postgres
transpilation covers most of it (``IFNULL``, scalar ``MAX``/``MIN``, ``substr``, NULL ordering,
``BLOB``); this module adds what it leaves out or gets wrong for us:

- ``INSERT OR IGNORE`` -> ``ON CONFLICT DO NOTHING``; ``INSERT OR REPLACE`` -> ``ON CONFLICT (primary
  key) DO UPDATE SET`` every other inserted column (the primary key comes from the live catalog);
- ``ON CONFLICT (key)`` without sqlglot's ``NULLS FIRST`` (invalid there);
- ``INTEGER`` columns as ``BIGINT`` (SQLite integers are 64-bit), ``INTEGER PRIMARY KEY`` as an
  identity column, and ``RETURNING id`` on inserts into such tables (``lastrowid``);
- ``datetime('now')``, ``date(x, '+N days')``, ``strftime(fmt, 'now', '+8 hours')``, ``json_array``;
- SQLite's ``RAISE(ABORT, ...)`` triggers as a PL/pgSQL function and trigger;
- ``?`` / ``:name`` as ``%s`` / ``%(name)s``, with every other ``%`` doubled for psycopg.

Anything else sqlglot cannot express raises ``TranslationError`` naming the statement.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

SENTINEL = "\x01"
NAMED = "\x02"
# A modifier of SQLite's date functions: '+30 days', '-1 month', '+8 hours'.
_MODIFIER = re.compile(r"^\s*([+-]?\d+)\s+(second|minute|hour|day|month|year)s?\s*$", re.IGNORECASE)
_TRIGGER = re.compile(
    r"^\s*CREATE\s+TRIGGER\s+(\w+)\s+(BEFORE|AFTER)\s+(INSERT|UPDATE|DELETE)\s+ON\s+(\w+)\s+"
    r"BEGIN\s+SELECT\s+RAISE\s*\(\s*ABORT\s*,\s*'([^']*)'\s*\)\s*;\s*END\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_STRFTIME = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH24", "%M": "MI", "%S": "SS", "%f": "SS.MS"}


class TranslationError(ValueError):
    """A SQLite statement this layer cannot run on PostgreSQL (a programming error: fix the SQL)."""


@dataclass(frozen=True)
class Table:
    """What the translator needs to know of a live table."""

    columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    identity: str | None  # the identity column (``INTEGER PRIMARY KEY`` in SQLite), if any


@dataclass(frozen=True)
class Statement:
    """One translated statement: the SQL psycopg runs, and what the cursor does around it."""

    sql: str
    returns_id: bool = False  # RETURNING <identity> was added: the cursor reads it as lastrowid
    reseed: str | None = None  # "table.column": an explicit value went into this identity column
    ddl: bool = False  # changes the catalog
    noop: bool = False  # a SQLite PRAGMA with no PostgreSQL meaning (foreign_keys, journal_mode, ...)


@dataclass
class Translator:
    """Translates and caches; ``catalog`` is refreshed by the connection after DDL."""

    catalog: Mapping[str, Table] = field(default_factory=dict)
    size: int = 8192
    _cache: dict[tuple[str, bool], list[Statement]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_catalog(self, catalog: Mapping[str, Table]) -> None:
        with self._lock:
            self.catalog = catalog
            self._cache.clear()

    def translate(self, sql: str, with_params: bool) -> list[Statement]:
        key = (sql, with_params)
        found = self._cache.get(key)
        if found is not None:
            return found
        out = self._translate(sql, with_params)
        with self._lock:
            if len(self._cache) >= self.size:
                self._cache.clear()
            self._cache[key] = out
        return out

    def _translate(self, sql: str, with_params: bool) -> list[Statement]:
        text = sql.strip().rstrip(";").strip()
        if not text or text.startswith("--") and "\n" not in text:
            return []
        if re.match(r"^PRAGMA\s+(foreign_keys|journal_mode|synchronous|busy_timeout)\b", text, re.IGNORECASE):
            return [Statement("", noop=True)]
        trigger = _TRIGGER.match(sql.strip())
        if trigger:
            return _trigger(*trigger.groups())
        try:
            trees = [t for t in sqlglot.parse(text, read="sqlite") if t is not None]
        except sqlglot.errors.ParseError as exc:
            raise TranslationError(f"无法转换为 PostgreSQL 的 SQL：{text[:200]}（{exc}）") from exc
        return [self._statement(tree, with_params, text) for tree in trees]

    def _statement(self, tree: exp.Expression, with_params: bool, text: str) -> Statement:
        returns_id, reseed = False, None
        ddl = isinstance(tree, exp.Create | exp.Alter | exp.Drop)
        if ddl:
            _ddl_types(tree)
        if isinstance(tree, exp.Insert):
            returns_id, reseed = self._insert(tree)
        tree = tree.transform(_functions)
        for conflict in tree.find_all(exp.OnConflict):
            keys = conflict.args.get("conflict_keys") or []
            conflict.set("conflict_keys", [k.this if isinstance(k, exp.Ordered) else k for k in keys])
        tree = tree.transform(_placeholders)
        try:
            out = tree.sql(dialect="postgres", identify=True, unsupported_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.UnsupportedError as exc:
            raise TranslationError(f"无法转换为 PostgreSQL 的 SQL：{text[:200]}（{exc}）") from exc
        if with_params:
            out = out.replace("%", "%%")
        out = re.sub(NAMED + r"(\w+)" + NAMED, lambda m: f"%({m.group(1)})s", out).replace(SENTINEL, "%s")
        return Statement(out, returns_id=returns_id, reseed=reseed, ddl=ddl)

    def _insert(self, tree: exp.Insert) -> tuple[bool, str | None]:
        target = tree.this
        table_expr = target.this if isinstance(target, exp.Schema) else target
        name = table_expr.name.lower() if isinstance(table_expr, exp.Table) else ""
        table = self.catalog.get(name)
        columns = (
            [c.name.lower() for c in target.expressions]
            if isinstance(target, exp.Schema)
            else list(table.columns if table else ())
        )
        alternative = (tree.args.get("alternative") or "").upper()
        if alternative in ("IGNORE", "REPLACE"):
            tree.set("alternative", None)
            if alternative == "IGNORE" or table is None or not table.primary_key:
                if alternative == "REPLACE":
                    raise TranslationError(f"INSERT OR REPLACE 的表 {name} 没有主键，无法转换为 PostgreSQL")
                tree.set("conflict", exp.OnConflict(action=exp.var("DO NOTHING")))
            else:
                rest = [c for c in columns if c not in table.primary_key]
                conflict = exp.OnConflict(
                    conflict_keys=[exp.column(c) for c in table.primary_key],
                    action=exp.var("DO UPDATE" if rest else "DO NOTHING"),
                    expressions=[exp.EQ(this=exp.column(c), expression=exp.column(c, table="excluded")) for c in rest],
                )
                tree.set("conflict", conflict)
        if table is None or table.identity is None or tree.args.get("returning"):
            return False, None
        tree.set("returning", exp.Returning(expressions=[exp.column(table.identity)]))
        return True, (f"{name}.{table.identity}" if table.identity in columns else None)


def _ddl_types(tree: exp.Expression) -> None:
    """SQLite's 64-bit INTEGER as BIGINT; ``INTEGER PRIMARY KEY`` (the rowid) as an identity column."""
    for column in tree.find_all(exp.ColumnDef):
        kind = column.args.get("kind")
        if not isinstance(kind, exp.DataType):
            continue
        if kind.this in (exp.DataType.Type.INT, exp.DataType.Type.SMALLINT, exp.DataType.Type.TINYINT):
            column.set("kind", exp.DataType.build("BIGINT"))
        elif kind.this in (exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE):
            column.set("kind", exp.DataType.build("DOUBLE PRECISION"))
        constraints = column.args.get("constraints") or []
        is_pk = any(isinstance(c.args.get("kind"), exp.PrimaryKeyColumnConstraint) for c in constraints)
        if is_pk and column.args["kind"].this == exp.DataType.Type.BIGINT:
            has_identity = any(isinstance(c.args.get("kind"), exp.GeneratedAsIdentityColumnConstraint) for c in constraints)
            constraints = [c for c in constraints if not isinstance(c.args.get("kind"), exp.AutoIncrementColumnConstraint)]
            if not has_identity:
                identity = exp.ColumnConstraint(kind=exp.GeneratedAsIdentityColumnConstraint(this=False))
                constraints = [identity, *constraints]
            column.set("constraints", constraints)


def _moment(value: exp.Expression, modifiers: list[exp.Expression]) -> exp.Expression:
    """A timestamp: 'now' is the UTC clock (as in SQLite), anything else an ISO date or date-time text."""
    if isinstance(value, exp.Literal) and value.is_string and value.this.lower() == "now":
        moment: exp.Expression = sqlglot.parse_one("CURRENT_TIMESTAMP AT TIME ZONE 'UTC'", read="postgres")
    else:
        text = exp.Cast(this=value.transform(_functions), to=exp.DataType.build("TEXT"))
        head = exp.Substring(this=text, start=exp.Literal.number(1), length=exp.Literal.number(19))
        moment = exp.Cast(this=head, to=exp.DataType.build("TIMESTAMP"))
    for modifier in modifiers:
        if not (isinstance(modifier, exp.Literal) and modifier.is_string):
            raise TranslationError(f"日期修饰符必须是字面量：{modifier.sql()}")
        found = _MODIFIER.match(modifier.this)
        if not found:
            raise TranslationError(f"不支持的日期修饰符：{modifier.this}")
        interval = exp.Interval(this=exp.Literal.string(str(int(found.group(1)))), unit=exp.var(found.group(2).upper()))
        moment = exp.Add(this=exp.Paren(this=moment), expression=interval)
    return moment


def _to_char(moment: exp.Expression, fmt: str) -> exp.Expression:
    return exp.func("TO_CHAR", moment, exp.Literal.string(fmt))


def _pg_format(sqlite_format: str) -> str:
    out, i = [], 0
    while i < len(sqlite_format):
        piece = sqlite_format[i : i + 2]
        if piece in _STRFTIME:
            out.append(_STRFTIME[piece])
            i += 2
        else:
            ch = sqlite_format[i]
            out.append(f'"{ch}"' if ch.isalpha() else ch)
            i += 1
    return "".join(out)


def _functions(node: exp.Expression) -> exp.Expression:
    """SQLite's date and JSON functions that PostgreSQL spells differently."""
    if isinstance(node, exp.Anonymous | exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).upper()
        args = list(node.expressions) if isinstance(node, exp.Anonymous) else None
        if name in ("DATETIME", "DATE", "STRFTIME", "TIME_TO_STR", "DATE_STR_TO_DATE", "TS_OR_DS_TO_DATE"):
            raw = _raw_args(node)
            if name == "STRFTIME" or name == "TIME_TO_STR":
                fmt, rest = raw[0], raw[1:]
                if not (isinstance(fmt, exp.Literal) and fmt.is_string):
                    raise TranslationError("strftime 的格式必须是字面量")
                return _to_char(_moment(rest[0], rest[1:]), _pg_format(fmt.this))
            if name == "DATETIME":
                return _to_char(_moment(raw[0], raw[1:]), "YYYY-MM-DD HH24:MI:SS")
            return _to_char(_moment(raw[0], raw[1:]), "YYYY-MM-DD")
        if name in ("JSON_ARRAY", "JSONARRAY"):
            values = args if args is not None else list(node.expressions)
            return exp.Cast(this=exp.func("JSON_BUILD_ARRAY", *values), to=exp.DataType.build("TEXT"))
    return node


def _raw_args(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    args = [node.this, *(node.expressions or [])]
    for key in ("format", "expression", "zone"):
        if node.args.get(key) is not None:
            args.append(node.args[key])
    return [a for a in args if a is not None]


def _placeholders(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Placeholder):
        named = node.name not in ("", "?")
        return exp.var(f"{NAMED}{node.name}{NAMED}" if named else SENTINEL)
    return node


def _trigger(name: str, when: str, event: str, table: str, message: str) -> list[Statement]:
    function = f"{name}_fn"
    body = message.replace("'", "''").replace("%", "%%")
    return [
        Statement(
            f'CREATE OR REPLACE FUNCTION "{function}"() RETURNS trigger LANGUAGE plpgsql AS '
            f"$$ BEGIN RAISE EXCEPTION '{body}' USING ERRCODE = 'integrity_constraint_violation'; END $$",
            ddl=True,
        ),
        Statement(
            f'CREATE TRIGGER "{name}" {when.upper()} {event.upper()} ON "{table}" '
            f'FOR EACH ROW EXECUTE FUNCTION "{function}"()',
            ddl=True,
        ),
    ]
