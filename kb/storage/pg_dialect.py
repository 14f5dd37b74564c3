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
- SQLite's ``RAISE(ABORT, ...)`` triggers as a PL/pgSQL function and trigger; an ``AFTER``
  trigger whose body is plain statements reading no row (no ``NEW.``/``OLD.``, e.g. the filter
  generation's counter bump, kb/storage/filter_cache.py) as a function running those statements
  (translated like any other) from a ``FOR EACH STATEMENT`` trigger: once per statement instead of
  once per row, which is all a counter that only has to move needs, and one update per import
  statement instead of one per row;
- ``?`` / ``:name`` as ``%s`` / ``%(name)s``, with every other ``%`` doubled for psycopg;
- an ``executemany`` of a plain ``INSERT``, ``INSERT OR REPLACE``/``OR IGNORE`` or ``UPDATE … SET
  a = ? … WHERE k = ?`` whose values are all placeholders as a ``COPY`` plan (``copy_plan``): the
  connection streams the rows with ``COPY`` (straight into the table, or into a temporary table
  that one ``INSERT … SELECT`` / ``UPDATE … FROM`` applies), instead of one statement per row.

Anything else sqlglot cannot express raises ``TranslationError`` naming the statement.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import cast

import sqlglot
from sqlglot import exp

from kb.storage.migrate import split_sql

SENTINEL = "\x01"
NAMED = "\x02"
# A modifier of SQLite's date functions: '+30 days', '-1 month', '+8 hours'.
_MODIFIER = re.compile(r"^\s*([+-]?\d+)\s+(second|minute|hour|day|month|year)s?\s*$", re.IGNORECASE)
_TRIGGER = re.compile(
    r"^\s*CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+(BEFORE|AFTER)\s+"
    r"(INSERT|DELETE|UPDATE(?:\s+OF\s+[\w\s,]+?)?)\s+ON\s+(\w+)\s+(?:FOR\s+EACH\s+ROW\s+)?(?:WHEN\s+(.+?)\s+)?"
    r"BEGIN\s+SELECT\s+RAISE\s*\(\s*ABORT\s*,\s*'([^']*)'\s*\)\s*;\s*END\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_STATEMENT_TRIGGER = re.compile(
    r"^\s*CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+AFTER\s+"
    r"(INSERT|DELETE|UPDATE(?:\s+OF\s+[\w\s,]+?)?)\s+ON\s+(\w+)\s+(?:FOR\s+EACH\s+ROW\s+)?"
    r"BEGIN\s+(.+?)\s*END\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_DROP_TRIGGER = re.compile(r"^\s*DROP\s+TRIGGER\s+(IF\s+EXISTS\s+)?(\w+)\s*;?\s*$", re.IGNORECASE)
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
    hide_rowid: bool = False  # ``SELECT *``: drop the hidden "rowid" column, as SQLite's * has none
    noop: bool = False  # a SQLite PRAGMA with no PostgreSQL meaning (foreign_keys, journal_mode, ...)


@dataclass(frozen=True)
class CopyPlan:
    """How an ``executemany`` of one SQLite statement runs as ``COPY`` (``Translator.copy_plan``).

    ``kind``: "insert" (``COPY`` into the table), "replace" / "ignore" (``COPY`` into a temporary
    table, then ``INSERT … SELECT … ON CONFLICT``), "update" (``COPY``, then ``UPDATE … FROM``).
    ``columns`` are the parameters' columns in order; ``keys`` the columns a row is matched on
    (the primary key for "replace", the ``WHERE`` columns for "update"): rows with the same key
    are reduced to the last one, as running them one after the other leaves it.
    """

    kind: str
    table: str
    columns: tuple[str, ...]
    keys: tuple[str, ...] = ()
    reseed: str | None = None  # "table.column": explicit identity values went in


@dataclass
class Translator:
    """Translates and caches; ``catalog`` is refreshed by the connection after DDL."""

    catalog: Mapping[str, Table] = field(default_factory=dict)
    size: int = 8192
    # The catalog must be read again before the next INSERT (set after DDL through any connection
    # sharing this translator, cleared by the one that reads it).
    stale: bool = True
    _cache: dict[tuple[str, bool], list[Statement]] = field(default_factory=dict)
    _plans: dict[tuple[str, str], CopyPlan | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_catalog(self, catalog: Mapping[str, Table]) -> None:
        with self._lock:
            self.catalog = catalog
            self._cache.clear()
            self._plans.clear()

    def translate(self, sql: str, with_params: bool) -> list[Statement]:
        key = (sql, with_params)
        found = self._cache.get(key)
        if found is not None:
            return found
        out = (self._translate_lists(sql) if with_params else None) or self._translate(sql, with_params)
        self._keep(key, out)
        return out

    def copy_plan(self, sql: str) -> CopyPlan | None:
        """The ``COPY`` form of ``sql`` for ``executemany`` (cached), or None where it has none
        (a literal or expression among the values, ``RETURNING``, ``ON CONFLICT``, a ``WHERE``
        other than ``k = ? AND …``, a table not in the catalog)."""
        key = (sql, "copy")
        if key in self._plans:
            return self._plans[key]
        try:
            parsed = sqlglot.parse_one(sql.strip().rstrip(";"), read="sqlite")
            tree: exp.Expression | None = cast(exp.Expression, parsed)
        except sqlglot.errors.ParseError:
            tree = None
        plan = self._copy_plan(tree) if tree is not None else None
        with self._lock:
            if len(self._plans) >= self.size:
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def _copy_plan(self, tree: exp.Expression) -> CopyPlan | None:
        def bare(node: exp.Expression | None) -> bool:
            return isinstance(node, exp.Placeholder) and node.name in ("", "?")

        if isinstance(tree, exp.Insert):
            target = tree.this
            values = tree.expression
            if not (isinstance(target, exp.Schema) and isinstance(target.this, exp.Table)):
                return None
            if not isinstance(values, exp.Values) or len(values.expressions) != 1:
                return None
            if tree.args.get("conflict") or tree.args.get("returning") or tree.args.get("where"):
                return None
            row = values.expressions[0]
            columns = tuple(c.name.lower() for c in target.expressions)
            if not all(bare(v) for v in row.expressions) or len(row.expressions) != len(columns):
                return None
            name = target.this.name.lower()
            table = self.catalog.get(name)
            if table is None or len(set(columns)) != len(columns) or not set(columns) <= set(table.columns):
                return None
            alternative = (tree.args.get("alternative") or "").upper()
            kind = {"": "insert", "REPLACE": "replace", "IGNORE": "ignore"}.get(alternative)
            if kind is None or (
                kind == "replace" and not (table.primary_key and set(table.primary_key) <= set(columns))
            ):
                return None
            reseed = f"{name}.{table.identity}" if table.identity and table.identity in columns else None
            keys = table.primary_key if kind == "replace" else ()
            return CopyPlan(kind, name, columns, keys, reseed)
        if isinstance(tree, exp.Update) and isinstance(tree.this, exp.Table):
            if any(tree.args.get(k) for k in ("from", "joins", "returning", "order", "limit", "with")):
                return None
            name = tree.this.name.lower()
            table = self.catalog.get(name)
            where = tree.args.get("where")
            if table is None or where is None:
                return None
            sets = []
            for assignment in tree.expressions:
                if not (isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column)):
                    return None
                if assignment.this.table or not bare(assignment.expression):
                    return None
                sets.append(assignment.this.name.lower())
            matched: list[str] = []
            tests = [where.this]
            while tests:
                test = tests.pop(0)
                if isinstance(test, exp.And):
                    tests[:0] = [test.this, test.expression]
                    continue
                if not (isinstance(test, exp.EQ) and isinstance(test.this, exp.Column) and bare(test.expression)):
                    return None
                if test.this.table:
                    return None
                matched.append(test.this.name.lower())
            columns = (*sets, *matched)
            if not sets or len(set(columns)) != len(columns) or not set(columns) <= set(table.columns):
                return None
            return CopyPlan("update", name, columns, tuple(matched))
        return None

    def _keep(self, key: tuple[str, bool], out: list[Statement]) -> None:
        with self._lock:
            if len(self._cache) >= self.size:
                self._cache.clear()
            self._cache[key] = out

    def _translate_lists(self, sql: str) -> list[Statement] | None:
        """``IN (?, ?, …)`` lists of any length share one translation (``kb.storage.sql.query_in``
        sends a new length with nearly every call, and parsing 900 placeholders is slow): the lists
        are translated as ``IN (?)`` and widened again. None when the statement has none."""
        collapsed, lists = _collapse_in_lists(sql)
        if not lists:
            return None
        key = (collapsed, True)
        base = self._cache.get(key)
        if base is None:
            base = self._translate(collapsed, True)
            self._keep(key, base)
        if len(base) != 1:
            return None
        widened = _widen(base[0].sql, lists, collapsed.count("?"))
        return None if widened is None else [replace(base[0], sql=widened)]

    def _translate(self, sql: str, with_params: bool) -> list[Statement]:
        text = sql.strip().rstrip(";").strip()
        if not text or (text.startswith("--") and "\n" not in text):
            return []
        if re.match(r"^PRAGMA\s+(foreign_keys|journal_mode|synchronous|busy_timeout)\b", text, re.IGNORECASE):
            return [Statement("", noop=True)]
        if re.match(r"^SET\s+(LOCAL\s+|SESSION\s+)?\w+\s*(=|TO)", text, re.IGNORECASE):
            return [Statement(text)]  # a PostgreSQL session setting (SQLite has none): as written
        trigger = _TRIGGER.match(sql.strip())
        if trigger:
            return _trigger(*trigger.groups())
        bump = _STATEMENT_TRIGGER.match(sql.strip())
        if bump and not re.search(r"\b(NEW|OLD)\s*\.|\bRAISE\s*\(", bump.group(4), re.IGNORECASE):
            return self._statement_trigger(*bump.groups())
        if re.match(r"^CREATE\s+TRIGGER\b", text, re.IGNORECASE):
            raise TranslationError(
                f"无法转换为 PostgreSQL 的触发器（只支持 RAISE(ABORT) 与不读行的 AFTER 触发器）：{text[:200]}"
            )
        drop = _DROP_TRIGGER.match(text)
        if drop:
            return [_drop_trigger(drop.group(2), bool(drop.group(1)))]
        try:
            trees = [cast(exp.Expression, t) for t in sqlglot.parse(text, read="sqlite") if t is not None]
        except sqlglot.errors.ParseError as exc:
            raise TranslationError(f"无法转换为 PostgreSQL 的 SQL：{text[:200]}（{exc}）") from exc
        return [self._statement(tree, with_params, text) for tree in trees]

    def _statement_trigger(self, name: str, event: str, table: str, body: str) -> list[Statement]:
        """An AFTER trigger whose body reads no row: its statements in a PL/pgSQL function, run by
        a statement-level trigger (see the module docstring)."""
        statements = []
        for piece in split_sql(body):
            for translated in self._translate(piece, False):
                if translated.ddl or translated.returns_id or translated.noop:
                    raise TranslationError(f"无法转换为 PostgreSQL 的触发器语句：{piece[:200]}")
                statements.append(translated.sql + ";")
        function = f"{name}_fn"
        event = re.sub(r"\s+", " ", event.strip()).upper()
        return [
            Statement(
                f'CREATE OR REPLACE FUNCTION "{function}"() RETURNS trigger LANGUAGE plpgsql AS '
                f"$$ BEGIN {' '.join(statements)} RETURN NULL; END $$",
                ddl=True,
            ),
            Statement(
                f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" '
                f'FOR EACH STATEMENT EXECUTE FUNCTION "{function}"()',
                ddl=True,
            ),
        ]

    def _statement(self, tree: exp.Expression, with_params: bool, text: str) -> Statement:
        returns_id, reseed = False, None
        ddl = isinstance(tree, exp.Create | exp.Alter | exp.Drop)
        if ddl:
            _ddl_types(tree)
        if isinstance(tree, exp.Insert):
            returns_id, reseed = self._insert(tree)
        listed = isinstance(tree, exp.Select) and any(
            isinstance(e, exp.Column) and e.name.lower() in ("rowid", "_rowid_", "oid") for e in tree.expressions
        )
        self._rowid(tree)
        hide_rowid = not listed and any(True for _ in tree.find_all(exp.Star))
        if not ddl:  # CHECK (...) and partial-index WHERE hold real conditions
            _booleans(tree)
        _alias_subqueries(tree)
        _recursive(tree)
        tree = tree.transform(_functions)
        for conflict in tree.find_all(exp.OnConflict):
            keys = conflict.args.get("conflict_keys") or []
            conflict.set("conflict_keys", [k.this if isinstance(k, exp.Ordered) else k for k in keys])
            _qualify_upsert(tree, conflict)
        tree = tree.transform(_placeholders)
        try:
            out = tree.sql(dialect="postgres", identify=True, unsupported_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.UnsupportedError as exc:
            raise TranslationError(f"无法转换为 PostgreSQL 的 SQL：{text[:200]}（{exc}）") from exc
        if with_params:
            out = out.replace("%", "%%")
        out = re.sub(NAMED + r"(\w+)" + NAMED, lambda m: f"%({m.group(1)})s", out).replace(SENTINEL, "%s")
        return Statement(out, returns_id=returns_id, reseed=reseed, ddl=ddl, hide_rowid=hide_rowid)

    def _rowid(self, tree: exp.Expression) -> None:
        """SQLite's ``rowid`` as the table's INTEGER PRIMARY KEY (its alias there); a table without
        one has a hidden "rowid" identity column (``_ddl_types``)."""
        for column in list(tree.find_all(exp.Column)):
            if column.name.lower() not in ("rowid", "_rowid_", "oid"):
                continue
            select = column.find_ancestor(exp.Select, exp.Update, exp.Delete)
            tables = (
                {} if select is None else {t.alias_or_name.lower(): t.name.lower() for t in select.find_all(exp.Table)}
            )
            qualifier = column.table.lower()
            table_name = (
                tables.get(qualifier) if qualifier else (next(iter(tables.values())) if len(tables) == 1 else None)
            )
            table = self.catalog.get(table_name or "")
            target = table.identity if table is not None and table.identity else "rowid"
            column.set("this", exp.to_identifier(target))

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


def _recursive(tree: exp.Expression) -> None:
    """SQLite runs a CTE that reads itself under plain ``WITH``; PostgreSQL needs ``WITH RECURSIVE``."""
    for with_ in tree.find_all(exp.With):
        for cte in with_.expressions:
            name = cte.alias_or_name.lower()
            if any(t.name.lower() == name for t in cte.this.find_all(exp.Table)):
                with_.set("recursive", True)
                anchor = cte.this.this if isinstance(cte.this, exp.Union) else None
                if isinstance(anchor, exp.Select):  # 0 is INT; the recursive term's sums are BIGINT
                    for value in list(anchor.expressions):
                        literal = value.this if isinstance(value, exp.Alias) else value
                        if isinstance(literal, exp.Literal) and not literal.is_string and literal.is_int:
                            literal.replace(exp.Cast(this=literal.copy(), to=exp.DataType.build("BIGINT")))


def _alias_subqueries(tree: exp.Expression) -> None:
    """``FROM (SELECT ...)`` needs an alias on PostgreSQL before 16; SQLite names none."""
    for i, sub in enumerate(list(tree.find_all(exp.Subquery))):
        if isinstance(sub.parent, exp.From | exp.Join) and not sub.alias:
            sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"_sub{i}")))


def _qualify_upsert(tree: exp.Expression, conflict: exp.OnConflict) -> None:
    """``DO UPDATE SET v = v + 1``: SQLite reads a bare column as the stored row's, PostgreSQL calls
    it ambiguous (the row or ``excluded``); name the table."""
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(target, exp.Table):
        return
    name = target.alias_or_name
    parts = [e.expression for e in conflict.expressions if isinstance(e, exp.EQ)]
    if conflict.args.get("where") is not None:
        parts.append(conflict.args["where"])
    for part in parts:
        for column in part.find_all(exp.Column):
            if not column.table:
                column.set("table", exp.to_identifier(name))


def _ddl_types(tree: exp.Expression) -> None:
    """SQLite's 64-bit INTEGER as BIGINT; ``INTEGER PRIMARY KEY`` (the rowid) as an identity column;
    a table without one gets a hidden "rowid" identity column (SQLite's implicit rowid: insertion
    order for ``ORDER BY rowid``), dropped again from ``SELECT *`` results."""
    with_identity = False
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
            has_identity = any(
                isinstance(c.args.get("kind"), exp.GeneratedAsIdentityColumnConstraint) for c in constraints
            )
            constraints = [
                c for c in constraints if not isinstance(c.args.get("kind"), exp.AutoIncrementColumnConstraint)
            ]
            if not has_identity:
                identity = exp.ColumnConstraint(kind=exp.GeneratedAsIdentityColumnConstraint(this=False))
                constraints = [identity, *constraints]
            column.set("constraints", constraints)
            with_identity = True
    schema = tree.this if isinstance(tree, exp.Create) else None
    if (
        (
            isinstance(tree, exp.Create)
            and (tree.args.get("kind") or "").upper() == "TABLE"
            and isinstance(schema, exp.Schema)
        )
        and not with_identity
        and schema.find(exp.ColumnDef) is not None
    ):
        hidden = exp.ColumnDef(
            this=exp.to_identifier("rowid"),
            kind=exp.DataType.build("BIGINT"),
            constraints=[exp.ColumnConstraint(kind=exp.GeneratedAsIdentityColumnConstraint(this=False))],
        )
        columns = [e for e in schema.expressions if isinstance(e, exp.ColumnDef)]
        others = [e for e in schema.expressions if not isinstance(e, exp.ColumnDef)]
        schema.set("expressions", [*columns, hidden, *others])


_PREDICATES = (exp.Predicate, exp.Connector, exp.Not, exp.Boolean, exp.Paren, exp.Escape)


def _truthy(node: exp.Expression) -> exp.Expression:
    """An integer (a flag column, a ``?`` bound to a bool, ``1``) where SQL wants a boolean: ``<> 0``."""
    if isinstance(node, exp.Paren):
        node.set("this", _truthy(node.this))
        return node
    if isinstance(node, (_PREDICATES, exp.Null)):
        return node
    return exp.Paren(this=exp.NEQ(this=node.copy(), expression=exp.Literal.number(0)))


def _booleans(tree: exp.Expression) -> None:
    """SQLite has no boolean type: integers stand in conditions and conditions count as 0/1."""
    for node in list(tree.find_all(exp.Connector, exp.Not, exp.Where, exp.Having, exp.If, exp.Join)):
        if isinstance(node, exp.Connector):
            node.set("this", _truthy(node.this))
            node.set("expression", _truthy(node.expression))
        elif isinstance(node, exp.Not | exp.Where | exp.Having):
            node.set("this", _truthy(node.this))
        elif isinstance(node, exp.If):  # CASE WHEN <cond>, not the simple CASE x WHEN <value>
            parent = node.parent
            if not (isinstance(parent, exp.Case) and parent.args.get("this") is not None):
                node.set("this", _truthy(node.this))
        elif isinstance(node, exp.Join) and node.args.get("on") is not None:
            node.set("on", _truthy(node.args["on"]))
    kinds = (exp.Predicate, exp.Connector, exp.Not, exp.Escape)
    found = [cast(exp.Expression, n) for n in tree.walk() if isinstance(n, kinds)]
    for node in found:
        if isinstance(node.parent, exp.Escape):  # x LIKE ? ESCAPE '\': the Escape is the test
            continue
        if not _in_condition(node):
            node.replace(exp.Cast(this=node.copy(), to=exp.DataType.build("INT")))


def _in_condition(node: exp.Expression) -> bool:
    """Whether ``node`` stands where SQL wants a boolean (else it is a value: SQLite's 0/1)."""
    child, parent = node, node.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if parent is None:
        return False
    if isinstance(parent, exp.Connector | exp.Not | exp.Where | exp.Having):
        return True
    if isinstance(parent, exp.Join):
        return child.arg_key == "on"
    if isinstance(parent, exp.If):
        return child.arg_key == "this"
    if isinstance(parent, exp.Update | exp.OnConflict):  # SET column = value: an assignment, not a test
        return child.arg_key == "expressions"
    return isinstance(parent, exp.Filter)


def _moment(value: exp.Expression, modifiers: list[exp.Expression]) -> exp.Expression:
    """A timestamp: 'now' is the UTC clock (as in SQLite), anything else an ISO date or date-time text."""
    if isinstance(value, exp.Literal) and value.is_string and value.this.lower() == "now":
        moment = cast(exp.Expression, sqlglot.parse_one("CURRENT_TIMESTAMP AT TIME ZONE 'UTC'", read="postgres"))
    else:
        text = exp.Cast(this=value.transform(_functions), to=exp.DataType.build("TEXT"))
        head = exp.Substring(this=text, start=exp.Literal.number(1), length=exp.Literal.number(19))
        moment = exp.Cast(this=head, to=exp.DataType.build("TIMESTAMP"))
    for modifier in modifiers:
        if not (isinstance(modifier, exp.Literal) and modifier.is_string):
            # Computed ('+' || :days || ' days'): PostgreSQL reads the same text as an interval.
            computed = exp.Cast(this=modifier.transform(_functions), to=exp.DataType.build("INTERVAL"))
            moment = cast(exp.Expression, exp.Add(this=exp.Paren(this=moment), expression=computed))
            continue
        found = _MODIFIER.match(modifier.this)
        if not found:
            raise TranslationError(f"不支持的日期修饰符：{modifier.this}")
        interval = exp.Interval(this=exp.Literal.string(str(int(found.group(1)))), unit=exp.var(found.group(2).upper()))
        moment = cast(exp.Expression, exp.Add(this=exp.Paren(this=moment), expression=interval))
    return moment


def _to_char(moment: exp.Expression, fmt: str) -> exp.Expression:
    return cast(exp.Expression, exp.func("TO_CHAR", moment, exp.Literal.string(fmt)))


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


_IN_LIST = re.compile(r"\bIN\s*\(\s*\?(?:\s*,\s*\?)+\s*\)", re.IGNORECASE)
_PARAM = re.compile(r"%%|%\(\w+\)s|%s")
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def _collapse_in_lists(sql: str) -> tuple[str, list[tuple[int, int]]]:
    """``sql`` with every ``IN (?, ?, …)`` written ``IN (?)``, and (ordinal of that ``?`` among the
    statement's placeholders, list length) per list. Statements with quoted ``?`` or ``:name``
    parameters are left alone (their placeholder order is not a plain count)."""
    quoted = _QUOTED.findall(sql)
    if any("?" in q for q in quoted) or re.search(r"(?<![:\w]):\w", _QUOTED.sub("''", sql)):
        return sql, []
    lists: list[tuple[int, int]] = []
    parts: list[str] = []
    last = seen = 0
    for match in _IN_LIST.finditer(sql):
        before = sql[last : match.start()]
        seen += before.count("?")
        lists.append((seen, match.group(0).count("?")))
        parts += [before, "IN (?)"]
        seen += 1
        last = match.end()
    parts.append(sql[last:])
    return "".join(parts), lists


def _widen(sql: str, lists: list[tuple[int, int]], expected: int) -> str | None:
    """The translated ``sql`` with the listed ``%s`` placeholders (by ordinal) repeated again; None
    if its placeholders do not match the collapsed statement's one for one."""
    wide = dict(lists)
    out: list[str] = []
    last = ordinal = 0
    for match in _PARAM.finditer(sql):
        if match.group(0) != "%s":
            if match.group(0) != "%%":
                return None  # a named parameter: not the positional statement collapsed
            continue
        out.append(sql[last : match.start()])
        out.append(", ".join(["%s"] * wide.get(ordinal, 1)))
        ordinal += 1
        last = match.end()
    if ordinal != expected:
        return None
    out.append(sql[last:])
    return "".join(out)


def _placeholders(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Placeholder):
        named = node.name not in ("", "?")
        return exp.var(f"{NAMED}{node.name}{NAMED}" if named else SENTINEL)
    return node


def _trigger(name: str, when: str, event: str, table: str, condition: str | None, message: str) -> list[Statement]:
    function = f"{name}_fn"
    body = message.replace("'", "''").replace("%", "%%")
    event = re.sub(r"\s+", " ", event.strip()).upper()
    test = f" WHEN ({condition.strip()})" if condition else ""  # NEW.x / OLD.x read the same in both
    return [
        Statement(
            f'CREATE OR REPLACE FUNCTION "{function}"() RETURNS trigger LANGUAGE plpgsql AS '
            f"$$ BEGIN RAISE EXCEPTION '{body}' USING ERRCODE = 'integrity_constraint_violation'; END $$",
            ddl=True,
        ),
        Statement(
            f'CREATE TRIGGER "{name}" {when.upper()} {event} ON "{table}" '
            f'FOR EACH ROW{test} EXECUTE FUNCTION "{function}"()',
            ddl=True,
        ),
    ]


def _drop_trigger(name: str, if_exists: bool) -> Statement:
    """SQLite's ``DROP TRIGGER name``: PostgreSQL wants the table too; it is looked up."""
    missing = "NULL" if if_exists else f"RAISE EXCEPTION 'no such trigger: {name}'"
    return Statement(
        "DO $$ DECLARE t text; BEGIN "
        f"SELECT tgrelid::regclass::text INTO t FROM pg_trigger WHERE tgname = '{name}' AND NOT tgisinternal; "
        f"IF t IS NOT NULL THEN EXECUTE 'DROP TRIGGER \"{name}\" ON ' || t; "
        f'DROP FUNCTION IF EXISTS "{name}_fn"(); ELSE {missing}; END IF; END $$',
        ddl=True,
    )
