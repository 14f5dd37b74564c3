"""WorkflowService: the petition-workflow features over the knowledge base, attached as ``service.workflow``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kb.clock import stamp
from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from kb.kernel import Kernel
from kb.users import SYSTEM, Principal
from kb.workflow import litigation, package_store, packages, reports, views
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
    def leaders(self, actor: Principal = SYSTEM) -> list[packages.Leader]:
        """The leader register with each leader's open packages."""
        actor.require("workflow:read")
        return packages.leaders(self.db)

    def register_leader(
        self, *, name: str, post: str, unit: str, domains: list[str], actor: Principal = SYSTEM
    ) -> packages.Leader:
        """A leader of the register: the unit must be a catalog unit (kb/units), the domains case categories."""
        actor.require("packages:write")
        canonical = self.kernel.units.require((unit or "").strip(), "unit").name
        with self.db.transaction() as conn:
            lid = packages.register(
                conn,
                name=name,
                post=post,
                unit=canonical,
                domains=domains,
                city=actor.scope.city,
                actor=actor.username,
                stamp=stamp(self.kernel.clock.now()),
            )
        return packages.leader(self.db, lid)

    def update_leader(
        self, leader_id: int, *, domains: list[str] | None = None, active: bool | None = None, actor: Principal = SYSTEM
    ) -> packages.Leader:
        actor.require("packages:write")
        packages.leader(self.db, leader_id)
        values: dict[str, object] = {}
        if domains is not None:
            values["domains"] = packages.clean_domains(domains)
        if active is not None:
            values["active"] = int(active)
        if values:
            with self.db.transaction() as conn:
                package_store.update_leader(conn, leader_id, **values)
        return packages.leader(self.db, leader_id)

    def package_candidates(
        self,
        domain: str | None = None,
        as_of: dt.date | None = None,
        limit: int = 20,
        actor: Principal = SYSTEM,
        leader_id: int | None = None,
    ) -> list[packages.Candidate]:
        """Hard backlog cases ranked by difficulty; with ``leader_id`` only those of the leader's domains."""
        actor.require("workflow:read")
        domains = packages.leader(self.db, leader_id).domains if leader_id is not None else None
        return packages.candidates(
            self.db,
            as_of=as_of or reports.latest_date(self.db),
            domain=domain,
            domains=domains,
            scope=actor.scope,
            limit=limit,
        )

    def create_package(
        self,
        *,
        leader_id: int,
        case_ids: list[int] | None = None,
        limit: int = 3,
        as_of: dt.date | None = None,
        plan: str | None = None,
        deadline: dt.date | None = None,
        note: str | None = None,
        actor: Principal = SYSTEM,
    ) -> packages.PackageProgress:
        """A registered leader takes the given cases, or the ``limit`` hardest open cases of their domains.

        Refused in words: a leader at the open-package quota, a case not open, a case already in an
        open package, a case outside the leader's domains. Checked and written in one transaction.
        """
        actor.require("packages:write")
        who = packages.leader(self.db, leader_id)
        if not who.active:
            raise ConflictError(f"{who.name}已停用，不能再包案")
        packages.check_quota(who, self.kernel.settings.package_max_open)
        today = self.kernel.clock.today()
        due = packages._deadline(deadline, today)
        if case_ids:
            for cid in case_ids:
                self.kernel.get_case(cid, actor)
            reasons: dict[int, str] = {}
        else:
            found = self.package_candidates(None, as_of or today, limit, actor, leader_id)
            case_ids = [c.case_id for c in found]
            reasons = {c.case_id: "；".join(c.reasons) for c in found}
        with self.db.transaction() as conn:
            packages.check_quota(packages.leader(conn, leader_id), self.kernel.settings.package_max_open)
            packages.check_cases(conn, list(dict.fromkeys(case_ids)), who.domains)
            pid = packages.create(
                conn,
                leader=who.name,
                department=who.unit,
                domain="、".join(who.domains),
                city=actor.scope.city,
                case_ids=case_ids,
                reasons=reasons,
                actor=actor.username,
                stamp=stamp(self.kernel.clock.now()),
                note=note,
                leader_id=leader_id,
                plan=plan,
                deadline=due,
            )
        return self.package_progress(pid, actor)

    def end_package(
        self, package_id: int, status: str, note: str | None = None, actor: Principal = SYSTEM
    ) -> packages.PackageProgress:
        """办结 (every case concluded) or 撤销 (with a reason); dated now."""
        actor.require("packages:write")
        self.package_progress(package_id, actor)
        with self.db.transaction() as conn:
            packages.end(conn, package_id, status, actor.username, stamp(self.kernel.clock.now()), note)
        return self.package_progress(package_id, actor)

    def set_package_plan(
        self, package_id: int, plan: str | None, deadline: dt.date | None, actor: Principal = SYSTEM
    ) -> packages.PackageProgress:
        actor.require("packages:write")
        current = self.package_progress(package_id, actor)
        if current.status != "open":
            raise ConflictError(f"包案 {package_id} {current.status_label}，不能修改方案")
        due = packages._deadline(deadline, self.kernel.clock.today())
        with self.db.transaction() as conn:
            package_store.set_plan(conn, package_id, packages._text("plan", plan, 4000, False, "包案方案"), due)
        return self.package_progress(package_id, actor)

    def add_milestone(
        self, package_id: int, title: str, due_date: dt.date, actor: Principal = SYSTEM
    ) -> packages.PackageProgress:
        actor.require("packages:write")
        self.package_progress(package_id, actor)
        with self.db.transaction() as conn:
            packages.add_milestone(conn, package_id, title, due_date, actor.username, stamp(self.kernel.clock.now()))
        return self.package_progress(package_id, actor)

    def complete_milestone(
        self, package_id: int, milestone_id: int, note: str | None = None, actor: Principal = SYSTEM
    ) -> packages.PackageProgress:
        actor.require("packages:write")
        self.package_progress(package_id, actor)
        now = self.kernel.clock.now()
        with self.db.transaction() as conn:
            packages.complete_milestone(
                conn, package_id, milestone_id, self.kernel.clock.today(), actor.username, stamp(now), note
            )
        return self.package_progress(package_id, actor)

    def package_progress(self, package_id: int, actor: Principal = SYSTEM) -> packages.PackageProgress:
        actor.require("workflow:read")
        return packages.progress(self.db, package_id, actor.scope, self.kernel.clock.today())

    def package_list(
        self, leader: str | None = None, actor: Principal = SYSTEM, leader_id: int | None = None
    ) -> list[packages.PackageProgress]:
        actor.require("workflow:read")
        today = self.kernel.clock.today()
        return [
            packages.progress(self.db, i, actor.scope, today)
            for i in packages.list_ids(self.db, actor.scope, leader, leader_id)
        ]

    def leader_report(
        self, date_from: dt.date | None = None, date_to: dt.date | None = None, actor: Principal = SYSTEM
    ) -> tuple[dt.date, dt.date, list[packages.LeaderReportRow]]:
        """Each leader's packages, cases concluded (in all and in the period) and milestones; the
        period defaults to the last 7 days up to today."""
        actor.require("workflow:read")
        end = date_to or self.kernel.clock.today()
        start = date_from or end - dt.timedelta(days=6)
        if start > end:
            raise InvalidInputError([FieldProblem("date_from", "开始日期不能晚于结束日期")])
        rows = packages.leader_report(self.package_list(None, actor), packages.leaders(self.db), start, end)
        return start, end, rows

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
