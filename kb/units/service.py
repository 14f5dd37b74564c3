"""UnitService: the unit master data as both doors serve it: list (any signed-in user), add and import
(administrators; all or nothing, audited in the same transaction, the catalog reloaded after)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.audit import AuditLog
from kb.errors import ConflictError, FieldProblem, InvalidInputError
from kb.kernel import Kernel
from kb.readers import detect_format
from kb.units.catalog import KIND_LABELS, Unit, clean_name
from kb.units.rows import COLUMNS, KIND_BY_TEXT, UnitRow, parse_row, read_unit_file, resolve
from kb.users import SYSTEM, Principal

ADMIN = "system:admin"


@dataclass
class UnitImportReport:
    """What an import did; a failed import raises InvalidInputError and writes nothing."""

    created: int = 0
    updated: int = 0
    names: list[str] = field(default_factory=list)


class UnitService:
    def __init__(self, kernel: Kernel, audit: AuditLog) -> None:
        self.kernel, self.audit = kernel, audit
        self.store = kernel.unit_store

    # -- reads -----------------------------------------------------------------------------------
    def list(self, kind: str | None = None, parent: str | None = None, actor: Principal = SYSTEM) -> list[Unit]:
        """Active units, optionally of one kind (code or Chinese label) and under one parent (name or alias)."""
        catalog = self.kernel.units
        units = list(catalog)
        if kind:
            code = KIND_BY_TEXT.get(clean_name(kind))
            if code is None:
                allowed = "、".join(f"{k}（{v}）" for k, v in KIND_LABELS.items())
                raise InvalidInputError([FieldProblem("kind", f"单位类型“{kind}”无效，应为 {allowed} 之一")])
            units = [u for u in units if u.kind == code]
        if parent:
            known = catalog.get(parent)
            if known is None:
                raise InvalidInputError([catalog.problem(parent, "parent") or FieldProblem("parent", "未知单位")])
            units = [u for u in units if u.parent == known.name]
        return units

    # -- writes (administrators) -----------------------------------------------------------------
    def add(
        self,
        name: str,
        kind: str,
        parent: str | None = None,
        aliases: Sequence[str] = (),
        cities: Sequence[str] = (),
        actor: Principal = SYSTEM,
    ) -> Unit:
        """Add one unit; its name must be new (neither a unit's name nor an alias)."""
        actor.require(ADMIN)
        headers = {c: c for c in COLUMNS}
        raw = {"name": name, "kind": kind, "parent": parent, "aliases": list(aliases), "cities": list(cities)}
        unit_row, problems = parse_row(None, raw, headers)
        if problems:
            raise InvalidInputError(problems)
        assert unit_row is not None
        known = self.kernel.units.get(unit_row.unit.name)
        if known is not None:
            what = "已存在" if known.name == unit_row.unit.name else f"已是单位“{known.name}”的别名"
            raise ConflictError(f"单位“{clean_name(name)}”{what}")
        (added,) = self._write([unit_row], actor, action="units.add").names
        unit = self.kernel.units.get(added)
        assert unit is not None
        return unit

    def import_file(self, data: bytes, filename: str, actor: Principal = SYSTEM) -> UnitImportReport:
        """Import a unit file (CSV in UTF-8 or GBK, XLSX, JSON Lines): every row is checked first and
        any problem fails the whole file; a row with a known name replaces that unit."""
        actor.require(ADMIN)
        rows, problems = read_unit_file(data, detect_format(filename))
        return self._write(rows, actor, action="units.import", problems=problems)

    def _write(
        self, rows: Sequence[UnitRow], actor: Principal, *, action: str, problems: Sequence[FieldProblem] = ()
    ) -> UnitImportReport:
        """Check ``rows`` against the stored units, then write them and the audit event in ONE transaction."""
        existing = self._stored()
        resolved, link_problems = resolve(rows, existing)
        every = sorted([*problems, *link_problems], key=lambda p: p.row or 0)
        if every:
            raise InvalidInputError(every)
        report = UnitImportReport()
        with self.kernel.db.transaction() as conn:
            for r in resolved:
                created = self.store.upsert(conn, r.unit, active=r.active, created_by=actor.username)
                report.created += created
                report.updated += not created
                report.names.append(r.unit.name)
            detail = {"created": report.created, "updated": report.updated, "names": report.names[:50]}
            record_id = report.names[0] if len(report.names) == 1 else None
            self.audit.record(actor, action, "unit", record_id, detail, conn=conn)
        self.kernel.reload_units()
        return report

    def _stored(self) -> Sequence[Unit]:
        """Every stored unit, inactive ones included (their names stay taken)."""
        self.kernel.reload_units()  # seeds the bundled data into an empty table first
        return [s.unit for s in self.store.rows(active_only=False)]
