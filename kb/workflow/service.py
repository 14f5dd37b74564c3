"""WorkflowService: the petition-workflow features over the knowledge base, attached as ``service.workflow``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kb.errors import FieldProblem, InvalidInputError, NotFoundError
from kb.kernel import Kernel
from kb.users import SYSTEM, Principal
from kb.workflow import litigation, packages, reports, views
from kb.workflow.assignment_service import AssignmentService
from kb.workflow.assignments import Assignment
from kb.workflow.detection import IngestDetector
from kb.workflow.rates import RateRules
from kb.workflow.repeats import RepeatSettings
from kb.workflow.routing import Suggestion
from kb.workflow.suggest import TARGETS, LiveRouter


def report_city(actor: Principal, city: str | None) -> str | None:
    """The city a report is narrowed to: the one asked for, else a city-bound reader's own city.
    (The reader's scope is applied besides: asking for a city outside it yields an empty report.)"""
    return city or actor.scope.city


class WorkflowService:
    def __init__(
        self, kernel: Kernel, handling: AssignmentService, repeat_settings: RepeatSettings | None = None
    ) -> None:
        self.kernel = kernel
        self.db = kernel.db
        self.handling = handling
        self.detector = IngestDetector(kernel, repeat_settings)
        self.router = LiveRouter(kernel)
        kernel.hooks.add(self.detector.on_ingest)

    def rescan(self) -> int:
        """Re-run repeat and litigation detection over every stored case (e.g. after an upgrade)."""
        return self.detector.rescan()

    # -- routing -------------------------------------------------------------------------------------
    def suggest(
        self, *, text: str | None = None, case_id: int | None = None, actor: Principal = SYSTEM
    ) -> dict[str, Suggestion]:
        actor.require("workflow:read")
        if (text is None) == (case_id is None):
            raise InvalidInputError([FieldProblem("text", "请提供案件内容或案件编号之一")])
        query = self.kernel.query_for_case(case_id, actor) if case_id else self.kernel.query_for_text(text or "")
        return {target: self.router.suggest(query, target) for target in TARGETS}

    # -- dual assignment (kept here for existing callers; the rules live in AssignmentService) --------------
    def assign(
        self,
        case_id: int,
        *,
        locality: str | None,
        departments: list[str],
        lead: str | None = None,
        note: str | None = None,
        actor: Principal = SYSTEM,
    ) -> list[Assignment]:
        return self.handling.assign(
            case_id, locality=locality, departments=departments, lead=lead, note=note, actor=actor
        )

    def assignments(self, case_id: int, actor: Principal = SYSTEM) -> list[Assignment]:
        return self.handling.history(case_id, actor)

    # -- 诉访分离 ------------------------------------------------------------------------------------------
    def litigation_step(
        self, case_id: int, status: str, note: str | None = None, actor: Principal = SYSTEM
    ) -> dict[str, Any]:
        actor.require("workflow:write")
        self.kernel.get_case(case_id, actor)
        with self.db.transaction() as conn:
            litigation.advance(conn, self.kernel.cases, case_id, status, actor.username, note)
        return self.litigation_track(case_id, actor)

    def litigation_track(self, case_id: int, actor: Principal = SYSTEM) -> dict[str, Any]:
        actor.require("workflow:read")
        self.kernel.get_case(case_id, actor)
        return views.litigation_track(self.db, case_id)

    def litigation_list(self, status: str | None = None, limit: int = 100, actor: Principal = SYSTEM) -> list[dict]:
        actor.require("workflow:read")
        return views.litigation_list(self.db, status, limit, actor.scope)

    # -- repeats and the case's workflow view ------------------------------------------------------------
    def links(self, case_id: int, actor: Principal = SYSTEM) -> list[dict[str, Any]]:
        """The case's links; a linked case outside the actor's scope is shown as 其他单位案件."""
        actor.require("workflow:read")
        self.kernel.get_case(case_id, actor)
        return views.links(self.db, case_id, self._visible(actor))

    def _visible(self, actor: Principal) -> views.Visible:
        return lambda ids: self.kernel.visible_ids(actor, ids)

    def flags_for(self, ids: list[int]) -> dict[int, list[str]]:
        """Short warnings per case for lists and search hits (重复信访 第 n 次, 涉法涉诉 …)."""
        return views.flags_for(self.db, ids)

    def case_workflow(self, case_id: int, actor: Principal = SYSTEM) -> dict[str, Any]:
        actor.require("workflow:read")
        self.kernel.get_case(case_id, actor)
        try:
            track: dict[str, Any] | None = views.litigation_track(self.db, case_id)
        except NotFoundError:
            track = None
        return {
            "case_id": case_id,
            **self.handling.case_view(case_id, actor),
            "links": views.links(self.db, case_id, self._visible(actor)),
            "later_repeats": views.later_repeats(self.db, case_id),
            "flags": views.flags_for(self.db, [case_id])[case_id],
            "litigation": track,
        }

    def repeat_list(self, kind: str | None = None, limit: int = 100, actor: Principal = SYSTEM) -> list[dict]:
        actor.require("workflow:read")
        return views.repeat_list(self.db, kind, limit, actor.scope, self._visible(actor))

    # -- 领导包案 -----------------------------------------------------------------------------------------
    def package_candidates(
        self, domain: str | None = None, as_of: dt.date | None = None, limit: int = 20, actor: Principal = SYSTEM
    ) -> list[packages.Candidate]:
        actor.require("workflow:read")
        return packages.candidates(
            self.db, as_of=as_of or reports.latest_date(self.db), domain=domain, scope=actor.scope, limit=limit
        )

    def create_package(
        self,
        *,
        leader: str,
        department: str,
        domain: str | None = None,
        case_ids: list[int] | None = None,
        limit: int = 10,
        as_of: dt.date | None = None,
        note: str | None = None,
        actor: Principal = SYSTEM,
    ) -> packages.PackageProgress:
        """Package the given cases, or the ``limit`` hardest backlog cases of ``domain``."""
        actor.require("packages:write")
        if case_ids:
            for cid in case_ids:
                self.kernel.get_case(cid, actor)
            reasons: dict[int, str] = {}
        else:
            found = self.package_candidates(domain, as_of, limit, actor)
            case_ids = [c.case_id for c in found]
            reasons = {c.case_id: "；".join(c.reasons) for c in found}
        with self.db.transaction() as conn:
            pid = packages.create(
                conn,
                leader=leader,
                department=department,
                domain=domain,
                city=actor.scope.city,
                case_ids=case_ids,
                reasons=reasons,
                actor=actor.username,
                note=note,
            )
        return packages.progress(self.db, pid, actor.scope)

    def package_progress(self, package_id: int, actor: Principal = SYSTEM) -> packages.PackageProgress:
        actor.require("workflow:read")
        return packages.progress(self.db, package_id, actor.scope)

    def package_list(self, leader: str | None = None, actor: Principal = SYSTEM) -> list[packages.PackageProgress]:
        actor.require("workflow:read")
        return [packages.progress(self.db, i, actor.scope) for i in packages.list_ids(self.db, actor.scope, leader)]

    # -- 督查督办 -----------------------------------------------------------------------------------------
    def period_report(
        self,
        group_by: str,
        date_from: dt.date,
        date_to: dt.date,
        city: str | None = None,
        backlog_days: int = 60,
        actor: Principal = SYSTEM,
    ) -> reports.Report:
        actor.require("reports:read")
        return reports.period_report(
            self.db,
            group_by,
            date_from,
            date_to,
            report_city(actor, city),
            backlog_days,
            scope=actor.scope,
            rules=self.rate_rules,
        )

    def weekly_report(
        self,
        group_by: str,
        week_end: dt.date | None = None,
        city: str | None = None,
        weeks: int = 8,
        actor: Principal = SYSTEM,
    ) -> reports.Report:
        actor.require("reports:read")
        city = report_city(actor, city)
        end = week_end or reports.latest_date(self.db, city, actor.scope)
        return reports.weekly_report(
            self.db, group_by, end, city, weeks=weeks, scope=actor.scope, rules=self.rate_rules
        )

    @property
    def rate_rules(self) -> RateRules:
        """The rate rules of the settings (kb/workflow/rates.py)."""
        return RateRules.of(self.kernel.settings)
