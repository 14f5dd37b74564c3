"""The kernel: the narrow set of shared parts every feature service receives, and scoped reads of cases.

Feature services (groups, model cases, workflow, security) get a ``Kernel`` and, explicitly typed,
any other service they need; they never see the composition root (``kb.service``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from indexing.encoders import Encoder
from indexing.encoders.pool import EncoderSpec
from indexing.segment import Segmenter
from kb.clock import Clock, SystemClock
from kb.domain import Case, CaseIn, SearchFilters
from kb.errors import FieldProblem, InvalidInputError, NotFoundError
from kb.indexer import CaseIndex
from kb.search import Query, make_query
from kb.settings import Settings
from kb.storage.cases import CaseRepository
from kb.storage.db import Database
from kb.units.catalog import UnitCatalog
from kb.units.gazetteer import Gazetteer
from kb.units.rows import bundled_rows
from kb.units.store import UnitStore
from kb.users import SYSTEM, Principal


@dataclass
class IngestBatch:
    """What an ingest hook sees, inside the import's transaction (``actor``: who imports)."""

    ids: list[int]
    created: list[bool]
    cases: list[CaseIn]
    vectors: np.ndarray
    tokens: list[list[str]]
    # Who imports: the audit hook records them (a CLI import as its --as user or the OS user).
    actor: Principal = SYSTEM
    # A large import runs the hooks once per part (``kb.cases.service.IMPORT_CHUNK`` cases, by
    # received date), all inside the same transaction. ``peers``: each case's nearest cases of the
    # whole import (ids); ``import_ids`` / ``import_created``: the whole import's ids and new cases.
    peers: Mapping[int, Sequence[int]] | None = None
    import_ids: Sequence[int] | None = None
    import_created: int | None = None
    part: int = 0


IngestHook = Callable[[sqlite3.Connection, IngestBatch], None]


class IngestHooks:
    """Features register here what must happen inside every import's transaction (in order)."""

    def __init__(self) -> None:
        self._hooks: list[IngestHook] = []

    def add(self, hook: IngestHook) -> None:
        self._hooks.append(hook)

    def run(self, conn: sqlite3.Connection, batch: IngestBatch) -> None:
        for hook in self._hooks:
            hook(conn, batch)

    def __iter__(self) -> Iterator[IngestHook]:
        return iter(list(self._hooks))

    def __len__(self) -> int:
        return len(self._hooks)


def text_of(case: CaseIn | Case) -> str:
    """The text a case is embedded and segmented by: ``title。content`` (as ``Case.text``)."""
    return f"{case.title}。{case.content}" if case.title else case.content


def scoped(actor: Principal, filters: SearchFilters) -> SearchFilters:
    """The filters restricted to the actor's scope (kb/scope.py): ``filter_sql`` adds ``scope.sql()``,
    so lists, search allow-lists, facets and exports select the same cases. Asking for a city or
    department outside the scope yields nothing (the filter and the scope are both applied)."""
    if actor.scope.provincial:
        return filters
    return replace(filters, scope=actor.scope)


class Kernel:
    """Settings, database, clock, case repository, encoder, segmenter, index, ingest hooks and the
    unit catalog, plus scoped reads. ``clock`` (default the system clock) is the time of every
    recorded action."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        encoder: Encoder,
        segmenter: Segmenter,
        *,
        encoder_spec: EncoderSpec | None = None,
        index: CaseIndex | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings, self.db, self.encoder, self.segmenter = settings, db, encoder, segmenter
        self.encoder_spec = encoder_spec
        self.clock: Clock = clock or SystemClock()
        self.cases = CaseRepository(db, self.clock, settings.near_due_days)
        self.index = index or CaseIndex(settings, db, encoder, self.cases)
        self.hooks = IngestHooks()
        self.unit_store = UnitStore(db, self.clock)
        self._units: UnitCatalog | None = None
        self._units_version = self._units_generation = 0
        self._units_lock = threading.Lock()
        self._gazetteer: tuple[UnitCatalog, Gazetteer] | None = None

    # -- master data -----------------------------------------------------------------------------
    @property
    def units(self) -> UnitCatalog:
        """The unit catalog: loaded from the ``units`` table on first use (the bundled 广东省 data is
        seeded into an empty table), again after ``reload_units`` and after another process (a CLI
        import while the server runs) committed to the database."""
        version = self.unit_store.data_version()
        with self._units_lock:  # never held across a database call (a writer may be asking for it)
            current, generation = self._units, self._units_generation
            if current is not None and version == self._units_version:
                return current
        if self.unit_store.count() == 0 and self.unit_store.seed(r.unit for r in bundled_rows()):
            version = self.unit_store.data_version()  # after this process's own write, still before the load
        catalog = UnitCatalog(self.unit_store.load())
        with self._units_lock:
            if generation == self._units_generation:  # no write asked for a reload meanwhile
                self._units, self._units_version = catalog, version
        return catalog

    @property
    def gazetteer(self) -> Gazetteer:
        """Place names of the unit catalog, built again when the catalog is (search, routing, guidance)."""
        catalog = self.units
        cached = self._gazetteer
        if cached is None or cached[0] is not catalog:
            cached = self._gazetteer = (catalog, Gazetteer(catalog))
        return cached[1]

    def reload_units(self) -> UnitCatalog:
        """Read the catalog again (the unit service calls this after every write)."""
        with self._units_lock:
            self._units = None
            self._units_generation += 1
        return self.units

    # -- scoped reads ----------------------------------------------------------------------------
    def in_scope(self, actor: Principal, case: Case) -> bool:
        """Whether ``case`` is within the actor's scope (a department scope also reads assignments)."""
        scope = actor.scope
        if scope.provincial:
            return True
        assigned = self.cases.active_units([case.id]).get(case.id, set()) if scope.kind == "department" else set()
        return scope.sees(case, assigned)

    def visible_ids(self, actor: Principal, ids: Collection[int]) -> set[int]:
        """Those of ``ids`` within the actor's scope (one query, the scope's SQL)."""
        if actor.scope.provincial:
            return set(ids)
        return self.cases.ids_in_scope(actor.scope, list(ids))

    def get_case(self, case_id: int, actor: Principal = SYSTEM) -> Case:
        """A case the actor may see; another unit's case is reported as absent, not as forbidden."""
        case = self.cases.get(case_id)
        if case is None or not self.in_scope(actor, case):
            raise NotFoundError(f"案件 {case_id} 不存在")
        return case

    def get_case_by_external(self, external_no: str, actor: Principal = SYSTEM) -> Case:
        case = self.cases.get_by_external(external_no)
        if case is None or not self.in_scope(actor, case):
            raise NotFoundError(f"登记编号 {external_no} 不存在")
        return case

    # -- queries ---------------------------------------------------------------------------------
    def query_for_text(self, text: str) -> Query:
        text = text.strip()
        if not text:
            raise InvalidInputError([FieldProblem("text", "检索内容不能为空")])
        if len(text) > self.settings.max_text_chars:
            raise InvalidInputError([FieldProblem("text", f"检索内容超过 {self.settings.max_text_chars} 字")])
        return make_query(self.segmenter, lambda t: self.encoder.encode([t])[0], text)

    def query_for_case(self, case_id: int, actor: Principal = SYSTEM) -> Query:
        case = self.get_case(case_id, actor)
        stored = self.cases.vectors_for(self.encoder.name, [case_id]).get(case_id)
        vector = stored if stored is not None else self.encoder.encode([case.text])[0]
        tokens = self.cases.tokens_for([case_id]).get(case_id, [])
        return Query(case.text, tokens, vector, exclude_id=case_id, source=case)
