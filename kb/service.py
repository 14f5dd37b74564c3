"""The composition root: builds the kernel and every service, and exposes them to the doors (api/).

``LeianService`` owns no logic of its own beyond wiring: cases live in ``kb.cases``, features in
``kb.groups``, ``kb.modelcases``, ``kb.workflow``, security in ``kb.audit``/``kb.sessions``. No
feature module imports this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from indexing.encoders import Encoder, create_encoder
from indexing.encoders.pool import EncoderSpec
from indexing.segment import Segmenter
from kb.accounts import AccountService
from kb.audit import AuditLog
from kb.campaigns.service import CampaignService
from kb.cases.progress import ImportProgressStore
from kb.cases.service import CaseService, ProgressFn, content_hash
from kb.clock import Clock
from kb.domain import SearchFilters, SearchHit
from kb.encoder_choice import resolve_encoder
from kb.feedback.store import FeedbackStore
from kb.groups.service import GroupService
from kb.groups.special import SpecialGroupService
from kb.identity_key import key_state, with_key_file
from kb.jobs.kinds import standard_kinds
from kb.jobs.service import JobService
from kb.jobs.store import JobStore
from kb.kernel import IngestBatch, IngestHook, Kernel, scoped
from kb.modelcases.service import ModelCaseService
from kb.privacy import public_terms
from kb.schema import ALL_MIGRATIONS
from kb.security import audit_ingest_hook
from kb.sessions import SessionStore
from kb.settings import Settings
from kb.storage.db import Database
from kb.units.service import UnitService
from kb.users import SYSTEM, Principal, UserStore
from kb.warmup import Warmup
from kb.workflow.assignment_service import AssignmentService
from kb.workflow.evaluations import EvaluationService
from kb.workflow.inbox import Inbox
from kb.workflow.lifecycle_service import LifecycleService
from kb.workflow.petitioners import PetitionerService
from kb.workflow.service import WorkflowService
from kb.workflow.supervision import SupervisionService
from kb.zhengfa.service import HandoverService

# Re-exported for callers that imported them from here before the kernel existed.
__all__ = [
    "IngestBatch",
    "IngestHook",
    "LeianService",
    "ProgressFn",
    "SearchResult",
    "content_hash",
    "scoped",
]


@dataclass
class SearchResult:
    """One search as both doors present it: the query's terms, the hits and each hit's workflow flags."""

    query_terms: list[str]
    hits: list[SearchHit]
    flags: dict[int, list[str]]


class LeianService:
    def __init__(
        self,
        settings: Settings,
        *,
        encoder: Encoder | None = None,
        encoder_spec: EncoderSpec | None = None,
        segmenter: Segmenter | None = None,
        open_index: bool = True,
        clock: Clock | None = None,
        encoder_threads: int | None = None,
    ) -> None:
        """``encoder_spec`` tells bulk paths how worker processes rebuild ``encoder``; it defaults to
        the configured encoder when ``encoder`` is not given (an injected encoder without a spec is
        always used in-process). ``clock`` (default: the system clock) dates every recorded action;
        tests and the demo replay pass a ``kb.clock.FixedClock``. ``encoder_threads`` (default
        ``settings.threads``) is the configured encoder's thread count: a serving process passes
        ``settings.serve_threads``."""
        settings = with_key_file(settings)  # every command on a data directory uses its key file
        db = Database(settings.database, migrations=ALL_MIGRATIONS, pool_size=settings.db_pool_size)
        if encoder is None:  # LEIAN_ENCODER=auto: the encoder the directory was indexed with
            settings = resolve_encoder(settings, db)
        if encoder_spec is None and encoder is None:
            encoder_spec = EncoderSpec(settings.encoder, settings.encoder_model, threads=1)
        kernel = Kernel(
            settings,
            db,
            encoder or create_encoder(settings.encoder, settings.encoder_model, encoder_threads or settings.threads),
            segmenter
            or Segmenter(
                settings.userdicts,
                settings.stopwords,
                bundled_stopwords=settings.bundled_stopwords,
                synonyms=settings.synonyms,
                backend=settings.segmenter,
            ),
            encoder_spec=encoder_spec,
            clock=clock,
        )
        self.kernel = kernel
        self.clock = kernel.clock
        self.settings, self.db, self.encoder = kernel.settings, kernel.db, kernel.encoder
        self.segmenter, self.encoder_spec = kernel.segmenter, kernel.encoder_spec
        self.cases, self.index, self.ingest_hooks = kernel.cases, kernel.index, kernel.hooks
        self.users = UserStore(kernel.db, settings.min_password_length, units=lambda: kernel.units)
        # Security: every import is audited inside its own transaction (the first hook).
        self.audit = AuditLog(kernel.db)
        kernel.hooks.add(audit_ingest_hook(self.audit))
        self.sessions = SessionStore(
            kernel.db,
            self.users,
            self.audit,
            settings.session_hours,
            max_failures=settings.login_max_failures,
            lock_minutes=settings.login_lock_minutes,
            client_max_failures=settings.login_client_max_failures,
            clock=kernel.clock,
        )
        self.accounts = AccountService(kernel.db, self.users, self.sessions, self.audit)
        # Services, each given the kernel and (typed) the services it needs. Hooks run in this order.
        self.case_service = CaseService(kernel)
        # Relevance marks (issue 19): stored, audited, and a ranking signal for typed searches.
        self.feedback = FeedbackStore(kernel, self.audit)
        self.case_service.feedback_boosts = lambda vector, tokens: self.feedback.boosts("case", vector, tokens)
        self.units = UnitService(kernel, self.audit)
        self.assignments = AssignmentService(kernel, self.users)
        self.workflow = WorkflowService(kernel, self.assignments)
        self.inbox = Inbox(kernel.db, kernel.clock)
        self.inbox.add_source(self.assignments.inbox_items)
        self.groups = GroupService(kernel)
        self.special_groups = SpecialGroupService(kernel, self.groups)
        self.modelcases = ModelCaseService(kernel, groups=self.groups)
        self.modelcases.feedback_boosts = lambda vector, tokens: self.feedback.boosts("modelcase", vector, tokens)
        self.lifecycle = LifecycleService(kernel)
        self.handover = HandoverService(kernel, self.lifecycle, self.audit)
        self.inbox.add_source(self.handover.inbox_items)
        self.supervision = SupervisionService(kernel)
        self.campaigns = CampaignService(kernel)
        self.inbox.add_source(self.supervision.inbox_items)
        self.evaluations = EvaluationService(kernel)
        self.petitioners = PetitionerService(kernel, audit=self.audit)
        # Background jobs (kb/jobs): long work submitted over HTTP or the CLI, run off the request.
        self.jobs = JobService(
            JobStore(kernel.db), self.users, self.audit, kernel.clock, settings.data_dir / "jobs" / "uploads"
        )
        for kind in standard_kinds(settings, self.case_service, self.groups, self.workflow):
            self.jobs.register(kind)
        # How far a running HTTP import got, readable through any API worker (kb/cases/progress.py).
        self.import_progress = ImportProgressStore(kernel.db, kernel.clock)
        # The case methods, as the doors and tests have always called them.
        cs = self.case_service
        self.validate_rows, self.ingest, self.bulk_encoder = cs.validate_rows, cs.ingest, cs.bulk_encoder
        self.create_case, self.update_case, self.delete_case = cs.create_case, cs.update_case, cs.delete_case
        self.get_case, self.get_case_by_external, self.list_cases = cs.get_case, cs.get_case_by_external, cs.list_cases
        self.query_for_text, self.query_for_case, self.search = cs.query_for_text, cs.query_for_case, cs.search
        self.ingest_table = cs.ingest_table
        self.reindex, self.case_ids_by_external = cs.reindex, cs.case_ids_by_external
        # What the first requests would otherwise build, built at start by ``leian serve``.
        self.warmup = Warmup(
            [
                ("encoder", lambda: self.encoder.encode(["预热"])),
                ("router", self._warm_router),
                ("model_cases", self.modelcases.index.ensure),
            ]
        )
        if open_index:
            self.index.open()

    def _warm_router(self) -> None:
        router = self.workflow.router
        router.warm_up_in_background().join()
        if router.state != "ready":
            raise RuntimeError("routing models not fitted")

    def search_with_flags(
        self,
        *,
        text: str | None = None,
        case_id: int | None = None,
        filters: SearchFilters | None = None,
        k: int = 10,
        mode: str = "hybrid",
        actor: Principal = SYSTEM,
    ) -> SearchResult:
        """The search both doors serve: hits, the query's terms and the workflow warnings per hit."""
        hits = self.case_service.search(text=text, case_id=case_id, filters=filters, k=k, mode=mode, actor=actor)
        terms = public_terms(self.segmenter.tokens(text), text=text) if text else []
        return SearchResult(terms, hits, self.workflow.flags_for([h.case.id for h in hits]))

    def health(self) -> dict[str, Any]:
        """The case service's health, what is warmed at start (each step's state and seconds), where
        the lexical index came from, the routing models' readiness and, per target, whether its model
        was ``loaded`` from the database or ``fitted`` here, and the petitioner key's state."""
        return {
            **self.case_service.health(),
            "router": self.workflow.router.state,
            "router_models": self.workflow.router.sources(),
            "warm": self.warmup.state(),
            "warm_seconds": self.warmup.seconds(),
            "lexical_index": self.index.lexical_source,
            "petitioner_key": key_state(self.db, self.settings.petitioner_key),
        }

    def close(self) -> None:
        self.index.close()
        self.db.close()
